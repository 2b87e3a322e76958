"""The reports over activity rows: ``/actividades/`` (and what the hours report builds on).

One filter panel for all of them (:class:`ActividadFilter`): ``desde`` and ``hasta`` on the
activity's fecha, ``ejecutor`` and ``facturable`` of **the activity**, and every filter of the
case list applied to the activity's case (:class:`FiltrosDelCaso`, the list's own CasoFilter
without its ejecutor, facturable and orden, which here belong to the activity or mean
nothing). The case filters cost nothing when none is set: the activities are then read
from their own date index, without joining the cases.
"""

import datetime

import django_filters
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from efactory.filtros import FiltrosBase, SiNoFilter
from efactory.horas import minutos_a_horas

from .exports import documento, si_no, sin_formula
from .filters import CasoFilter
from .forms import DateInput
from .inicio import lunes_de
from .models import Actividad, Caso, Ejecutor
from .widgets import LupaSelect

# Dates in the URL: ISO (what a date input sends) or dd/mm/aaaa (what people type), in any
# language of the interface.
FORMATOS_FECHA = ["%Y-%m-%d", "%d/%m/%Y"]


class FechaFilter(django_filters.DateFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", FORMATOS_FECHA)
        kwargs.setdefault("widget", DateInput(attrs={"class": "form-control form-control-sm"}))
        super().__init__(*args, field_name="fecha", **kwargs)


class FiltrosDelCaso(CasoFilter):
    """The case list's filters, for the case of each activity row."""

    # The activity's own (ActividadFilter), or meaningless for rows that are not cases.
    ejecutor = None
    facturable = None
    orden = None

    def filter_queryset(self, queryset):
        return FiltrosBase.filter_queryset(self, queryset)

    @property
    def orden_actual(self) -> str:  # pragma: no cover - no ordering here
        return ""


class ActividadFilter(FiltrosBase):
    """The parameters of /actividades/ (and of the hours report)."""

    desde = FechaFilter(label=_("Desde"), lookup_expr="gte")
    hasta = FechaFilter(label=_("Hasta"), lookup_expr="lte")
    ejecutor = django_filters.ModelChoiceFilter(
        label=_("Ejecutor"),
        queryset=Ejecutor.objects.all(),
        empty_label=_("Todos"),
        widget=LupaSelect("ejecutores", _("Buscar ejecutor")),
    )
    facturable = SiNoFilter(label=_("Fact."))

    class Meta:
        model = Actividad
        fields = []

    def __init__(self, data=None, *args, rango_por_omision=None, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None and rango_por_omision and "desde" not in data and "hasta" not in data:
            # No range in the URL: the default one (a week, a month), shown in the form.
            desde, hasta = rango_por_omision
            data["desde"], data["hasta"] = desde.isoformat(), hasta.isoformat()
        super().__init__(data, *args, **kwargs)
        self.del_caso = FiltrosDelCaso(data, queryset=Caso.objects.all(), request=self.request)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.del_caso.activos():
            queryset = queryset.filter(caso__in=self.del_caso.qs.order_by().values("pk"))
        return queryset

    def activos(self, nombres=None) -> int:
        return super().activos(nombres) + self.del_caso.activos(nombres)

    def parametros_ignorados(self) -> list[str]:
        return sorted(super().parametros_ignorados() + self.del_caso.parametros_ignorados())

    @property
    def rango(self) -> tuple[datetime.date | None, datetime.date | None]:
        self.form.is_valid()
        return self.form.cleaned_data.get("desde"), self.form.cleaned_data.get("hasta")


def mes_actual() -> tuple[datetime.date, datetime.date]:
    primero = timezone.localdate().replace(day=1)
    siguiente = (primero + datetime.timedelta(days=32)).replace(day=1)
    return primero, siguiente - datetime.timedelta(days=1)


def ultimos_12_meses() -> tuple[datetime.date, datetime.date]:
    """From the first day of the month 11 months ago to today (12 whole months' columns)."""
    hoy = timezone.localdate()
    mes = hoy.month - 11
    anio = hoy.year + (mes - 1) // 12
    return datetime.date(anio, (mes - 1) % 12 + 1, 1), hoy


class FiltroDeRango(django_filters.FilterSet):
    """Only ``desde`` and ``hasta`` (the charts apply them to several date fields)."""

    desde = FechaFilter(label=_("Desde"))
    hasta = FechaFilter(label=_("Hasta"))

    class Meta:
        model = Actividad
        fields = []

    def rango(self, por_omision) -> tuple[datetime.date, datetime.date]:
        """The valid dates of the URL, the default for a missing or invalid one; reversed
        dates are swapped."""
        self.form.is_valid()
        datos = getattr(self.form, "cleaned_data", {})
        desde = datos.get("desde") or por_omision[0]
        hasta = datos.get("hasta") or por_omision[1]
        return (desde, hasta) if desde <= hasta else (hasta, desde)

    def ignorados(self) -> list[str]:
        self.form.is_valid()
        return sorted(self.form.errors)


def semana_actual() -> tuple[datetime.date, datetime.date]:
    lunes = lunes_de(timezone.localdate())
    return lunes, lunes + datetime.timedelta(days=6)


def totales(actividades) -> dict:
    """Rows, hours and billable hours of the whole filtered set, in one aggregate query."""
    sumas = actividades.order_by().aggregate(
        filas=Count("pk"),
        suma_minutos=Sum("minutos"),
        suma_facturables=Sum("minutos", filter=Q(facturable=True)),
    )
    horas = minutos_a_horas(sumas["suma_minutos"])
    facturables = minutos_a_horas(sumas["suma_facturables"])
    return {
        "filas": sumas["filas"],
        "horas": horas,
        "horas_facturables": facturables,
        "horas_no_facturables": horas - facturables,
    }


# The columns of /actividades/ and of its downloads (SPEC "Reports"), fixed Spanish names.
COLUMNAS_ACTIVIDADES = [
    "Fecha",
    "H/Inicio",
    "H/Fin",
    "Horas",
    "Ejecutor",
    "Documento",
    "Asunto",
    "Cliente",
    "Actividad",
    "Fact.",
]
ANCHOS_ACTIVIDADES = [11, 8, 8, 8, 24, 11, 45, 32, 60, 6]
ORDEN_ACTIVIDADES = ("fecha", "hora_inicio", "pk")
CHUNK = 2000


def filas_de_actividades(actividades):
    """One list of cell values per activity (COLUMNAS_ACTIVIDADES), streamed CHUNK at a time."""
    valores = (
        actividades.order_by(*ORDEN_ACTIVIDADES)
        .values_list(
            "fecha",
            "hora_inicio",
            "hora_fin",
            "minutos",
            "ejecutor__nombre",
            "caso__numero",
            "caso__asunto",
            "caso__cliente__nombre",
            "descripcion",
            "facturable",
            named=True,
        )
        .iterator(chunk_size=CHUNK)
    )
    for a in valores:
        yield [
            a.fecha,
            a.hora_inicio,
            a.hora_fin,
            minutos_a_horas(a.minutos),
            sin_formula(a.ejecutor__nombre),
            documento(a.caso__numero),
            sin_formula(a.caso__asunto),
            sin_formula(a.caso__cliente__nombre),
            sin_formula(a.descripcion),
            si_no(a.facturable),
        ]
