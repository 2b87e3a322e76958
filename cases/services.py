"""Writes that touch several models."""

from django.db import transaction

from .models import Caso


def guardar_caso(*, form, formset, usuario) -> Caso:
    """Save a valid case form and its Actividades formset in one transaction.

    Both must already be valid. A new case gets ``usuario`` as propietario and its document
    number inside the same transaction, so a failure leaves no case, no rows, no number used.
    """
    with transaction.atomic():
        caso = form.save(commit=False)
        if caso.pk is None:
            caso.propietario = usuario
        caso.save()
        form.save_m2m()
        formset.instance = caso
        formset.save()
    return caso
