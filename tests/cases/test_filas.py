"""The Actividades rows drawn in Python (cases/filas.py): every value escaped by format_html,
the lupa markup shared with the LupaSelect template, labels translatable where defined."""

import datetime
import re
from pathlib import Path

import pytest
from django.forms.renderers import get_default_renderer
from django.utils.functional import Promise
from django.utils.html import format_html

from cases import filas
from cases.forms import ActividadForm
from cases.formsets import actividad_formset_class
from cases.models import Actividad
from efactory.formsets import FilaForm
from tests.cases.datos import (
    caso_con_actividades,
    datos_de,
    datos_post,
    fila,
    fila_de,
    filas_guardadas,
    url_editar,
)
from tests.factories import ActividadFactory, ArticuloFactory, CasoFactory, EjecutorFactory
from tests.formularios import cuerpo_de_la_pagina

pytestmark = pytest.mark.django_db

RAIZ = Path(__file__).resolve().parents[2]


def filas_de(html: str) -> list[str]:
    return re.findall(r"<tr data-formset-row.*?</tr>", html, re.S)


@pytest.mark.parametrize("completas", [False, True], ids=["compacta", "completa"])
def test_every_value_of_a_row_is_escaped(cliente_soporte, completas):
    raro = EjecutorFactory(nombre='Ana <b>"la jefa"</b> & Cía')
    articulo = ArticuloFactory(nombre="Cable <UTP> & 'conectores'")
    caso = CasoFactory(ejecutor=raro, fecha_inicio=datetime.date(2026, 3, 2))
    ActividadFactory(
        caso=caso,
        ejecutor=raro,
        articulo=articulo,
        fecha=datetime.date(2026, 3, 3),
        descripcion='<script>alert("x")</script>\nsegunda línea & más',
    )
    url = url_editar(caso) + ("?renglones=completos" if completas else "")

    fila_html = filas_de(cliente_soporte.get(url).content.decode())[0]

    assert "<script>" not in fila_html and "<b>" not in fila_html and "<UTP>" not in fila_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\nsegunda línea &amp; más" in fila_html
    elegido = "Ana &lt;b&gt;&quot;la jefa&quot;&lt;/b&gt; &amp; Cía"
    assert (f"data-nombre-elegido>{elegido}</span>" in fila_html) is completas
    assert f"selected>{elegido}</option>" in fila_html
    assert "Cable &lt;UTP&gt; &amp; &#x27;conectores&#x27;</option>" in fila_html


def test_a_stored_row_is_drawn_compact(cliente_soporte, ejecutor):
    """Only what the row posts and what names it: no ids, labels, classes or lupa markup
    (the browser adds those, static/js/lupa.js and app.js), about 1 KB a row."""
    articulo = ArticuloFactory(nombre="Cableado")
    caso = CasoFactory(ejecutor=ejecutor, fecha_inicio=datetime.date(2026, 3, 2))
    a = ActividadFactory(
        caso=caso,
        ejecutor=ejecutor,
        articulo=articulo,
        fecha=datetime.date(2026, 3, 3),
        hora_inicio=datetime.time(9, 0),
        hora_fin=datetime.time(10, 30),
        descripcion="Revisión",
        facturable=True,
    )

    fila_html = filas_de(cliente_soporte.get(url_editar(caso)).content.decode())[0]

    p = "actividades-0-"
    assert fila_html == (
        '<tr data-formset-row class="fila-compacta">'
        f'<td><input type="hidden" name="{p}id" value="{a.pk}">'
        f'<input type="date" name="{p}fecha" value="2026-03-03" aria-label="Fecha"></td>'
        f'<td><input type="time" name="{p}hora_inicio" value="09:00" aria-label="H/Inicio"></td>'
        f'<td><input type="time" name="{p}hora_fin" value="10:30" aria-label="H/Fin"></td>'
        f'<td><textarea name="{p}descripcion" aria-label="Actividad" maxlength="2000" rows="1">'
        "\nRevisión</textarea></td>"
        f'<td><select name="{p}ejecutor" aria-label="Ejecutor" data-lupa-fila="ejecutor">'
        f'<option value="">---------</option><option value="{ejecutor.pk}" selected>Ana Pérez'
        "</option></select></td>"
        f'<td><input type="checkbox" name="{p}facturable" aria-label="Fact." checked></td>'
        f'<td><select name="{p}articulo" aria-label="Artículo" data-lupa-fila="articulo">'
        f'<option value="">---------</option><option value="{articulo.pk}" selected>Cableado'
        "</option></select></td>"
        "<td data-horas>1,50</td>"
        f'<td><input type="checkbox" name="{p}DELETE" aria-label="Eliminar" class="sin-js"></td>'
        "</tr>"
    )


def test_new_rows_and_rows_with_errors_keep_the_full_markup(cliente_soporte, ejecutor):
    caso = CasoFactory(ejecutor=ejecutor, fecha_inicio=datetime.date(2026, 3, 2))
    a = ActividadFactory(caso=caso, ejecutor=ejecutor, fecha=datetime.date(2026, 3, 3))
    b = ActividadFactory(caso=caso, ejecutor=ejecutor, fecha=datetime.date(2026, 3, 4))
    filas_post = [fila_de(a), fila_de(b, hora_fin="00:01"), fila(ejecutor, descripcion="Nueva")]

    respuesta = cliente_soporte.post(url_editar(caso), datos_post(datos_de(caso), filas_post))

    guardada, con_error, nueva = filas_de(respuesta.content.decode())[:3]
    assert 'class="fila-compacta"' in guardada and "<label" not in guardada
    for completa in (con_error, nueva):
        assert "fila-compacta" not in completa
        assert '<label class="etiqueta-celda" for="id_actividades-' in completa
        assert "data-nombre-elegido" in completa and "<noscript>" in completa
    assert 'aria-invalid="true"' in con_error
    assert "data-fila-nueva" in nueva


def test_the_page_sent_back_as_it_is_saves_nothing_and_one_change_saves_one_row(
    cliente_soporte, ejecutor
):
    """What a browser submits from the compact rows (no hidden case id, no ids) is a whole
    formset: unchanged, nothing is written; one edited description changes that row only."""
    caso = caso_con_actividades(5, ejecutor)
    antes = filas_guardadas(caso)
    url = url_editar(caso)

    cuerpo = cuerpo_de_la_pagina(cliente_soporte.get(url).content.decode(), "editor-caso")
    assert "actividades-0-caso" not in cuerpo and cuerpo["actividades-INITIAL_FORMS"] == "5"
    assert cliente_soporte.post(url, cuerpo).status_code == 302
    assert filas_guardadas(caso) == antes
    assert Actividad.history.filter(caso_id=caso.pk, history_type="~").count() == 0

    cuerpo = cuerpo_de_la_pagina(cliente_soporte.get(url).content.decode(), "editor-caso")
    cuerpo["actividades-2-descripcion"] = "Cambiada"
    assert cliente_soporte.post(url, cuerpo).status_code == 302
    despues = filas_guardadas(caso)
    assert [f for f in despues if f not in antes] == [
        f for f in despues if "Cambiada" in f
    ] and len(despues) == 5
    assert Actividad.history.filter(caso_id=caso.pk, history_type="~").count() == 1


def test_an_unchanged_stored_row_gets_its_stored_values_as_cleaned_data(ejecutor):
    """FilaForm skips cleaning an unchanged stored row: what it gives instead is what
    cleaning gives."""
    caso = caso_con_actividades(2, ejecutor)
    cuerpo = datos_post(
        datos_de(caso), [fila_de(a) for a in caso.actividades.order_by("fecha", "hora_inicio")]
    )
    formset = actividad_formset_class(extra=0)(cuerpo, instance=caso, prefix="actividades")
    assert formset.is_valid(), formset.errors
    form = formset.forms[0]
    assert not form.has_changed()
    atajo = dict(form.cleaned_data)

    super(FilaForm, form).full_clean()  # the full cleaning the shortcut skipped

    assert form.errors == {}
    assert atajo == form.cleaned_data
    assert atajo["caso"] == caso and atajo["DELETE"] is False


def test_typed_values_and_errors_come_back_escaped(cliente_soporte, ejecutor):
    caso = CasoFactory(ejecutor=ejecutor, fecha_inicio=datetime.date(2026, 3, 2))
    filas_post = [
        fila(ejecutor, descripcion='<i>"hola"</i>', hora_inicio="10:00", hora_fin="09:00")
    ]

    respuesta = cliente_soporte.post(url_editar(caso), datos_post(datos_de(caso), filas_post))

    fila_html = filas_de(respuesta.content.decode())[0]
    assert "&lt;i&gt;&quot;hola&quot;&lt;/i&gt;</textarea>" in fila_html
    assert 'aria-invalid="true" class="form-control form-control-sm is-invalid"' in fila_html


def _sin_control(html: str, patron: str) -> str:
    return re.sub(patron, "CONTROL", html, count=1, flags=re.S)


def test_the_rows_lupa_is_the_lupa_select_template(cliente_soporte, ejecutor):
    """The markup around a full row's Ejecutor is what LupaSelect's template draws around a
    select, and so is the template lupa.js wraps a compact row's select in."""
    caso = CasoFactory(ejecutor=ejecutor)
    ActividadFactory(caso=caso, ejecutor=ejecutor, fecha=caso.fecha_inicio)
    pagina = cliente_soporte.get(url_editar(caso) + "?renglones=completos").content.decode()
    fila_html = filas_de(pagina)[0]
    celda = re.search(r'<td class="c-ejecutor">.*?</td>', fila_html, re.S).group(0)
    lupa_fila = re.search(r'<div class="input-group.*</div>', celda, re.S).group(0)
    lupa_fila = lupa_fila[: lupa_fila.rindex("</div>") + len("</div>")]

    widget = ActividadForm().fields["ejecutor"].widget
    # The same no-JavaScript box, under the row's own name.
    del_widget = widget.render("actividades-0-ejecutor", None)

    assert _sin_control(lupa_fila, r'<div class="elegido">.*?</select></div>') == _sin_control(
        del_widget.strip(), r"<select.*?</select>\s*"
    )
    assert 'data-lupa-url="/buscar/ejecutores/"' in lupa_fila

    compacta = cliente_soporte.get(url_editar(caso)).content.decode()
    plantilla = re.search(
        r'<template data-lupa-plantilla="ejecutor">(.*?)</template>', compacta, re.S
    ).group(1)
    assert _sin_control(plantilla, r'<div class="elegido">.*?</div>') == _sin_control(
        widget.render("ejecutor_plantilla", None).strip(), r"<select.*?</select>\s*"
    )
    assert "<span data-lupa-aqui></span>" in plantilla


def test_without_javascript_the_full_rows_are_one_link_away(cliente_soporte, ejecutor):
    caso = CasoFactory(ejecutor=ejecutor)
    ActividadFactory(caso=caso, ejecutor=ejecutor, fecha=caso.fecha_inicio)

    compacta = cliente_soporte.get(url_editar(caso)).content.decode()
    completa = cliente_soporte.get(url_editar(caso) + "?renglones=completos").content.decode()

    assert '<noscript><p class="small mb-2"><a href="?renglones=completos">' in compacta
    assert 'name="actividades-0-ejecutor_buscar"' not in compacta
    assert 'name="actividades-0-ejecutor_buscar"' in completa
    assert "?renglones=completos" not in completa


def test_the_lupa_wrapper_keeps_braces_of_its_labels_as_text():
    widget = ActividadForm().fields["articulo"].widget
    widget.etiqueta = "Buscar {artículo}"

    antes, despues = widget.formato_envoltorio(get_default_renderer())
    lupa = format_html(
        antes + "{}" + despues, "<select>", name="actividades-0-articulo", texto_buscado=""
    )

    assert lupa.count('"Buscar {artículo}"') == 3  # the title of the lupa and of its button
    assert "&lt;select&gt;" in lupa  # the control is escaped like any value
    assert 'name="actividades-0-articulo_buscar"' in lupa  # the row's no-JavaScript box


def test_labels_are_marked_for_translation_where_they_are_defined():
    assert all(isinstance(etiqueta, Promise) for _n, _c, etiqueta in filas.CELDAS)
    assert isinstance(filas.ELIMINAR, Promise) and isinstance(filas.ELIMINAR_RENGLON, Promise)


def test_no_project_code_marks_a_string_safe_by_hand():
    """HTML is built with format_html(), format_html_join() or templates, which escape every
    value; nothing calls mark_safe() or SafeString() over a string it assembled but
    efactory/marcado.py, Django's two functions made faster (tests/test_marcado.py)."""
    fuentes = [
        p
        for carpeta in ("cases", "customers", "efactory")
        for p in (RAIZ / carpeta).rglob("*.py")
        if "migrations" not in p.parts and p != RAIZ / "efactory" / "marcado.py"
    ]
    assert fuentes
    culpables = [
        str(p.relative_to(RAIZ))
        for p in fuentes
        if re.search(r"\bmark_safe\(|\bSafeString\(|\|safe\b", p.read_text(encoding="utf-8"))
    ]
    assert culpables == []


def test_rows_share_their_fields_within_one_formset_only(ejecutor):
    """FilaForm's rows share one copy of the fields per formset (building 500 rows deep-copied
    5,000 fields), never the class's fields nor another formset's (another request)."""
    caso = caso_con_actividades(3, ejecutor)
    clase = actividad_formset_class(extra=1)
    uno, otro = (clase(instance=caso, prefix="actividades") for _ in range(2))

    a, b, _c, nueva = uno.forms
    assert a.fields["descripcion"] is b.fields["descripcion"] is nueva.fields["descripcion"]
    assert a.fields["DELETE"] is b.fields["DELETE"] and a.fields["caso"] is b.fields["caso"]
    assert a.fields["descripcion"] is not otro.forms[0].fields["descripcion"]
    assert a.fields["descripcion"] is not ActividadForm.base_fields["descripcion"]
    # Each row keeps its own id; stored rows' id field is required, a new row's is not.
    assert [f["id"].value() for f in uno.forms] == [*(x.pk for x in uno.get_queryset()), None]
    assert a.fields["id"] is b.fields["id"] is not nueva.fields["id"]


def test_cells_drawn_once_per_page_keep_each_decimal_as_written():
    """Celdas draws a repeated value once per page: 1.5 and 1.50 are equal Decimals that
    read differently, and 1 and True are equal keys of different types."""
    from decimal import Decimal

    from cases.lista import Celdas
    from efactory.formato import numero

    celdas = Celdas()
    assert celdas.numero(Decimal("1.5")) == "1,5"
    assert celdas.numero(Decimal("1.50")) == "1,50"
    assert celdas.numero(1) == "1"
    assert celdas.numero(True) == numero(True)
    assert celdas.numero(1) == "1", "still the integer's, after True"
