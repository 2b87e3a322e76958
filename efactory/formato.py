"""How a value reads to a person: one formatter for the Historial, the conflict panel, the
Actividades rows and the templates.

Dates dd/mm/aaaa, times HH:MM, date-times dd/mm/aaaa HH:MM in the local time zone (the
formats themselves are efactory/formats/es/formats.py), decimal numbers with the Spanish
comma (``2,50``), booleans Sí/No, a choice by its label and a related row by its name. An
empty value reads "—" where a person compares values (:func:`texto`, :func:`valor_de_campo`)
and "" in a single cell (the others).

Templates load these as filters (``{% load formato %}``, a library named in the TEMPLATES
setting: ``|fecha``, ``|hora``, ``|fecha_hora``, ``|decimal``, ``|si_no``) instead of spelling
formats out by hand. CSV and XLSX files keep their own machine-readable formats
(cases/exports.py).
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _

VACIO = "—"

register = template.Library()


@register.filter
def fecha(valor) -> str:
    """A date as dd/mm/aaaa (a date-time: its local date)."""
    if valor in (None, ""):
        return ""
    if isinstance(valor, datetime.datetime) and timezone.is_aware(valor):
        valor = timezone.localtime(valor)
    return formats.date_format(valor, "SHORT_DATE_FORMAT")


@register.filter
def hora(valor) -> str:
    """A time as HH:MM."""
    if valor in (None, ""):
        return ""
    return formats.time_format(valor, "TIME_FORMAT")


@register.filter
def fecha_hora(valor, segundos="") -> str:
    """A date-time as dd/mm/aaaa HH:MM in the local time zone (``segundos``: HH:MM:SS)."""
    if valor in (None, ""):
        return ""
    if timezone.is_aware(valor):
        valor = timezone.localtime(valor)
    formato = formats.get_format("SHORT_DATETIME_FORMAT")
    return formats.date_format(valor, f"{formato}:s" if segundos else formato)


@register.filter(name="decimal")
def decimal_local(valor, decimales: int | None = 2) -> str:
    """``valor`` as a person reads it in the active language ("2,50" in Spanish).

    ``decimales=None`` keeps the value's own decimal places. Empty values give "".
    """
    if valor is None or valor == "":
        return ""
    numero = valor if isinstance(valor, Decimal) else Decimal(str(valor))
    if decimales is not None:
        decimales = int(decimales)  # from a template: |decimal:"1"
        # Django's number_format cuts extra decimals off; round them instead.
        numero = numero.quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP)
    return formats.number_format(numero, decimal_pos=decimales, use_l10n=True)


def entero(valor: int) -> str:
    """A whole number with the thousands grouped as the active language writes them
    ("10.000" in Spanish): a limit or a count a person reads in a message."""
    return formats.number_format(valor, use_l10n=True, force_grouping=True)


@register.filter
def si_no(valor) -> str:
    """A boolean as Sí or No."""
    return _("Sí") if valor else _("No")


def texto(valor) -> str:
    """Any stored or submitted value as a person reads it, by its type ("—" when empty)."""
    if valor in (None, ""):
        return VACIO
    if isinstance(valor, bool):
        return si_no(valor)
    if isinstance(valor, datetime.datetime):
        return fecha_hora(valor)
    if isinstance(valor, datetime.date):
        return fecha(valor)
    if isinstance(valor, datetime.time):
        return hora(valor)
    if isinstance(valor, Decimal):
        return decimal_local(valor)
    return str(valor)


def valor_de_campo(campo: models.Field, valor, nombres=None) -> str:
    """The value of the model field ``campo`` as a person reads it ("—" when empty).

    A choice reads as its label; a foreign key (its raw key, as history records keep it)
    as the name in ``nombres`` ({(related model, pk): name}, loaded once for many values),
    or ``#pk`` when that row is gone; a decimal with the field's own decimal places.
    """
    if valor in (None, ""):
        return VACIO
    if campo.choices:
        return str(dict(campo.flatchoices).get(valor, valor))
    if isinstance(campo, models.ForeignKey):
        if isinstance(valor, models.Model):
            return str(valor)
        return (nombres or {}).get((campo.related_model, valor), f"#{valor}")
    if isinstance(campo, models.BooleanField):
        return si_no(valor)
    if isinstance(campo, models.DecimalField):
        return decimal_local(valor, campo.decimal_places)
    return texto(valor)
