"""Spanish collation for names; maximum lengths of text fields.

The collation ``es`` itself is created by ``customers`` migration 0004 (PostgreSQL) or
registered on every connection (SQLite, efactory/busqueda.py). The maximum lengths change
no column on PostgreSQL (text stays text); the forms enforce them.
"""

from django.db import migrations, models

COMENTARIO = "Observaciones generales referentes al caso."
SOLUCION = "Comentario asociado a la solución del caso."
DESCRIPCION = "Descripción específica de la actividad desarrollada."


def nombre(max_length):
    return models.CharField(
        db_collation="es", db_index=True, max_length=max_length, verbose_name="nombre"
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_indices_de_orden"), ("customers", "0004_orden_espanol")]

    operations = [
        *[
            migrations.AlterField(model_name=modelo, name="nombre", field=nombre(120))
            for modelo in ("articulo", "clase", "departamento", "grupo")
        ],
        migrations.AlterField(model_name="ejecutor", name="nombre", field=nombre(150)),
        *[
            migrations.AlterField(
                model_name=modelo,
                name="comentario",
                field=models.TextField(
                    blank=True, help_text=COMENTARIO, max_length=10000, verbose_name="comentario"
                ),
            )
            for modelo in ("caso", "historicalcaso")
        ],
        *[
            migrations.AlterField(
                model_name=modelo,
                name="comentario_solucion",
                field=models.TextField(
                    blank=True,
                    help_text=SOLUCION,
                    max_length=10000,
                    verbose_name="comentario de la solución",
                ),
            )
            for modelo in ("caso", "historicalcaso")
        ],
        *[
            migrations.AlterField(
                model_name=modelo,
                name="descripcion",
                field=models.TextField(
                    help_text=DESCRIPCION, max_length=2000, verbose_name="actividad"
                ),
            )
            for modelo in ("actividad", "historicalactividad")
        ],
    ]
