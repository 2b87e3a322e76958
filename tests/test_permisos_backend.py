"""The project's authentication backend (efactory/permisos.py) answers as Django's
ModelBackend does, with one query where ModelBackend runs two."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission, User

from efactory.permisos import Permisos
from tests.factories import CasoFactory

pytestmark = pytest.mark.django_db


def _permiso(codigo):
    return Permission.objects.get(codename=codigo)


def _usuarios():
    soporte = Group.objects.create(name="S")
    soporte.permissions.add(_permiso("view_caso"), _permiso("change_caso"))
    otro = Group.objects.create(name="O")
    otro.permissions.add(_permiso("change_caso"), _permiso("view_cliente"))
    solo_propios = User.objects.create_user("propios")
    solo_propios.user_permissions.add(_permiso("add_caso"))
    de_grupos = User.objects.create_user("grupos")
    de_grupos.groups.add(soporte, otro)
    ambos = User.objects.create_user("ambos")
    ambos.groups.add(soporte)
    ambos.user_permissions.add(_permiso("view_caso"), _permiso("delete_caso"))
    inactivo = User.objects.create_user("inactivo", is_active=False)
    inactivo.groups.add(soporte)
    jefe = User.objects.create_superuser("jefe")
    nadie = User.objects.create_user("nadie")
    return [solo_propios, de_grupos, ambos, inactivo, jefe, nadie, AnonymousUser()]


def _de_nuevo(usuario):
    """The user as the next request loads it: no permission cached."""
    return usuario if usuario.is_anonymous else User.objects.get(pk=usuario.pk)


def test_it_grants_exactly_what_model_backend_grants():
    for usuario in _usuarios():
        esperado = ModelBackend().get_all_permissions(_de_nuevo(usuario))
        assert Permisos().get_all_permissions(_de_nuevo(usuario)) == esperado, usuario
        for codigo in ("cases.view_caso", "cases.add_caso", "cases.delete_caso", "x.y"):
            assert Permisos().has_perm(_de_nuevo(usuario), codigo) == ModelBackend().has_perm(
                _de_nuevo(usuario), codigo
            )
    ambos = User.objects.get(username="ambos")
    assert Permisos().get_all_permissions(ambos) == {
        "cases.view_caso",
        "cases.change_caso",
        "cases.delete_caso",
    }
    # Nothing per object, as ModelBackend.
    assert Permisos().get_all_permissions(ambos, obj=CasoFactory()) == set()


def test_it_reads_them_with_one_query_per_request(django_assert_num_queries):
    _usuarios()
    ambos = User.objects.get(username="ambos")
    with django_assert_num_queries(1):
        assert ambos.has_perm("cases.view_caso")
        assert ambos.has_perm("cases.change_caso")
        assert not ambos.has_perm("cases.add_caso")


def test_pages_use_it(cliente_soporte, django_assert_num_queries):
    """A page: session, user and one permissions query (ModelBackend: two)."""
    cliente_soporte.get("/casos/rapido/")
    with django_assert_num_queries(3):
        assert cliente_soporte.get("/casos/rapido/").status_code == 200
