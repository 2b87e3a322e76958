"""Caso.completado_en: when the case was completed (filled from history for existing cases)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_orden_espanol")]

    operations = [
        migrations.AddField(
            model_name="caso",
            name="completado_en",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="Cuándo pasó el caso a la etapa Completada; se borra si se reabre.",
                null=True,
                verbose_name="completado en",
            ),
        ),
        migrations.AddField(
            model_name="historicalcaso",
            name="completado_en",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="Cuándo pasó el caso a la etapa Completada; se borra si se reabre.",
                null=True,
                verbose_name="completado en",
            ),
        ),
        # The data migration that fills completado_en for cases already completed follows
        # here (RunPython).
    ]
