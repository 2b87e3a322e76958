"""The filter base both lists share (efactory/filtros.py): which filters are in effect, which
parameters were ignored, the ``blanco`` choice."""

import re

import pytest
from django.forms.renderers import TemplatesSetting
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


def _sin_espacios(html) -> str:
    """``html`` without the whitespace between tags that Django's template includes leave."""
    return re.sub(r">\s+<", "><", html.strip())


def _por_plantilla(widget, name, value, attrs):
    """What Django's own template draws for ``widget`` (not the project's renderer, which
    draws the basic widgets in Python: efactory/dibujo.py)."""
    contexto = widget.get_context(name, value, attrs)
    html = widget._render(widget.template_name, contexto, TemplatesSetting())
    return _sin_espacios(html)


@pytest.mark.parametrize("value", [None, "", 'buscar <esto> & "aquello"'])
def test_inputs_drawn_in_python_are_what_django_templates_draw(value):
    """The search box and the checkboxes, drawn by the project's renderer (efactory/dibujo.py)."""
    from django import forms

    from efactory.dibujo import Renderizador

    texto = forms.TextInput(attrs={"type": "search", "placeholder": "Documento <y> más"})
    attrs = {"id": "id_q", "class": "form-control", "required": True, "disabled": False}
    dibujo = Renderizador()
    assert texto.render("q", value, attrs, dibujo) == _por_plantilla(texto, "q", value, attrs)
    casilla = forms.CheckboxInput()
    for marcado in (True, False):
        assert casilla.render("abiertos", marcado, {"id": "id_abiertos"}, dibujo) == _por_plantilla(
            casilla, "abiertos", marcado, {"id": "id_abiertos"}
        )


def test_lupas_drawn_in_python_are_what_their_template_draws():
    """The list's lupa filters skip the template (issue 11: they cost more than the rows);
    the markup is the same, chosen row included, in every language."""
    from django.utils import translation

    from cases.widgets import LupaSelect

    cliente = CasoFactory().cliente
    filtro = caso_filter(f"cliente={cliente.pk}")
    campo = filtro.form.fields["cliente"]
    widget = campo.widget
    assert isinstance(widget, LupaSelect)
    for idioma in ("es", "en"):
        with translation.override(idioma):
            for valor in (cliente.pk, None):
                attrs = {"id": "id_cliente", "class": "form-select"}
                assert widget.render("cliente", valor, attrs) == _por_plantilla(
                    widget, "cliente", valor, attrs
                )
    # A field with errors (and its description) is drawn by the template itself.
    attrs = {"id": "id_cliente", "aria-invalid": "true", "aria-describedby": "e"}
    dibujado = _sin_espacios(widget.render("cliente", None, attrs))
    assert dibujado == _por_plantilla(widget, "cliente", None, attrs)


@pytest.mark.parametrize("query", ["", "etapa=retrasada", "etapa=blanco", "grupo=1", "grupo=x"])
def test_selects_drawn_in_python_are_what_django_templates_draw(query):
    from cases.models import Grupo
    from efactory.filtros import SelectRapido

    Grupo.objects.create(codigo="G1", nombre="Redes <y> más")
    form = caso_filter(query).form
    for nombre in ("etapa", "prioridad", "grupo", "interno"):
        bound = form[nombre]
        widget = bound.field.widget
        assert isinstance(widget, SelectRapido) or nombre == "interno"
        valor = bound.value()
        attrs = {"id": f"id_{nombre}", "class": "form-select"}
        assert widget.render(nombre, valor, attrs) == _por_plantilla(widget, nombre, valor, attrs)


def test_each_filter_form_has_fields_widgets_and_options_of_its_own():
    """Filter forms share their fields' option lists (efactory.filtros.copiar_campo) but
    nothing a form changes: widget attributes, a model field's options read for the form."""
    from tests.factories import GrupoFactory

    GrupoFactory(nombre="Redes")
    uno = caso_filter("").form
    uno.fields["etapa"].widget.attrs["data-prueba"] = "1"
    uno.fields["grupo"].widget.attrs["class"] = "otra"
    assert [str(e) for _v, e in uno.fields["grupo"].choices][1:] == ["Redes"]

    GrupoFactory(nombre="Bases de datos")
    dos = caso_filter("").form

    assert "data-prueba" not in dos.fields["etapa"].widget.attrs
    assert "class" not in dos.fields["grupo"].widget.attrs
    assert [str(e) for _v, e in dos.fields["grupo"].choices][1:] == ["Bases de datos", "Redes"]
    assert [str(e) for _v, e in uno.fields["grupo"].choices][1:] == ["Redes"], "read once"
    assert dos.fields["etapa"].choices == uno.fields["etapa"].choices
    assert dos.fields["etapa"] is not uno.fields["etapa"]
    assert dos.fields["etapa"].widget is not uno.fields["etapa"].widget


def test_a_form_given_another_queryset_reads_its_options_from_it():
    """The options compiled once per form class are read only while the field keeps the
    queryset its class gave it."""
    from cases.models import Grupo
    from tests.factories import GrupoFactory

    GrupoFactory(nombre="Redes")
    GrupoFactory(nombre="Bases de datos")
    form = caso_filter("").form
    form.fields["grupo"].queryset = Grupo.objects.filter(nombre="Redes")

    assert [str(e) for _v, e in form.fields["grupo"].choices][1:] == ["Redes"]
