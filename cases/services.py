"""Writes that touch several models."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from .conflictos import ConflictoDeVersion
from .models import Caso


def guardar_caso(*, form, formset, usuario, version: int | None = None) -> Caso:
    """Save a valid case form and its Actividades formset in one transaction.

    Both must already be valid. A new case gets ``usuario`` as propietario and its document
    number inside the same transaction, so a failure leaves no case, no rows, no number used.

    An existing case is saved only if its stored ``version`` is still ``version`` (the one
    the user's page was loaded with): the check is the database's own
    ``UPDATE … SET version = version + 1 WHERE id = … AND version = …``, which takes the
    row lock, so it holds across processes. Otherwise nothing is written and
    ConflictoDeVersion is raised.
    """
    with transaction.atomic():
        caso = form.save(commit=False)
        if caso.pk is None:
            caso.propietario = usuario
        else:
            tomados = Caso.objects.filter(pk=caso.pk, version=version).update(
                version=F("version") + 1
            )
            if not tomados:
                raise ConflictoDeVersion
            caso.version = version + 1
        caso.save()
        form.save_m2m()
        formset.instance = caso
        formset.save()
    return caso


def seguimiento_en_lote(*, casos, cambios: dict, usuario) -> int:
    """Apply ``cambios`` (field → value) to ``casos`` in one transaction; return how many changed.

    Rows are locked first (SELECT … FOR UPDATE on PostgreSQL) so a concurrent edit cannot
    interleave; only cases whose values really change are written, and each written case
    gets a new ``version`` and ``actualizado_en``.
    """
    if not cambios:
        return 0
    ids = [caso.pk for caso in casos]
    with transaction.atomic():
        bloqueados = list(Caso.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        ahora = timezone.now()
        cambiados = []
        # Compare and set raw column values (ejecutor_id, …): no query per case.
        nuevos = {
            Caso._meta.get_field(campo).attname: getattr(valor, "pk", valor)
            for campo, valor in cambios.items()
        }
        for caso in bloqueados:
            if all(getattr(caso, attname) == valor for attname, valor in nuevos.items()):
                continue
            for attname, valor in nuevos.items():
                setattr(caso, attname, valor)
            caso.version += 1
            caso.actualizado_en = ahora
            cambiados.append(caso)
        # One UPDATE per batch plus one INSERT of history rows: the Historial of each case
        # records the change and who made it.
        bulk_update_with_history(
            cambiados,
            Caso,
            [*cambios, "version", "actualizado_en"],
            batch_size=500,
            default_user=usuario,
            default_change_reason=_("Seguimiento de casos"),
        )
    return len(cambiados)
