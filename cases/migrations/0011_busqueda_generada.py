"""The search text becomes a column the database computes from asunto and comentario.

Until now ``busqueda`` also held the client's nombre and codigo, written by ``Caso.save``,
``Cliente.save`` and the demo's bulk path; ``bulk_create``, ``bulk_update`` and
``QuerySet.update`` left it stale or empty. A generated column (STORED) is right after every
write; the search reads the client's nombre and codigo from the client's row through the
client's own trigram indexes (``CasoQuerySet.buscar``).

The column holds ``f_unaccent(lower(asunto || ' ' || comentario))``: normalised once on write,
so the trigram index is on the column itself and checking a candidate row is a plain LIKE.
``f_unaccent`` is the IMMUTABLE wrapper of migration 0003 on PostgreSQL and the Python
function registered on every SQLite connection (efactory/busqueda.py).

PostgreSQL: dropping the column drops ``caso_busqueda_trgm``; adding the generated column
rewrites the table once (about 40 s at a million cases), then the index is built on the new
column. SQLite rebuilds the table.
"""

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Concat

import efactory.busqueda

CREAR_INDICE = """
    CREATE INDEX IF NOT EXISTS caso_busqueda_trgm
    ON cases_caso USING gin (busqueda gin_trgm_ops)
"""
INDICE_ANTERIOR = """
    CREATE INDEX IF NOT EXISTS caso_busqueda_trgm
    ON cases_caso USING gin (f_unaccent(lower(busqueda)) gin_trgm_ops)
"""


def crear_indice(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREAR_INDICE)


def restaurar_texto_anterior(apps, schema_editor):
    """Backwards: the old column again holds asunto, comentario, client nombre and codigo."""
    Caso = apps.get_model("cases", "Caso")
    Cliente = apps.get_model("customers", "Cliente")
    for cliente in Cliente.objects.only("pk", "nombre", "codigo").iterator():
        Caso.objects.filter(cliente_id=cliente.pk).update(
            busqueda=Concat(
                "asunto",
                Value(" "),
                "comentario",
                Value(f" {cliente.nombre} {cliente.codigo}"),
                output_field=models.TextField(),
            )
        )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDICE_ANTERIOR)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_envio"),
        ("customers", "0004_orden_espanol"),
    ]

    operations = [
        # Backwards this runs last, once the old column is back.
        migrations.RunPython(migrations.RunPython.noop, restaurar_texto_anterior),
        migrations.RemoveField(model_name="caso", name="busqueda"),
        migrations.AddField(
            model_name="caso",
            name="busqueda",
            field=models.GeneratedField(
                db_persist=True,
                expression=efactory.busqueda.Normalizado(
                    Concat("asunto", Value(" "), "comentario", output_field=models.TextField())
                ),
                help_text=(
                    "Asunto y comentario en minúsculas y sin acentos, para la búsqueda libre."
                ),
                output_field=models.TextField(),
                verbose_name="texto de búsqueda",
            ),
        ),
        migrations.RunPython(crear_indice, migrations.RunPython.noop),
    ]
