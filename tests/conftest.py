import contextlib
import importlib

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import connections
from django.test.utils import CaptureQueriesContext

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


class Consultas(list):
    """The SQL strings of one request, in order; ``respuesta`` is the request's response."""

    respuesta = None


@contextlib.contextmanager
def _capturar():
    sql = []
    with CaptureQueriesContext(connections["default"]) as capturadas:
        yield sql
    sql.extend(q["sql"] for q in capturadas.captured_queries)


@pytest.fixture
def consultas_del_bloque():
    """``with consultas_del_bloque() as sql:``: the SQL run inside the block, as a list.

    For what is not one request: a service call, a model save, an export's stream. The
    list fills when the block ends.
    """
    return _capturar


@pytest.fixture
def consultas():
    """``consultas(client, "get"|"post", url, datos=None)``: the SQL of one request, as a list.

    The one query-capturing helper of the suite for requests: tests compare two data sizes
    with it and pin the count with ``django_assert_num_queries``. ``datos`` is the query
    string of a GET or the body of a POST; the list's ``respuesta`` is the response.
    """

    def capturar(client, metodo, url, datos=None) -> Consultas:
        with _capturar() as sql:
            if datos is None:
                respuesta = getattr(client, metodo)(url)
            else:
                respuesta = getattr(client, metodo)(url, datos)
        assert respuesta.status_code in (200, 302), respuesta.status_code
        capturadas = Consultas(sql)
        capturadas.respuesta = respuesta
        return capturadas

    return capturar


@pytest.fixture(autouse=True)
def _idioma_por_omision():
    """Each test starts and ends in the site's language: a request with Accept-Language: en
    leaves English active in the thread (LocaleMiddleware does not reset it)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
