"""Decimal numbers the Spanish way: shown with a decimal comma, typed with a comma or a dot.

Templates already localize what ``{{ }}`` prints (``USE_L10N``, ``LANGUAGE_CODE = "es"``: a
``Decimal("2.50")`` prints ``2,50``). What Python turns into text itself (the Actividades rows
of cases/filas.py, the Historial, the conflict panel) goes through :func:`decimal_local` of
efactory/formato.py, the one formatter for dates and numbers (re-exported here). Inputs use
:class:`DecimalInput` on a localized form field: a text box, because the browser's
``type=number`` refuses "2,5" in a Spanish page and sends nothing, and the localized field
accepts "2,5" as well as "2.5".

CSV files keep the dot (SPEC): they are for programs, not people.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from efactory.formato import decimal_local  # noqa: F401  (re-exported)

NUMERO_INVALIDO = _("Escriba un número, con coma o punto decimal (por ejemplo 2,5 o 2.5).")


class DecimalInput(forms.TextInput):
    """A text box for a decimal number, with the numeric keyboard on phones.

    Use it on a localized form field (``localize=True``, or ``Meta.localized_fields``): the
    value is then shown as "40,00" and both "2,5" and "2.5" are read as 2.5.
    """

    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
