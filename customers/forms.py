"""Forms of the client editor: the client itself and one row of its contacts."""

from crispy_forms.layout import HTML, Div, Fieldset
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from efactory import versiones
from efactory.formsets import FilaForm, LecturaDirecta
from efactory.formularios import Celda, ayudante
from efactory.textos import DEMASIADO_LARGO

from .models import Cliente, Contacto

CORREO_INVALIDO = _("Escriba un correo electrónico válido, p. ej. nombre@empresa.com.")


class ClienteForm(LecturaDirecta, forms.ModelForm):
    """The client's data. It has no prefix, so its inputs carry the model's field names.

    ``version`` is the client's version when the page was loaded: saving over a newer one
    is refused (see ``efactory.versiones``).
    """

    version = versiones.CampoVersion()

    class Meta:
        model = Cliente
        fields = [
            "codigo",
            "nombre",
            "tipo",
            "estatus",
            "rif",
            "email",
            "telefono",
            "interno",
            "direccion",
        ]
        widgets = {
            "direccion": forms.Textarea(attrs={"rows": 2}),
            "email": forms.EmailInput(),
            "telefono": forms.TextInput(attrs={"type": "tel"}),
        }
        error_messages = {
            "codigo": {
                "required": _("Escriba el código del cliente."),
                "unique": _("Ya existe otro cliente con este código."),
                "max_length": _(
                    "El código admite como máximo %(limit_value)d caracteres "
                    "(tiene %(show_value)d)."
                ),
            },
            "nombre": {
                "required": _("Escriba el nombre del cliente."),
                "max_length": _(
                    "El nombre admite como máximo %(limit_value)d caracteres "
                    "(tiene %(show_value)d)."
                ),
            },
            "rif": {
                "max_length": _(
                    "El RIF admite como máximo %(limit_value)d caracteres (tiene %(show_value)d)."
                ),
            },
            "email": {
                "invalid": _("Escriba un correo electrónico válido, p. ej. nombre@empresa.com.")
            },
            "telefono": {"max_length": DEMASIADO_LARGO},
            "direccion": {"max_length": DEMASIADO_LARGO},
            "tipo": {"invalid_choice": _("Elija Persona o Empresa.")},
            "estatus": {"invalid_choice": _("Elija Activo, Inactivo o Suspendido.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        self.helper = ayudante(
            Fieldset(
                _("Datos del cliente"),
                Div(
                    Celda("codigo", "col-sm-4 col-lg-2"),
                    Celda("nombre", "col-sm-8 col-lg-6"),
                    Celda("tipo", "col-sm-6 col-lg-2"),
                    Celda("estatus", "col-sm-6 col-lg-2"),
                    Celda("rif", "col-sm-6 col-lg-3"),
                    Celda("email", "col-sm-6 col-lg-5"),
                    Celda("telefono", "col-sm-6 col-lg-4"),
                    Celda("direccion", "col-lg-8"),
                    Celda("interno", "col-lg-4 pt-lg-4"),
                    css_class="row g-3",
                ),
                "version",
                css_id="seccion-cliente",
            ),
            HTML('{% include "customers/_contactos.html" %}'),
        )

    def otro_cliente(self, **filtro) -> Cliente | None:
        """Another client (not this one) matching ``filtro``, if any."""
        qs = Cliente.objects.filter(**filtro)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        return qs.only("pk", "nombre", "codigo").first()

    def clean_codigo(self):
        codigo = self.cleaned_data["codigo"]
        # "c001" next to "C001" is a typo, not a new client.
        otro = self.otro_cliente(codigo__iexact=codigo)
        if otro:
            raise ValidationError(
                _("Ya existe el cliente «%(nombre)s» con el código %(codigo)s."),
                code="unique",
                params={"nombre": otro.nombre, "codigo": otro.codigo},
            )
        return codigo

    def clean_rif(self):
        """The RIF as stored (trimmed, upper case), unique among clients when set.

        The model's conditional unique constraint would only say "constraint violated";
        this names the client that already has it.
        """
        rif = (self.cleaned_data.get("rif") or "").strip().upper()
        if rif:
            otro = self.otro_cliente(rif=rif)
            if otro:
                raise ValidationError(
                    _("Ya existe el cliente «%(nombre)s» (%(codigo)s) con el RIF %(rif)s."),
                    code="unique",
                    params={"nombre": otro.nombre, "codigo": otro.codigo, "rif": rif},
                )
        return rif


class ContactoForm(FilaForm):
    """One row of the client's Contactos."""

    class Meta:
        model = Contacto
        fields = ["nombre", "cargo", "email", "telefono", "activo"]
        widgets = {
            "email": forms.EmailInput(),
            "telefono": forms.TextInput(attrs={"type": "tel"}),
        }
        error_messages = {
            "nombre": {
                "required": _("Escriba el nombre del contacto."),
                "max_length": _(
                    "El nombre admite como máximo %(limit_value)d caracteres "
                    "(tiene %(show_value)d)."
                ),
            },
            "email": {
                "invalid": _("Escriba un correo electrónico válido, p. ej. nombre@empresa.com.")
            },
        }
