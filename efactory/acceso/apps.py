from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccesoConfig(AppConfig):
    """The login-throttling records of django-axes, under Spanish names in the admin.

    django-axes names its admin section and models in English and ships no Spanish
    translation; this app shows the same tables as proxy models with Spanish names (see
    admin.py). It must come after ``axes`` in INSTALLED_APPS.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "efactory.acceso"
    label = "acceso"
    verbose_name = _("Inicios de sesión")
