"""Free-text search: the ``busqueda`` column, and on PostgreSQL unaccent + pg_trgm indexes.

``f_unaccent`` wraps ``unaccent`` as IMMUTABLE so it can be used in index expressions
(``unaccent`` itself is only STABLE because its dictionary could change). The GIN trigram
indexes back ``f_unaccent(lower(col)) LIKE '%term%'``. SQLite registers an equivalent Python
``f_unaccent`` on each connection (efactory/busqueda.py) and needs no index.
"""

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Concat

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
    """,
    """
    CREATE INDEX IF NOT EXISTS caso_busqueda_trgm
    ON cases_caso USING gin (f_unaccent(lower(busqueda)) gin_trgm_ops)
    """,
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS caso_busqueda_trgm",
]


def crear_indices(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in PG_FORWARD:
        schema_editor.execute(sql)


def borrar_indices(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in PG_BACKWARD:
        schema_editor.execute(sql)


def rellenar_busqueda(apps, schema_editor):
    Cliente = apps.get_model("customers", "Cliente")
    Caso = apps.get_model("cases", "Caso")
    for cliente in Cliente.objects.only("pk", "nombre", "codigo").iterator():
        Caso.objects.filter(cliente_id=cliente.pk).update(
            busqueda=Concat(
                "asunto",
                Value(" "),
                "comentario",
                Value(" "),
                Value(cliente.nombre),
                Value(" "),
                Value(cliente.codigo),
                output_field=models.TextField(),
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_grupos_y_secuencia"),
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="caso",
            name="busqueda",
            field=models.TextField(
                blank=True,
                default="",
                editable=False,
                help_text="Asunto, comentario y cliente juntos, para la búsqueda libre.",
                verbose_name="texto de búsqueda",
            ),
        ),
        migrations.RunPython(rellenar_busqueda, migrations.RunPython.noop),
        migrations.RunPython(crear_indices, borrar_indices),
    ]
