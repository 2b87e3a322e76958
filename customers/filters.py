"""Filters and free-text search of the client list (/clientes/)."""

import django_filters
from django import forms
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cases.filters import SiNoFilter
from cases.models import Caso
from efactory.busqueda import Normalizado, terminos

from .models import Cliente, Estatus

CAMPOS_BUSQUEDA = ["nombre", "codigo", "rif", "email"]


def buscar_clientes(queryset, consulta: str):
    """Clients whose nombre, código, RIF or e-mail contain every word of ``consulta``.

    Accent- and case-insensitive on both databases ("nandu" finds "Ñandú"): the columns are
    compared as ``f_unaccent(lower(col))``, the expression PostgreSQL's trigram indexes cover.
    """
    palabras = terminos(consulta)
    if not palabras:
        return queryset
    queryset = queryset.alias(**{f"{campo}_n": Normalizado(campo) for campo in CAMPOS_BUSQUEDA})
    condicion = Q()
    for palabra in palabras:
        alguna = Q()
        for campo in CAMPOS_BUSQUEDA:
            alguna |= Q(**{f"{campo}_n__contains": palabra})
        condicion &= alguna
    return queryset.filter(condicion)


def con_numero_de_casos(queryset):
    """Annotate ``num_casos``: a correlated subquery, run only for the rows of the page."""
    casos = (
        Caso.objects.filter(cliente=OuterRef("pk"))
        .order_by()
        .values("cliente")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        num_casos=Coalesce(Subquery(casos, output_field=IntegerField()), Value(0))
    )


class ClienteFilter(django_filters.FilterSet):
    """The query parameters of /clientes/: ``q``, ``estatus``, ``tipo``, ``interno``.

    An invalid value (``?estatus=borrado``) fails its form field and is left out of the
    filtering; the page names it as ignored.
    """

    q = django_filters.CharFilter(
        label=_("Buscar"),
        method="filtrar_texto",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Nombre, código, RIF o correo")}
        ),
    )
    estatus = django_filters.ChoiceFilter(
        label=_("Estatus"), choices=Estatus.choices, empty_label=_("Todos")
    )
    tipo = django_filters.ChoiceFilter(
        label=_("Tipo"), choices=Cliente.Tipo.choices, empty_label=_("Todos")
    )
    interno = SiNoFilter(label=_("Interno"))

    class Meta:
        model = Cliente
        fields = []

    def filtrar_texto(self, queryset, name, value):
        return buscar_clientes(queryset, value)

    def parametros_ignorados(self) -> list[str]:
        """Names of the parameters whose values were invalid and are being ignored."""
        self.form.is_valid()
        return sorted(self.form.errors)

    def activos(self) -> int:
        """How many filters are in effect."""
        self.form.is_valid()
        return sum(1 for value in self.form.cleaned_data.values() if value not in (None, ""))
