"""Trigram indexes for the lupa search over clients and contacts (PostgreSQL only).

They back ``f_unaccent(lower(col)) LIKE '%texto%'``; ``f_unaccent`` and the extensions come
from cases migration 0003.
"""

from django.db import migrations

COLUMNAS = [
    ("customers_cliente", "nombre"),
    ("customers_cliente", "codigo"),
    ("customers_cliente", "email"),
    ("customers_cliente", "rif"),
    ("customers_contacto", "nombre"),
    ("customers_contacto", "email"),
]


def crear(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for tabla, columna in COLUMNAS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {tabla}_{columna}_trgm ON {tabla} "
            f"USING gin (f_unaccent(lower({columna})) gin_trgm_ops)"
        )


def borrar(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for tabla, columna in COLUMNAS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {tabla}_{columna}_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("cases", "0003_busqueda"),
    ]

    operations = [migrations.RunPython(crear, borrar)]
