"""Decimal numbers the Spanish way: shown with a decimal comma, typed with a comma or a dot.

Templates already localize what ``{{ }}`` prints (``USE_L10N``, ``LANGUAGE_CODE = "es"``: a
``Decimal("2.50")`` prints ``2,50``). What Python turns into text itself, with ``str()`` or
an f-string (the Actividades rows of cases/filas.py, the Historial, the conflict panel), goes
through :func:`decimal_local`. Inputs use :class:`DecimalInput` on a localized form field: a
text box, because the browser's ``type=number`` refuses "2,5" in a Spanish page and sends
nothing, and the localized field accepts "2,5" as well as "2.5".

CSV files keep the dot (SPEC): they are for programs, not people.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

NUMERO_INVALIDO = _("Escriba un número, con coma o punto decimal (por ejemplo 2,5 o 2.5).")


def decimal_local(valor, decimales: int | None = 2) -> str:
    """``valor`` as a person reads it in the active language ("2,50" in Spanish).

    ``decimales=None`` keeps the value's own decimal places. Empty values give "".
    """
    if valor is None or valor == "":
        return ""
    numero = valor if isinstance(valor, Decimal) else Decimal(str(valor))
    if decimales is not None:
        # Django's number_format cuts extra decimals off; round them instead.
        numero = numero.quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP)
    return formats.number_format(numero, decimal_pos=decimales, use_l10n=True)


class DecimalInput(forms.TextInput):
    """A text box for a decimal number, with the numeric keyboard on phones.

    Use it on a localized form field (``localize=True``, or ``Meta.localized_fields``): the
    value is then shown as "40,00" and both "2,5" and "2.5" are read as 2.5.
    """

    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
