from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("Servicio y Soporte")

    def ready(self):
        # Registers f_unaccent on SQLite connections (PostgreSQL gets it from a migration).
        from efactory import busqueda  # noqa: F401
