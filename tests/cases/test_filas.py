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
from tests.cases.datos import datos_de, datos_post, fila, url_editar
from tests.factories import ActividadFactory, ArticuloFactory, CasoFactory, EjecutorFactory

pytestmark = pytest.mark.django_db

RAIZ = Path(__file__).resolve().parents[2]


def filas_de(html: str) -> list[str]:
    return re.findall(r"<tr data-formset-row.*?</tr>", html, re.S)


def test_every_value_of_a_row_is_escaped(cliente_soporte):
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

    fila_html = filas_de(cliente_soporte.get(url_editar(caso)).content.decode())[0]

    assert "<script>" not in fila_html and "<b>" not in fila_html and "<UTP>" not in fila_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\nsegunda línea &amp; más" in fila_html
    elegido = "Ana &lt;b&gt;&quot;la jefa&quot;&lt;/b&gt; &amp; Cía"
    assert f"data-nombre-elegido>{elegido}</span>" in fila_html
    assert f"selected>{elegido}</option>" in fila_html
    assert "Cable &lt;UTP&gt; &amp; &#x27;conectores&#x27;</option>" in fila_html


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
    """The markup around a row's Ejecutor is what LupaSelect's template draws around a select."""
    caso = CasoFactory(ejecutor=ejecutor)
    ActividadFactory(caso=caso, ejecutor=ejecutor, fecha=caso.fecha_inicio)
    fila_html = filas_de(cliente_soporte.get(url_editar(caso)).content.decode())[0]
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
    value; nothing calls mark_safe() or SafeString() over a string it assembled."""
    fuentes = [
        p
        for carpeta in ("cases", "customers", "efactory")
        for p in (RAIZ / carpeta).rglob("*.py")
        if "migrations" not in p.parts
    ]
    assert fuentes
    culpables = [
        str(p.relative_to(RAIZ))
        for p in fuentes
        if re.search(r"\bmark_safe\(|\bSafeString\(|\|safe\b", p.read_text(encoding="utf-8"))
    ]
    assert culpables == []
