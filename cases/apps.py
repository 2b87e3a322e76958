import importlib

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def restaurar_disparadores(sender, using="default", **kwargs):
    """Put back the SQLite overlap triggers (migration 0009) after every migrate.

    SQLite alters a column by rebuilding its table, which drops the table's triggers: a
    later migration touching cases_actividad would silently remove the rule. Idempotent.
    """
    from django.db import connections

    conexion = connections[using]
    if conexion.vendor != "sqlite":
        return
    migracion = importlib.import_module("cases.migrations.0009_actividades_sin_solapes")
    with conexion.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cases_actividad'"
        )
        if cursor.fetchone() is None:
            return
        for sql in migracion.SQLITE_CREAR:
            cursor.execute(sql)


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("Servicio y Soporte")

    def ready(self):
        # Registers f_unaccent on SQLite connections (PostgreSQL gets it from a migration).
        from efactory import busqueda  # noqa: F401

        post_migrate.connect(restaurar_disparadores, sender=self)
        # A stopping gunicorn worker waits for the imports running in its threads.
        from efactory.trabajador import deteniendose

        from .tareas import esperar_al_detenerse

        deteniendose.connect(esperar_al_detenerse, dispatch_uid="importaciones")
