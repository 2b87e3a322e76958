"""One-time form tokens: a form submitted twice creates one case."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_actividades_sin_solapes")]

    operations = [
        migrations.CreateModel(
            name="EnvioFormulario",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.UUIDField(unique=True, verbose_name="token")),
                (
                    "creado_en",
                    models.DateTimeField(
                        auto_now_add=True, db_index=True, verbose_name="creado en"
                    ),
                ),
                (
                    "caso",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cases.caso",
                        verbose_name="caso",
                    ),
                ),
            ],
            options={
                "verbose_name": "envío de formulario",
                "verbose_name_plural": "envíos de formulario",
            },
        ),
    ]
