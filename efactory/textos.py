"""Maximum lengths of the texts people type, and the message when one is too long.

Every text field has a stated maximum (SPEC): the model's ``max_length`` (``TextField``s
included), which Django turns into the input's ``maxlength`` in the browser and a check on
the server. Limits: asunto 200, comentario and comentario de la solución 10,000, actividad
2,000, dirección 500 characters; names, codes, phones and e-mails as their columns.
"""

from django.utils.translation import gettext_lazy as _

DEMASIADO_LARGO = _(
    "Admite como máximo %(limit_value)d caracteres (tiene %(show_value)d): acorte el texto."
)
