"""Filters, free-text search and sorting of the case list (and of its export)."""

import django_filters
from django import forms
from django.db.models import F
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from customers.models import Cliente
from efactory.filtros import (
    CasillaFilter,
    ConBlancoFilter,
    FiltrosBase,
    SelectRapido,
    SiNoFilter,
    TextoFilter,
)

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


DESCENDENTE = _("{orden} (descendente)")


class OrdenFilter(django_filters.OrderingFilter):
    """``?orden=<clave>`` (``-<clave>``: descending): one key of ``fields``, else the default.

    Each key sorts by its column or expression and then by ``desempate`` in the same
    direction, so pages are stable and PostgreSQL reads each (key, numero) pair straight from
    one index. Computed keys are added to the queryset (``preparar``) only when asked for.
    Only ``anulables`` keys ask for NULLS LAST: on a NOT NULL column it would keep PostgreSQL
    from reading the ordered index and make it sort a million rows instead.

    One key only, as the column headers link (not OrderingFilter's comma-separated list):
    "cliente,numero" is an invalid value, ignored and named like any other.
    """

    def __init__(self, *args, por_defecto, desempate, preparar=None, anulables=(), **kwargs):
        super().__init__(*args, **kwargs)
        # One value, read like a ChoiceFilter's, not OrderingFilter's list of values.
        self.field_class = django_filters.ChoiceFilter.field_class
        self.por_defecto = por_defecto
        self.desempate = desempate
        self.preparar = preparar or {}
        self.anulables = set(anulables)

    def build_choices(self, fields, labels):
        return [
            opcion
            for campo, clave in fields.items()
            for opcion in (
                (clave, labels.get(campo, clave)),
                (f"-{clave}", format_lazy(DESCENDENTE, orden=labels.get(campo, clave))),
            )
        ]

    def filter(self, qs, value):
        orden = value or self.por_defecto
        if orden.removeprefix("-") not in self.param_map:
            orden = self.por_defecto
        descendente = orden.startswith("-")
        clave = orden.removeprefix("-")
        if clave in self.preparar:
            qs = self.preparar[clave](qs)
        campo = F(self.param_map[clave])
        nulos_al_final = True if clave in self.anulables else None
        if descendente:
            return qs.order_by(campo.desc(nulls_last=nulos_al_final), F(self.desempate).desc())
        return qs.order_by(campo.asc(nulls_last=nulos_al_final), F(self.desempate).asc())


# ?orden=<clave> → (what the database sorts by, the column's label)
ORDENES = {
    "numero": ("numero", _("Documento")),
    "prioridad": ("prioridad_orden", _("Prioridad")),
    "fecha_inicio": ("fecha_inicio", _("Inicio")),
    "cliente": ("cliente__nombre", _("Cliente")),
    "ejecutor": ("ejecutor__nombre", _("Ejecutor")),
    "etapa": ("etapa_orden", _("Etapa")),
    "avance": ("avance", _("Avance")),
    "nivel": ("nivel", _("Nivel")),
    "dias": ("dias_ejecucion", _("Días en ejecución")),
}
ORDEN_POR_DEFECTO = "-numero"


def ordenar(queryset, orden: str = ORDEN_POR_DEFECTO):
    """Sort ``queryset`` as the list's ``?orden=`` does (an unknown key: the default)."""
    return CasoFilter.base_filters["orden"].filter(queryset, orden)


class CasoFilter(FiltrosBase):
    """The query parameters of /casos/ and /casos/exportar/ (bookmarkable)."""

    sin_contar = ("orden",)

    q = TextoFilter(placeholder=_("Documento, asunto, comentario, cliente"))
    prioridad = django_filters.ChoiceFilter(
        label=_("Prioridad"),
        choices=Prioridad.choices,
        empty_label=_("Todas"),
        widget=SelectRapido,
    )
    etapa = ConBlancoFilter(label=_("Etapa"), choices=Etapa.choices, empty_label=_("Todas"))
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
    # Executors and articles are lookup tables that grow: a lupa, like Cliente, renders only
    # the chosen row (the page weighs the same with 40 or 400 of them).
    coordinador = django_filters.ModelChoiceFilter(
        label=_("Coord."),
        queryset=Ejecutor.objects.all(),
        empty_label=_("Todos"),
        widget=LupaSelect("ejecutores", _("Buscar coordinador")),
    )
    ejecutor = django_filters.ModelChoiceFilter(
        label=_("Ejecutor"),
        queryset=Ejecutor.objects.all(),
        empty_label=_("Todos"),
        widget=LupaSelect("ejecutores", _("Buscar ejecutor")),
    )
    grupo = django_filters.ModelChoiceFilter(
        label=_("Grupo"), queryset=Grupo.objects.all(), empty_label=_("Todos"), widget=SelectRapido
    )
    departamento = django_filters.ModelChoiceFilter(
        label=_("Depto."),
        queryset=Departamento.objects.all(),
        empty_label=_("Todos"),
        widget=SelectRapido,
    )
    articulo = django_filters.ModelChoiceFilter(
        label=_("Artículo"),
        queryset=Articulo.objects.all(),
        empty_label=_("Todos"),
        widget=LupaSelect("articulos", _("Buscar artículo")),
    )
    clase = django_filters.ModelChoiceFilter(
        label=_("Clase"), queryset=Clase.objects.all(), empty_label=_("Todas"), widget=SelectRapido
    )
    origen = ConBlancoFilter(label=_("Origen"), choices=Origen.choices, empty_label=_("Todos"))
    complejidad = ConBlancoFilter(
        label=_("Complejidad"), choices=Complejidad.choices, empty_label=_("Todas")
    )
    fecha_inicio = django_filters.DateFromToRangeFilter(
        label=_("F/Inicio"), widget=DateRangeInput()
    )
    fecha_cierre = django_filters.DateFromToRangeFilter(
        label=_("F/Cierre"), widget=DateRangeInput()
    )
    # When the case was completed (the charts' links to the cases completed in a period).
    completado_en = django_filters.DateFromToRangeFilter(
        label=_("Completado"), widget=DateRangeInput()
    )
    # The cases an import created or updated (/casos/importar/<id>/ links here).
    importacion = django_filters.NumberFilter(
        label=_("Importación"), field_name="importaciones", widget=forms.HiddenInput
    )
    interno = SiNoFilter(label=_("Caso interno"))
    facturable = SiNoFilter(label=_("Facturable"))
    # Declared last: it sorts what the filters above leave (see filter_queryset()).
    orden = OrdenFilter(
        label=_("Orden"),
        fields=[(campo, clave) for clave, (campo, _etiqueta) in ORDENES.items()],
        field_labels=dict(ORDENES.values()),
        por_defecto=ORDEN_POR_DEFECTO,
        desempate="numero",
        preparar={
            # alta first when ascending: alta=0, media=1, baja=2
            "prioridad": lambda qs: qs.con_orden_prioridad(),
            # the workflow's order, not the alphabet's
            "etapa": lambda qs: qs.alias(etapa_orden=orden_etapa()),
            "dias": lambda qs: qs.con_dias(),
        },
        anulables={"ejecutor"},
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Caso
        fields = []

    def filtrar_texto(self, queryset, name, value):
        return queryset.buscar(value)

    def filtrar_abiertos(self, queryset, name, value):
        return queryset.abiertos() if value else queryset

    def filtrar_vencidos(self, queryset, name, value):
        return queryset.vencidos() if value else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if "orden" not in self.form.cleaned_data:
            # An invalid ?orden= is left out (and named as ignored): the default order.
            queryset = self.filters["orden"].filter(queryset, None)
        return queryset

    @property
    def orden_actual(self) -> str:
        """The valid ?orden= value, or the default."""
        self.form.is_valid()
        return self.form.cleaned_data.get("orden") or self.filters["orden"].por_defecto
