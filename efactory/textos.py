"""Maximum lengths of the texts people type, and the message when one is too long.

Every text field has a stated maximum (SPEC): the model's ``max_length`` (``TextField``s
included), which Django turns into the input's ``maxlength`` in the browser and a check on
the server. Limits: asunto 200, comentario and comentario de la solución 10,000, actividad
2,000, dirección 500 characters; names, codes, phones and e-mails as their columns.
"""

from django.utils.translation import gettext_lazy as _

from .formato import entero


class ConMiles:
    """A validation message whose numbers read as people write them: "10.000", not "10000".

    Django fills a message in with ``message % params`` (ValidationError): this one formats
    the whole numbers among ``params`` first (efactory/formato.py:entero), so its text says
    ``%(limit_value)s`` where Django's says ``%(limit_value)d``.
    """

    def __init__(self, mensaje):
        self.mensaje = mensaje

    def __mod__(self, params):
        return str(self.mensaje) % {
            clave: entero(valor) if type(valor) is int else valor for clave, valor in params.items()
        }

    def __str__(self):
        return str(self.mensaje)


DEMASIADO_LARGO = ConMiles(
    _("Admite como máximo %(limit_value)s caracteres (tiene %(show_value)s): acorte el texto.")
)
