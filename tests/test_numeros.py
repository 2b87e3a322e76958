"""Decimal numbers the Spanish way: "2,50" h and "40,00" wherever a person reads them, typed
"2,5" or "2.5" (efactory/numeros.py). CSV files keep the dot (tests/cases/test_export.py).
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import translation

from cases.models import Caso
from efactory.numeros import decimal_local
from tests.factories import ActividadFactory, CasoFactory, EjecutorFactory
from tests.formularios import cuerpo_formset

pytestmark = pytest.mark.django_db

T = datetime.time


@pytest.fixture
def caso(db):
    """A case estimated at 40 hours with one activity of 2 h 30 min."""
    caso = CasoFactory(
        asunto="Cableado del piso 2", ejecutor=EjecutorFactory(), estimado=Decimal("40")
    )
    ActividadFactory(
        caso=caso, ejecutor=caso.ejecutor, hora_inicio=T(9, 0), hora_fin=T(11, 30), facturable=True
    )
    return caso


def cuerpo(caso, **cambios) -> dict:
    """The editor's POST for ``caso`` (its stored rows sent back unchanged)."""
    datos = {
        "asunto": caso.asunto,
        "prioridad": caso.prioridad,
        "cliente": caso.cliente_id,
        "fecha_inicio": caso.fecha_inicio.isoformat(),
        "avance": caso.avance,
        "ejecutor": caso.ejecutor_id or "",
        "estimado": "40,00",
        "nivel": caso.nivel,
        "version": caso.version,
        **cambios,
    }
    filas = [
        {
            "id": a.pk,
            "caso": caso.pk,
            "fecha": a.fecha.isoformat(),
            "hora_inicio": a.hora_inicio.strftime("%H:%M"),
            "hora_fin": a.hora_fin.strftime("%H:%M"),
            "descripcion": a.descripcion,
            "ejecutor": a.ejecutor_id,
            "facturable": a.facturable,
        }
        for a in caso.actividades.all()
    ]
    return cuerpo_formset(datos, "actividades", filas, max_num=1000)


def input_estimado(html: str) -> str:
    return re.search(r'<input[^>]*name="estimado"[^>]*>', html).group(0)


def test_decimal_local_uses_the_active_languages_separator_and_rounds():
    with translation.override("es"):
        assert decimal_local(Decimal("2.5")) == "2,50"
        assert decimal_local(Decimal("2.125")) == "2,13"
        assert decimal_local(0.1 + 0.2) == "0,30"
        assert decimal_local(Decimal("40.00"), None) == "40,00"
        assert decimal_local(None) == ""
    with translation.override("en"):
        assert decimal_local(Decimal("2.5")) == "2.50"


def test_the_editor_rows_drawn_by_the_server_show_a_decimal_comma(cliente_soporte, caso):
    html = cliente_soporte.get(f"/casos/{caso.pk}/editar/").content.decode()
    assert re.search(r"data-horas>2,50</td>", html)
    assert "2.50" not in html
    assert re.search(r"data-total-horas>2,50<", html)
    assert re.search(r"data-total-facturables>2,50<", html)


def test_estimado_is_a_text_box_showing_a_decimal_comma(cliente_soporte, caso):
    html = cliente_soporte.get(f"/casos/{caso.pk}/editar/").content.decode()
    campo = input_estimado(html)
    # Not type=number: a Spanish browser would refuse "2,5" there and send nothing.
    assert 'type="text"' in campo
    assert 'inputmode="decimal"' in campo
    assert 'value="40,00"' in campo


@pytest.mark.parametrize("escrito", ["2,5", "2.5", " 2,50 "])
def test_estimado_accepts_a_comma_or_a_dot(cliente_soporte, caso, escrito):
    respuesta = cliente_soporte.post(f"/casos/{caso.pk}/editar/", cuerpo(caso, estimado=escrito))
    assert respuesta.status_code == 302, respuesta.content.decode()[:2000]
    caso.refresh_from_db()
    assert caso.estimado == Decimal("2.5")


def test_a_wrong_estimado_is_named_and_kept(cliente_soporte, caso):
    respuesta = cliente_soporte.post(f"/casos/{caso.pk}/editar/", cuerpo(caso, estimado="2,5h"))
    html = respuesta.content.decode()
    assert respuesta.status_code == 200
    assert "Escriba un número, con coma o punto decimal (por ejemplo 2,5 o 2.5)." in html
    assert 'value="2,5h"' in input_estimado(html)
    caso.refresh_from_db()
    assert caso.estimado == Decimal("40")


def test_the_detail_page_shows_decimal_commas(cliente_soporte, caso):
    html = cliente_soporte.get(f"/casos/{caso.pk}/").content.decode()
    assert "40,00 h" in html
    assert re.search(r">\s*2,50\s*<", html)
    assert "2.50" not in html and "40.00" not in html


def test_the_historial_shows_decimal_commas(cliente_soporte, caso):
    respuesta = cliente_soporte.post(f"/casos/{caso.pk}/editar/", cuerpo(caso, estimado="2,5"))
    assert respuesta.status_code == 302
    html = cliente_soporte.get(f"/casos/{caso.pk}/historial/").content.decode()
    assert "40,00" in html and "2,50" in html
    assert "40.00" not in html and "2.50" not in html


def test_the_conflict_panel_shows_decimal_commas(cliente_soporte, caso):
    # Someone else saved (and changed the estimate) after this page was loaded.
    pagina = cuerpo(caso, estimado="2,5")
    Caso.objects.filter(pk=caso.pk).update(version=F("version") + 1, estimado=Decimal("12.75"))
    respuesta = cliente_soporte.post(f"/casos/{caso.pk}/editar/", pagina)
    html = respuesta.content.decode()
    assert 'id="conflicto"' in html
    panel = html[
        html.index('id="conflicto"') : html.index("</section>", html.index('id="conflicto"'))
    ]
    assert "12,75" in panel and "2,50" in panel
    assert "12.75" not in panel


def test_the_admin_shows_and_reads_estimado_with_a_comma(client, staff, caso):
    client.force_login(staff)
    html = client.get(f"/admin/cases/caso/{caso.pk}/change/").content.decode()
    assert 'value="40,00"' in input_estimado(html)
