"""The filter base both lists share (efactory/filtros.py): which filters are in effect, which
parameters were ignored, the ``blanco`` choice."""

import pytest
from django.http import QueryDict

from cases.filters import CasoFilter
from cases.models import Caso, Etapa
from customers.filters import ClienteFilter
from customers.models import Cliente
from tests.factories import CasoFactory

pytestmark = pytest.mark.django_db


def caso_filter(query: str) -> CasoFilter:
    return CasoFilter(QueryDict(query), queryset=Caso.objects.all())


def cliente_filter(query: str) -> ClienteFilter:
    return ClienteFilter(QueryDict(query), queryset=Cliente.objects.all())


@pytest.mark.parametrize(
    ("query", "activos"),
    [
        ("", 0),
        ("orden=-numero&por_pagina=50&page=2", 0),  # sorting and paging filter nothing
        ("abiertos=&vencidos=false", 0),  # unticked checkboxes
        ("fecha_inicio_after=&fecha_inicio_before=", 0),  # an empty date range
        ("q=", 0),
        ("abiertos=on&vencidos=true", 2),
        ("interno=false", 1),  # "No" keeps the non-internal cases: a filter
        ("interno=true&facturable=false", 2),
        ("etapa=blanco", 1),
        ("fecha_inicio_after=2026-03-01", 1),
        ("q=ñandú&prioridad=alta&orden=prioridad", 2),
    ],
)
def test_the_case_list_counts_the_filters_in_effect(query, activos):
    assert caso_filter(query).activos() == activos


@pytest.mark.parametrize(
    ("query", "activos"),
    [("", 0), ("interno=false", 1), ("interno=true&estatus=activo&q=x", 3), ("tipo=", 0)],
)
def test_the_client_list_counts_the_filters_in_effect_by_the_same_rule(query, activos):
    assert cliente_filter(query).activos() == activos


def test_activos_can_count_among_some_filters():
    filtros = caso_filter("interno=false&etapa=retrasada&q=x")

    assert filtros.activos(["interno", "facturable"]) == 1


def test_invalid_values_are_named_as_ignored_on_both_lists():
    assert caso_filter("interno=quizas&vencidos=maybe&etapa=x").parametros_ignorados() == [
        "etapa",
        "interno",
        "vencidos",
    ]
    assert cliente_filter("estatus=borrado&interno=quizas").parametros_ignorados() == [
        "estatus",
        "interno",
    ]


def test_blanco_keeps_the_cases_whose_etapa_is_empty():
    vacio = CasoFactory(etapa=Etapa.EN_BLANCO)
    CasoFactory(etapa=Etapa.RETRASADA)

    assert list(caso_filter("etapa=blanco").qs) == [vacio]
    assert caso_filter("etapa=").qs.count() == 2


def test_a_no_filter_behind_mas_filtros_opens_it(cliente_coordinador):
    response = cliente_coordinador.get("/casos/?interno=false")

    assert response.context["mas_filtros_activos"] == 1
    assert response.context["filtros_activos"] == 1
