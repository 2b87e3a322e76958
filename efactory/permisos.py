"""Django's permissions, read with one query instead of two.

``ModelBackend`` reads a user's own permissions and their groups' permissions with a query
each, the first time a request asks (every page asks: its view's permission and the links
its template shows). This backend reads both in one ``UNION`` and answers everything else as
``ModelBackend`` does: the same permission names, nothing for an inactive or anonymous user,
or for an object. tests/test_permisos_backend.py compares both on users of every kind.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class Permisos(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = self._en_una_consulta(user_obj)
        return user_obj._perm_cache

    @staticmethod
    def _en_una_consulta(user_obj) -> set[str]:
        nombres = ("content_type__app_label", "codename")
        if user_obj.is_superuser:
            filas = Permission.objects.values_list(*nombres)
        else:
            grupos = get_user_model()._meta.get_field("groups").related_query_name()
            propios = Permission.objects.filter(user=user_obj).values_list(*nombres)
            de_grupos = Permission.objects.filter(**{f"group__{grupos}": user_obj})
            filas = propios.order_by().union(de_grupos.values_list(*nombres).order_by())
        return {f"{app}.{codigo}" for app, codigo in filas}
