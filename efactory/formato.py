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
import functools
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

VACIO = "—"

register = template.Library()


# Django's date format characters that are plain numbers, as str.format fields of the value.
_NUMEROS = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
    "H": "{0.hour:02d}",
    "G": "{0.hour}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}


@functools.lru_cache(maxsize=64)
def _plantilla(formato: str) -> str | None:
    """A Django date format made only of numbers and separators ("d/m/Y", "H:i") as a
    ``str.format`` template; None for anything else (names of months, am/pm, escapes).

    Django's ``date_format()`` builds a formatter object and runs a regular expression for
    every value: a page of 200 rows spent more on its dates than on escaping them.
    """
    partes = []
    for caracter in formato:
        if caracter in _NUMEROS:
            partes.append(_NUMEROS[caracter])
        elif caracter in "/-.:, ":
            partes.append(caracter)
        else:
            return None
    return "".join(partes)


def _formatear(valor, nombre: str, extra: str = "") -> str:
    """``formats.date_format(valor, nombre)`` (the active language's format ``nombre`` plus
    ``extra``), through :func:`_plantilla` when the format allows."""
    formato = formats.get_format(nombre) + extra
    plantilla = _plantilla(formato)
    if plantilla is None:
        if isinstance(valor, datetime.time):
            return formats.time_format(valor, formato)
        return formats.date_format(valor, formato)
    return plantilla.format(valor)


@register.filter
def fecha(valor) -> str:
    """A date as dd/mm/aaaa (a date-time: its local date)."""
    if valor in (None, ""):
        return ""
    if isinstance(valor, datetime.datetime) and timezone.is_aware(valor):
        valor = timezone.localtime(valor)
    return _formatear(valor, "SHORT_DATE_FORMAT")


@register.filter
def hora(valor) -> str:
    """A time as HH:MM."""
    if valor in (None, ""):
        return ""
    return _formatear(valor, "TIME_FORMAT")


@register.filter
def fecha_hora(valor, segundos="") -> str:
    """A date-time as dd/mm/aaaa HH:MM in the local time zone (``segundos``: HH:MM:SS)."""
    if valor in (None, ""):
        return ""
    if timezone.is_aware(valor):
        valor = timezone.localtime(valor)
    return _formatear(valor, "SHORT_DATETIME_FORMAT", ":s" if segundos else "")


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


def numero(valor) -> str:
    """``formats.localize(valor)`` for a whole or decimal number ("2,50" in Spanish), without
    ``number_format()``'s settings lookups on every call while thousands are not grouped
    (USE_THOUSAND_SEPARATOR off, as here): a list page writes three numbers a row."""
    if settings.USE_THOUSAND_SEPARATOR or isinstance(valor, bool):
        return formats.localize(valor)
    if isinstance(valor, int):
        return str(valor)
    if isinstance(valor, Decimal) and valor.is_finite():
        _signo, digitos, exponente = valor.as_tuple()
        if abs(exponente) + len(digitos) <= 200:  # beyond, Django writes 1.2e+300
            return f"{valor:f}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))
    return formats.localize(valor)


def entero(valor: int) -> str:
    """A whole number with the thousands grouped as the active language writes them
    ("10.000" in Spanish): a limit or a count a person reads in a message."""
    return formats.number_format(valor, use_l10n=True, force_grouping=True)


def recortar(texto: str, largo: int) -> str:
    """``Truncator(texto).chars(largo)``: at most ``largo`` characters, the last one "…" when
    cut. A text that fits comes back at once (normalized, as Truncator gives it), without
    Truncator's look at every character."""
    texto = unicodedata.normalize("NFC", str(texto))
    if len(texto) <= largo:
        return texto
    return Truncator(texto).chars(largo)


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
