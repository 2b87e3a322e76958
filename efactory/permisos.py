"""Django's permissions, read with one query instead of two; the session's user and the
permissions read with SQL compiled once per process (efactory/preparadas.py).

``ModelBackend`` reads a user's own permissions and their groups' permissions with a query
each, the first time a request asks (every page asks: its view's permission and the links
its template shows). This backend reads both in one ``UNION`` and answers everything else as
``ModelBackend`` does: the same permission names, nothing for an inactive or anonymous user,
or for an object. tests/test_permisos_backend.py compares both on users of every kind.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import router

from efactory.preparadas import Preparada, PreparadaDeModelos

NOMBRES = ("content_type__app_label", "codename")


def _de_un_usuario(pk):
    """A user's own permissions and their groups', as (app_label, codename) rows."""
    grupos = get_user_model()._meta.get_field("groups").related_query_name()
    propios = Permission.objects.filter(user=pk).values_list(*NOMBRES)
    de_grupos = Permission.objects.filter(**{f"group__{grupos}": pk}).values_list(*NOMBRES)
    return propios.order_by().union(de_grupos.order_by())


# Compiled once per process (efactory/preparadas.py): every page reads them.
DE_UN_USUARIO = Preparada(_de_un_usuario, parametros=lambda pk: [pk, pk])
TODOS = Preparada(lambda: Permission.objects.values_list(*NOMBRES))
USUARIO = PreparadaDeModelos(lambda pk: get_user_model()._default_manager.filter(pk=pk))


class Permisos(ModelBackend):
    def get_user(self, user_id):
        """ModelBackend's: the session's user, or None (gone, or unable to log in)."""
        modelo = get_user_model()
        usuarios = USUARIO.filas(user_id, using=router.db_for_read(modelo))
        if len(usuarios) != 1:
            return None
        return usuarios[0] if self.user_can_authenticate(usuarios[0]) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = self._en_una_consulta(user_obj)
        return user_obj._perm_cache

    @staticmethod
    def _en_una_consulta(user_obj) -> set[str]:
        using = router.db_for_read(Permission)
        if user_obj.is_superuser:
            filas = TODOS.filas(using=using)
        else:
            filas = DE_UN_USUARIO.filas(user_obj.pk, using=using)
        return {f"{app}.{codigo}" for app, codigo in filas}
