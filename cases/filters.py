"""Filters, free-text search and sorting of the case list (and of its export)."""

import django_filters
from django import forms
from django.db.models import Case, DurationField, ExpressionWrapper, F, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Cliente

from .forms import DateInput
from .models import (
    Articulo,
    Caso,
    Clase,
    Complejidad,
    Departamento,
    Ejecutor,
    Etapa,
    Grupo,
    Origen,
    Prioridad,
    orden_etapa,
)
from .widgets import LupaSelect

BLANCO = "blanco"  # URL value for the empty etapa/origen/complejidad ("En blanco")


def con_blanco(choices):
    """Choices of a field whose empty value is a real option: '' becomes 'blanco'."""
    return [(BLANCO if value == "" else value, label) for value, label in choices]


class DateRangeInput(django_filters.widgets.DateRangeWidget):
    """Two HTML date inputs named <campo>_after and <campo>_before.

    Each is the editor's DateInput, which shows a dd/mm/aaaa value of the URL as the ISO
    value a date input needs (otherwise ?fecha_inicio_after=31/12/2026 filters but the box
    stays empty).
    """

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs)
        css = {"class": "form-control form-control-sm"}
        self.widgets = [DateInput(attrs=css), DateInput(attrs=css)]


class SiNoTodos(forms.NullBooleanSelect):
    """A yes/no/any select in Spanish whose values are the URL's true/false."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("Todos")), ("true", _("Sí")), ("false", _("No"))]

    def value_from_datadict(self, data, files, name):
        # Hand an unrecognised value (?interno=maybe) to the field, which rejects it, so the
        # list can say it was ignored instead of dropping it silently.
        crudo = data.get(name)
        valor = super().value_from_datadict(data, files, name)
        return crudo if valor is None and crudo not in (None, "", "unknown") else valor


class SiNoField(forms.NullBooleanField):
    """true, false or empty (any); anything else is invalid."""

    widget = SiNoTodos
    default_error_messages = {"invalid": _("Elija Sí, No o Todos.")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        valor = super().to_python(value)
        if valor is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return valor


class SiNoFilter(django_filters.BooleanFilter):
    field_class = SiNoField


class CasillaInput(forms.CheckboxInput):
    """A checkbox that hands the raw URL value to its field (CheckboxInput takes "maybe"
    for True)."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class CasillaField(forms.Field):
    """A checkbox kept in the URL: ``true`` ticks it; absent, empty or ``false`` leave it off.

    Anything else is invalid, so the list says the value was ignored.
    """

    widget = CasillaInput
    default_error_messages = {"invalid": _("Use true para marcarlo.")}

    def to_python(self, value):
        if value in (None, "", "false", False):
            return False
        if value in ("true", "on", True):
            return True
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class CasillaFilter(django_filters.BooleanFilter):
    """Filters only when ticked (``?vencidos=true``); ``false`` is the same as absent."""

    field_class = CasillaField


def dias_en_ejecucion(hoy=None):
    """SQL for días en ejecución: to today, or to fecha_cierre once completada; ≥ 0."""
    hoy = hoy or timezone.localdate()
    hasta = Case(
        When(etapa=Etapa.COMPLETADA, fecha_cierre__isnull=False, then=F("fecha_cierre")),
        default=Value(hoy),
    )
    return Greatest(
        ExpressionWrapper(hasta - F("fecha_inicio"), output_field=DurationField()),
        Value(timezone.timedelta(0)),
        output_field=DurationField(),
    )


# ?orden=<clave> → what the database sorts by; numero, in the same direction, breaks ties
# so pages are stable and each (key, numero) pair is read straight from an index.
ORDENES = {
    "numero": "numero",
    "prioridad": "prioridad_orden",
    "fecha_inicio": "fecha_inicio",
    "cliente": "cliente__nombre",
    "ejecutor": "ejecutor__nombre",
    "etapa": "etapa_orden",
    "avance": "avance",
    "nivel": "nivel",
    "dias": "dias_orden",
}
ORDEN_POR_DEFECTO = "-numero"
ANULABLES = {"ejecutor__nombre"}
ORDEN_CHOICES = [(k, k) for k in ORDENES] + [(f"-{k}", f"-{k}") for k in ORDENES]


def ordenar(queryset, orden: str):
    """Sort by a whitelisted key (``-`` for descending); anything else gets the default."""
    descendente = orden.startswith("-")
    clave = orden.lstrip("-")
    if clave not in ORDENES:
        return ordenar(queryset, ORDEN_POR_DEFECTO)
    principal = ORDENES[clave]
    if clave == "prioridad":
        # alta first when ascending: alta=0, media=1, baja=2
        queryset = queryset.con_orden_prioridad()
    elif clave == "etapa":
        queryset = queryset.alias(etapa_orden=orden_etapa())
    elif clave == "dias":
        queryset = queryset.alias(dias_orden=dias_en_ejecucion())
    # Only nullable keys ask for NULLS LAST: on a NOT NULL column it would stop PostgreSQL
    # from reading the ordered index and make it sort a million rows instead.
    nulo = True if principal in ANULABLES else None
    if descendente:
        return queryset.order_by(F(principal).desc(nulls_last=nulo), F("numero").desc())
    return queryset.order_by(F(principal).asc(nulls_last=nulo), F("numero").asc())


class CasoFilter(django_filters.FilterSet):
    """The query parameters of /casos/ and /casos/exportar/ (bookmarkable)."""

    q = django_filters.CharFilter(
        label=_("Buscar"),
        method="filtrar_texto",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Documento, asunto, comentario, cliente")}
        ),
    )
    prioridad = django_filters.ChoiceFilter(
        label=_("Prioridad"), choices=Prioridad.choices, empty_label=_("Todas")
    )
    etapa = django_filters.ChoiceFilter(
        label=_("Etapa"),
        choices=con_blanco(Etapa.choices),
        method="filtrar_con_blanco",
        empty_label=_("Todas"),
    )
    abiertos = django_filters.BooleanFilter(
        label=_("Solo abiertos"),
        method="filtrar_abiertos",
        widget=forms.CheckboxInput,
    )
    vencidos = CasillaFilter(label=_("Solo vencidos"), method="filtrar_vencidos")
    cliente = django_filters.ModelChoiceFilter(
        label=_("Cliente"),
        queryset=Cliente.objects.all(),
        widget=LupaSelect("clientes", _("Buscar cliente")),
    )
    coordinador = django_filters.ModelChoiceFilter(
        label=_("Coord."), queryset=Ejecutor.objects.order_by("nombre"), empty_label=_("Todos")
    )
    ejecutor = django_filters.ModelChoiceFilter(
        label=_("Ejecutor"), queryset=Ejecutor.objects.order_by("nombre"), empty_label=_("Todos")
    )
    grupo = django_filters.ModelChoiceFilter(
        label=_("Grupo"), queryset=Grupo.objects.all(), empty_label=_("Todos")
    )
    departamento = django_filters.ModelChoiceFilter(
        label=_("Depto."), queryset=Departamento.objects.all(), empty_label=_("Todos")
    )
    articulo = django_filters.ModelChoiceFilter(
        label=_("Artículo"), queryset=Articulo.objects.all(), empty_label=_("Todos")
    )
    clase = django_filters.ModelChoiceFilter(
        label=_("Clase"), queryset=Clase.objects.all(), empty_label=_("Todas")
    )
    origen = django_filters.ChoiceFilter(
        label=_("Origen"),
        choices=con_blanco(Origen.choices),
        method="filtrar_con_blanco",
        empty_label=_("Todos"),
    )
    complejidad = django_filters.ChoiceFilter(
        label=_("Complejidad"),
        choices=con_blanco(Complejidad.choices),
        method="filtrar_con_blanco",
        empty_label=_("Todas"),
    )
    fecha_inicio = django_filters.DateFromToRangeFilter(
        label=_("F/Inicio"), widget=DateRangeInput()
    )
    fecha_cierre = django_filters.DateFromToRangeFilter(
        label=_("F/Cierre"), widget=DateRangeInput()
    )
    interno = SiNoFilter(label=_("Caso interno"))
    facturable = SiNoFilter(label=_("Facturable"))
    orden = django_filters.ChoiceFilter(
        label=_("Orden"), choices=ORDEN_CHOICES, method="filtrar_orden", widget=forms.HiddenInput
    )

    class Meta:
        model = Caso
        fields = []

    def filtrar_texto(self, queryset, name, value):
        return queryset.buscar(value)

    def filtrar_con_blanco(self, queryset, name, value):
        return queryset.filter(**{name: "" if value == BLANCO else value})

    def filtrar_abiertos(self, queryset, name, value):
        return queryset.abiertos() if value else queryset

    def filtrar_vencidos(self, queryset, name, value):
        return queryset.vencidos() if value else queryset

    def filtrar_orden(self, queryset, name, value):
        # Sorting is applied by the view after filtering (see ordenar()); nothing here.
        return queryset

    @property
    def orden_actual(self) -> str:
        """The valid ?orden= value, or the default."""
        self.form.is_valid()
        return self.form.cleaned_data.get("orden") or ORDEN_POR_DEFECTO

    def parametros_ignorados(self) -> list[str]:
        """Names of the parameters whose values were invalid and are being ignored."""
        self.form.is_valid()
        return sorted(self.form.errors)

    def activos(self, nombres=None) -> int:
        """How many filters (besides ordering) are in effect, among ``nombres`` if given."""
        self.form.is_valid()
        return sum(
            1
            for name, value in self.form.cleaned_data.items()
            if name != "orden"
            and (nombres is None or name in nombres)
            and value not in (None, "", False)
            and not (hasattr(value, "start") and value.start is None and value.stop is None)
        )
