"""Inicio (``/``): the signed-in person's own work, or the team's.

A person linked to an Ejecutor sees their open cases in Próximos order, their overdue cases
and their hours of this week and the last; a person without one sees the same for the whole
team. Coordinators also see the open cases by etapa, each a link to the filtered list.

Every number is read with a query whose cost does not grow with the data: the cases from the
partial indexes of open cases (``caso_proximos_*`` and ``caso_vencidos_*``), the counts
bounded like the list's (``COTA``: "más de 10.000"), the hours of two weeks from the
activities' date indexes.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from efactory.horas import minutos_a_horas

from .models import Actividad, Caso, Etapa, orden_prioridad

# How many cases each table of Inicio shows; the links lead to the rest.
FILAS = 10
# Counts stop here, like the list's ("más de 10.000").
COTA = 10_000
ETAPAS_ABIERTAS = [(valor, etiqueta) for valor, etiqueta in Etapa.choices if valor != "completada"]


@dataclass(frozen=True)
class Conteo:
    """A count that stops at ``COTA``: ``exacto`` is False past it ("más de")."""

    n: int
    exacto: bool


def conteo_acotado(queryset, cota: int | None = None) -> Conteo:
    """``SELECT COUNT(*) FROM (SELECT id … LIMIT cota + 1)``: what ConteoAcotadoPaginator does
    for the list, so a million open cases count in the time of ten thousand."""
    cota = cota or COTA
    n = queryset.order_by().values("pk")[: cota + 1].count()
    return Conteo(min(n, cota), n <= cota)


def lunes_de(dia: datetime.date) -> datetime.date:
    """The Monday of ``dia``'s ISO week."""
    return dia - datetime.timedelta(days=dia.weekday())


@dataclass(frozen=True)
class Semana:
    nombre: str
    desde: datetime.date
    hasta: datetime.date
    horas: Decimal
    facturables: Decimal

    @property
    def no_facturables(self) -> Decimal:
        return self.horas - self.facturables


def horas_por_semana(actividades, hoy: datetime.date) -> list[Semana]:
    """This ISO week's and last week's hours (total and billable) of ``actividades``, in one
    aggregate query over the two weeks' rows."""
    lunes = lunes_de(hoy)
    anterior = lunes - datetime.timedelta(days=7)
    domingo = lunes + datetime.timedelta(days=6)
    esta, pasada = Q(fecha__gte=lunes), Q(fecha__lt=lunes)
    sumas = actividades.filter(fecha__range=(anterior, domingo)).aggregate(
        esta=Sum("minutos", filter=esta),
        esta_facturable=Sum("minutos", filter=esta & Q(facturable=True)),
        pasada=Sum("minutos", filter=pasada),
        pasada_facturable=Sum("minutos", filter=pasada & Q(facturable=True)),
    )
    return [
        Semana(
            _("Esta semana"),
            lunes,
            domingo,
            minutos_a_horas(sumas["esta"]),
            minutos_a_horas(sumas["esta_facturable"]),
        ),
        Semana(
            _("Semana pasada"),
            anterior,
            lunes - datetime.timedelta(days=1),
            minutos_a_horas(sumas["pasada"]),
            minutos_a_horas(sumas["pasada_facturable"]),
        ),
    ]


def en_orden_de_trabajo(casos):
    """Próximos' order: nivel (highest first), prioridad (alta first), fecha_inicio, numero."""
    return casos.alias(prioridad_orden=orden_prioridad()).order_by(
        F("nivel").desc(), "prioridad_orden", "fecha_inicio", "numero"
    )


def url_con(nombre: str, **parametros) -> str:
    parametros = {clave: valor for clave, valor in parametros.items() if valor is not None}
    return reverse(nombre) + (f"?{urlencode(parametros)}" if parametros else "")


def ejecutor_de(user):
    try:
        return user.ejecutor
    except (ObjectDoesNotExist, AttributeError):
        return None


class InicioView(PermissionRequiredMixin, TemplateView):
    """The home page: my open and overdue cases and my hours (or the team's)."""

    permission_required = "cases.view_caso"
    template_name = "cases/inicio.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        hoy = timezone.localdate()
        ejecutor = ejecutor_de(self.request.user)
        casos, actividades = Caso.objects.all(), Actividad.objects.all()
        if ejecutor is not None:
            # The cases assigned to me; the hours I logged, in any case.
            casos = casos.filter(ejecutor=ejecutor)
            actividades = actividades.filter(ejecutor=ejecutor)
        clave = ejecutor.pk if ejecutor else None
        abiertos = casos.abiertos()
        vencidos = casos.vencidos(hoy)
        context.update(
            ejecutor=ejecutor,
            hoy=hoy,
            # The name column of the tables: the client of my cases, the ejecutor of the team's.
            agrupar="ejecutor" if ejecutor else "cliente",
            abiertos=Actividad.objects.horas_de(
                en_orden_de_trabajo(abiertos).select_related("cliente", "ejecutor")[:FILAS]
            ),
            n_abiertos=conteo_acotado(abiertos),
            vencidos=Actividad.objects.horas_de(
                vencidos.order_by("fecha_cierre", "numero").select_related("cliente", "ejecutor")[
                    :FILAS
                ]
            ),
            n_vencidos=conteo_acotado(vencidos),
            semanas=horas_por_semana(actividades, hoy),
            url_abiertos=url_con("cases:proximos", ejecutor=clave),
            url_lista_abiertos=url_con("cases:caso_list", ejecutor=clave, abiertos="true"),
            url_vencidos=url_con("cases:caso_list", ejecutor=clave, vencidos="true"),
            cota=COTA,
        )
        if self.request.user.has_perm("cases.editar_lote_caso"):
            context["por_etapa"] = [
                (
                    etiqueta,
                    conteo_acotado(Caso.objects.filter(etapa=valor)),
                    url_con("cases:caso_list", etapa=valor or "blanco"),
                )
                for valor, etiqueta in ETAPAS_ABIERTAS
            ]
        return context
