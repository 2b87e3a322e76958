import importlib

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from tests.factories import UserFactory


@pytest.fixture
def soporte(db):
    """A user of the Soporte group."""
    return UserFactory(username="soporte", grupos=["Soporte"])


@pytest.fixture
def coordinador(db):
    return UserFactory(username="coordinador", grupos=["Coordinador"])


@pytest.fixture
def sin_grupo(db):
    """A logged-in user with no permissions at all."""
    return UserFactory(username="nadie")


@pytest.fixture
def cliente_soporte(client, soporte):
    """The test client, logged in as a Soporte user."""
    client.force_login(soporte)
    return client


@pytest.fixture
def cliente_coordinador(client, coordinador):
    client.force_login(coordinador)
    return client


@pytest.fixture
def grupos(db):
    """The Soporte and Coordinador groups, for tests with ``transaction=True``.

    Such a test may start from a database an earlier transactional test flushed, data
    migrations included: this puts the permissions and the groups back, as
    cases/migrations/0002_grupos_y_secuencia.py defines them. List it before the user
    fixtures.
    """
    migracion = importlib.import_module("cases.migrations.0002_grupos_y_secuencia")
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for nombre, codigos in migracion.GRUPOS.items():
        grupo, _ = Group.objects.get_or_create(name=nombre)
        for codigo in codigos:
            app_label, codename = codigo.split(".")
            grupo.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


@pytest.fixture
def staff(db):
    """A staff superuser: the one role that gets into the Django admin."""
    return UserFactory(username="jefe", is_staff=True, is_superuser=True)
