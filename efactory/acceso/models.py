"""django-axes' tables as proxy models with Spanish names (no tables of their own)."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils.translation import gettext_lazy as _


class IntentoFallido(AccessAttempt):
    """Failed logins of one username from one address: what the lockout counts."""

    class Meta:
        proxy = True
        verbose_name = _("intento fallido")
        verbose_name_plural = _("intentos fallidos")


class FalloDeAcceso(AccessFailureLog):
    """Each failed login, and whether it locked the user out."""

    class Meta:
        proxy = True
        verbose_name = _("fallo de inicio de sesión")
        verbose_name_plural = _("fallos de inicio de sesión")


class RegistroDeAcceso(AccessLog):
    """Each successful login, with its logout time."""

    class Meta:
        proxy = True
        verbose_name = _("registro de acceso")
        verbose_name_plural = _("registros de acceso")
