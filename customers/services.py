"""Writes that touch several models of customers."""

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Cliente


class ConflictoDeVersion(Exception):
    """The client was saved by someone else after the editor page was loaded."""

    def __init__(self, version_actual: int):
        super().__init__(version_actual)
        self.version_actual = version_actual


def guardar_cliente(*, form, formset) -> Cliente:
    """Save a valid client form and its Contactos formset in one transaction.

    Both must already be valid. Editing locks the client's row and refuses (raises
    :class:`ConflictoDeVersion`) when its version is not the one the page was loaded with;
    each save of an existing client increments the version.
    """
    with transaction.atomic():
        cliente = form.save(commit=False)
        if cliente.pk:
            actual = (
                Cliente.objects.select_for_update()
                .filter(pk=cliente.pk)
                .values_list("version", flat=True)
                .order_by("pk")
                .first()
            )
            if actual is None:
                raise Http404(_("El cliente ya no existe."))
            enviada = form.cleaned_data.get("version")
            if enviada is not None and enviada != actual:
                raise ConflictoDeVersion(actual)
            cliente.version = actual + 1
        cliente.save()
        form.save_m2m()
        formset.instance = cliente
        formset.save()
    return cliente
