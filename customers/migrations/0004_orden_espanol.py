"""Spanish collation for names; maximum lengths of text fields.

The name columns use the collation ``es`` (efactory/busqueda.py): on PostgreSQL an ICU
collation created here (deterministic, so ``=``, ``LIKE`` and the trigram indexes of migration
0002 keep working; PostgreSQL rebuilds those indexes when the column changes); on SQLite a
Python collation registered on every connection.
"""

from django.db import migrations, models

# Frozen copy of efactory.busqueda.SQL_COLACION_POSTGRESQL.
CREAR_COLACION = "CREATE COLLATION IF NOT EXISTS \"es\" (provider = icu, locale = 'es')"
BORRAR_COLACION = 'DROP COLLATION IF EXISTS "es"'


def crear_colacion(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREAR_COLACION)


def borrar_colacion(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BORRAR_COLACION)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_historial")]

    operations = [
        migrations.RunPython(crear_colacion, borrar_colacion),
        migrations.AlterField(
            model_name="cliente",
            name="nombre",
            field=models.CharField(
                db_collation="es", db_index=True, max_length=200, verbose_name="nombre"
            ),
        ),
        migrations.AlterField(
            model_name="contacto",
            name="nombre",
            field=models.CharField(
                db_collation="es", db_index=True, max_length=200, verbose_name="nombre"
            ),
        ),
        migrations.AlterField(
            model_name="cliente",
            name="direccion",
            field=models.TextField(blank=True, max_length=500, verbose_name="dirección"),
        ),
        migrations.AlterField(
            model_name="historicalcliente",
            name="direccion",
            field=models.TextField(blank=True, max_length=500, verbose_name="dirección"),
        ),
    ]
