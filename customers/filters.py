"""Filters and free-text search of the client list (/clientes/)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from efactory.busqueda import Normalizado, terminos
from efactory.estatus import Estatus
from efactory.filtros import FiltrosBase, SiNoFilter, TextoFilter

from .models import Cliente

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


class ClienteFilter(FiltrosBase):
    """The query parameters of /clientes/: ``q``, ``estatus``, ``tipo``, ``interno``.

    An invalid value (``?estatus=borrado``) fails its form field and is left out of the
    filtering; the page names it as ignored.
    """

    q = TextoFilter(placeholder=_("Nombre, código, RIF o correo"))
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
