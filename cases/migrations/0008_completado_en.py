"""Caso.completado_en: when the case was completed (filled from history for existing cases)."""

from django.db import migrations, models

COMPLETADA = "completada"
LOTE = 1000


def inicio_de_la_ultima_racha(filas):
    """When the latest run of ``completada`` rows began, or None.

    ``filas`` are one case's (etapa, history_date) history rows, oldest first. The case is
    completed now, so the latest run is the one that reaches the newest row; when the newest
    row is not completada the history does not know when the case was completed.
    """
    inicio = None
    for etapa, fecha in filas:
        if etapa == COMPLETADA:
            if inicio is None:
                inicio = fecha
        else:
            inicio = None
    return inicio


def rellenar_completado_en(apps, schema_editor):
    """Fill completado_en of the cases already completed, and their avance with 100.

    The moment is the first history row of the latest run of consecutive completada rows
    (when the case last became completada); a case without such history gets its
    actualizado_en. One pass over the history of those cases, in the order of the rows.
    """
    Caso = apps.get_model("cases", "Caso")
    HistoricalCaso = apps.get_model("cases", "HistoricalCaso")
    pendientes = Caso.objects.filter(etapa=COMPLETADA, completado_en__isnull=True)

    filas = (
        HistoricalCaso.objects.filter(id__in=pendientes.values("pk"))
        .order_by("id", "history_date", "history_id")
        .values_list("id", "etapa", "history_date")
        .iterator(chunk_size=5000)
    )
    # Read the whole history first, write afterwards: no update while the cursor is open.
    inicios = {}
    actual, suyas = None, []
    for caso_id, etapa, fecha in filas:
        if caso_id != actual:
            if actual is not None:
                inicios[actual] = inicio_de_la_ultima_racha(suyas)
            actual, suyas = caso_id, []
        suyas.append((etapa, fecha))
    if actual is not None:
        inicios[actual] = inicio_de_la_ultima_racha(suyas)
    casos = [Caso(pk=pk, completado_en=inicio) for pk, inicio in inicios.items() if inicio]
    Caso.objects.bulk_update(casos, ["completado_en"], batch_size=LOTE)

    pendientes.update(completado_en=models.F("actualizado_en"))
    # Completing a case sets its avance to 100 from now on; the cases completed before
    # follow the same rule.
    Caso.objects.filter(etapa=COMPLETADA).exclude(avance=100).update(avance=100)


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
        migrations.RunPython(rellenar_completado_en, migrations.RunPython.noop),
    ]
