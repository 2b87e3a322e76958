"""Writes that touch several models of customers."""

from django.db import transaction

from efactory import versiones

from .models import Cliente


def guardar_cliente(*, form, formset, version: int | None = None) -> Cliente:
    """Save a valid client form and its Contactos formset in one transaction.

    Both must already be valid. An existing client is saved only if its stored version is
    still ``version`` (the one the user's page was loaded with; None is stale): see
    :func:`efactory.versiones.tomar_version`. Otherwise nothing is written and
    :class:`~efactory.versiones.ConflictoDeVersion` is raised (``actual`` None: the client
    was deleted meanwhile).
    """
    with transaction.atomic():
        cliente = form.save(commit=False)
        if cliente.pk:
            cliente.version = versiones.tomar_version(Cliente, cliente.pk, version)
        cliente.save()
        form.save_m2m()
        formset.instance = cliente
        formset.save()
    return cliente
