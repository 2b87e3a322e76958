from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from efactory.busqueda import COLACION
from efactory.estatus import ConActivo, ConEstatus, campo_estatus, estatus_valido
from efactory.masivo import HistorialMasivo

# Longest address accepted (characters).
MAX_DIRECCION = 500


class Cliente(ConEstatus, models.Model):
    class Tipo(models.TextChoices):
        PERSONA = "persona", _("Persona")
        EMPRESA = "empresa", _("Empresa")

    codigo = models.CharField(
        _("código"), max_length=20, unique=True, help_text=_("Código corto y único del cliente.")
    )
    nombre = models.CharField(_("nombre"), max_length=200, db_index=True, db_collation=COLACION)
    tipo = models.CharField(_("tipo"), max_length=10, choices=Tipo.choices, default=Tipo.EMPRESA)
    rif = models.CharField(
        _("RIF"),
        max_length=20,
        blank=True,
        help_text=_("Registro de información fiscal; opcional, único cuando se indica."),
    )
    email = models.EmailField(_("correo electrónico"), blank=True)
    telefono = models.CharField(_("teléfono"), max_length=40, blank=True)
    direccion = models.TextField(_("dirección"), blank=True, max_length=MAX_DIRECCION)
    estatus = campo_estatus()
    interno = models.BooleanField(
        _("interno"),
        default=False,
        help_text=_("Cliente interno, por ejemplo un departamento de la propia empresa."),
    )
    version = models.PositiveIntegerField(_("versión"), default=1, editable=False)

    history = HistoricalRecords(
        verbose_name=_("historial de cliente"), history_manager=HistorialMasivo
    )

    class Meta:
        verbose_name = _("cliente")
        verbose_name_plural = _("clientes")
        ordering = ["nombre"]
        constraints = [
            models.UniqueConstraint(
                fields=["rif"], condition=~Q(rif=""), name="cliente_rif_unico_si_existe"
            ),
            estatus_valido("cliente_estatus_valido"),
        ]

    def __str__(self):
        return f"{self.nombre} ({self.codigo})"

    def save(self, *args, **kwargs):
        self.rif = (self.rif or "").strip().upper()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("customers:cliente_detail", args=[self.pk])


class Contacto(ConActivo, models.Model):
    cliente = models.ForeignKey(
        Cliente, on_delete=models.CASCADE, related_name="contactos", verbose_name=_("cliente")
    )
    nombre = models.CharField(_("nombre"), max_length=200, db_index=True, db_collation=COLACION)
    cargo = models.CharField(_("cargo"), max_length=100, blank=True)
    email = models.EmailField(_("correo electrónico"), blank=True)
    telefono = models.CharField(_("teléfono"), max_length=40, blank=True)
    activo = models.BooleanField(_("activo"), default=True)

    history = HistoricalRecords(verbose_name=_("historial de contacto"))

    class Meta:
        verbose_name = _("contacto")
        verbose_name_plural = _("contactos")
        ordering = ["nombre"]

    def __str__(self):
        return f"{self.nombre} ({self.cargo})" if self.cargo else self.nombre
