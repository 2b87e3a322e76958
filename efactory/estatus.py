"""The status of a person or client (activo, inactivo, suspendido): one vocabulary for both.

Clientes (customers) and ejecutores (cases) share it, so it lives below both apps.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Estatus(models.TextChoices):
    ACTIVO = "activo", _("Activo")
    INACTIVO = "inactivo", _("Inactivo")
    SUSPENDIDO = "suspendido", _("Suspendido")


class ConEstatus:
    """For a model with an ``estatus`` (ejecutores, clients): the one statement of which rows
    are active, as a database condition (``ACTIVOS``) and for a loaded row
    (``esta_activo()``). The editor's choices, the import, the lupa and the rows' choices
    all ask these; tests/test_estatus.py checks the two agree."""

    ACTIVOS = models.Q(estatus=Estatus.ACTIVO)

    def esta_activo(self) -> bool:
        return self.estatus == Estatus.ACTIVO


class ConActivo:
    """The same for a model with an ``activo`` box (lookup tables, contacts)."""

    ACTIVOS = models.Q(activo=True)

    def esta_activo(self) -> bool:
        return bool(self.activo)


def campo_estatus():
    """The estatus column of an ejecutor or a client: activo by default, indexed (lists and
    lookups filter by it)."""
    return models.CharField(
        _("estatus"), max_length=10, choices=Estatus.choices, default=Estatus.ACTIVO, db_index=True
    )


def estatus_valido(nombre: str) -> models.CheckConstraint:
    """The database's own check that the estatus column holds one of :class:`Estatus`."""
    return models.CheckConstraint(condition=models.Q(estatus__in=Estatus.values), name=nombre)
