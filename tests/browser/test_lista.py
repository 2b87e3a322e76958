"""The case list and Próximos in chromium at 1366 × 768, on the demo data set: rows in view,
the Seguimiento bar, the filter URL, the date boxes, no sideways scrolling."""

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from cases.models import Caso, Etapa
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PORTATIL = {"width": 1366, "height": 768}


@pytest.fixture
def coordinador(db):
    """A coordinator on a realistic data set (the demo's cases, clients and texts)."""
    call_command("demo", "--casos", "60", stdout=io.StringIO())
    return UserFactory(username="coord-lista", grupos=["Coordinador"])


def parametros(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def filas_en_pantalla(page: Page) -> int:
    """How many rows of the list are entirely inside the window."""
    return page.evaluate(
        """() => [...document.querySelectorAll('table.lista-casos tbody tr')].filter(tr => {
               const r = tr.getBoundingClientRect();
               return r.top >= 0 && r.bottom <= window.innerHeight;
           }).length"""
    )


def sin_desplazamiento_lateral(page: Page) -> bool:
    """Neither the page nor any scrollable region is wider than the window."""
    return page.evaluate(
        """() => document.documentElement.scrollWidth <= document.documentElement.clientWidth
              && [...document.querySelectorAll('.table-responsive')]
                   .every(el => el.scrollWidth <= el.clientWidth)"""
    )


def test_at_least_ten_cases_are_in_view_at_1366x768(pages, coordinador):
    page = pages.open(coordinador, viewport=PORTATIL)

    assert filas_en_pantalla(page) >= 10
    assert sin_desplazamiento_lateral(page)


def test_proximos_fits_1366_without_sideways_scrolling(pages, coordinador):
    page = pages.open(coordinador, viewport=PORTATIL)
    page.goto("/casos/proximos/")

    expect(page.locator("[data-abiertos]").first).to_contain_text("casos abiertos")
    assert sin_desplazamiento_lateral(page)
    # The filter bar is one row: every control's top edge on the same line.
    controles = ", ".join(
        f"form.filtros {c}" for c in ("select", "input:not([type=hidden])", "button[type=submit]")
    )
    tops = page.evaluate(
        """selector => [...document.querySelectorAll(selector)]
               .filter(el => el.offsetParent !== null)
               .map(el => Math.round(el.getBoundingClientRect().bottom))""",
        controles,
    )
    assert len(set(tops)) == 1, tops


def test_the_seguimiento_bar_appears_once_a_case_is_ticked(pages, coordinador):
    page = pages.open(coordinador, viewport=PORTATIL)
    barra = page.locator("#form-seguimiento")
    anuncio = page.locator("[data-anuncio-seleccion]")

    expect(barra).to_be_hidden()
    casillas = page.locator("[data-seleccion]")
    primera_fila = page.locator("table.lista-casos tbody tr").first.bounding_box()
    casillas.nth(0).check()

    expect(barra).to_be_visible()
    expect(barra).to_contain_text("1 caso seleccionado")
    expect(anuncio).to_have_text("1 caso seleccionado")
    assert barra.bounding_box()["y"] + barra.bounding_box()["height"] <= PORTATIL["height"] + 1
    # The bar does not push the rows under the pointer.
    assert page.locator("table.lista-casos tbody tr").first.bounding_box() == primera_fila

    casillas.nth(1).check()
    expect(anuncio).to_have_text("2 casos seleccionados")
    page.locator("[data-seleccionar-todos]").check()
    expect(barra).to_contain_text(f"{casillas.count()} casos seleccionados")
    page.locator("[data-seleccionar-todos]").uncheck()
    expect(barra).to_be_hidden()


def test_the_bar_changes_the_ticked_cases(pages, coordinador):
    page = pages.open(coordinador, viewport=PORTATIL)
    elegidos = [
        int(v)
        for v in page.locator("[data-seleccion]").evaluate_all(
            "els => els.slice(0, 2).map(e => e.value)"
        )
    ]
    page.locator("[data-seleccion]").nth(0).check()
    page.locator("[data-seleccion]").nth(1).check()

    page.get_by_label("Etapa", exact=True).last.select_option("planeada")
    page.get_by_role("button", name="Aplicar a los seleccionados").click()

    expect(page.get_by_role("alert")).to_contain_text("seleccionados")
    assert set(Caso.objects.filter(pk__in=elegidos).values_list("etapa", flat=True)) == {
        Etapa.PLANEADA
    }


def test_without_javascript_the_bar_is_always_shown(pages, coordinador):
    page = pages.open(coordinador, viewport=PORTATIL, java_script_enabled=False)

    expect(page.locator("#form-seguimiento")).to_be_visible()
    expect(page.locator("#form-seguimiento")).to_contain_text("Marque casos en la lista")


def test_a_filter_submit_puts_only_what_is_set_in_the_url(pages, coordinador):
    page = pages.open(coordinador, viewport=PORTATIL)
    page.goto("/casos/?orden=cliente")

    page.get_by_role("searchbox", name="Buscar").fill("red")
    page.get_by_label("Etapa", exact=True).first.select_option("en_progreso")
    page.get_by_label("Solo vencidos").check()
    page.get_by_role("button", name="Filtrar").click()
    page.wait_for_url("**/casos/?*q=red*")

    assert parametros(page) == {
        "orden": ["cliente"],
        "q": ["red"],
        "etapa": ["en_progreso"],
        "vencidos": ["true"],
    }
    # Back on the form, the fields left out of the URL work again.
    page.go_back()
    page.wait_for_url("**/casos/?orden=cliente")
    assert page.locator("form[data-filtros] [disabled]").count() == 0


def test_a_dd_mm_yyyy_date_of_the_url_shows_in_its_date_box(pages, coordinador):
    page = pages.open(coordinador, viewport=PORTATIL)
    page.goto("/casos/?fecha_inicio_after=31/12/2026")

    desde = page.get_by_label("F/Inicio desde")
    # "Más filtros" opens by itself since one of its filters is set.
    expect(desde).to_be_visible()
    expect(desde).to_have_value("2026-12-31")  # shown as 31/12/2026 in a Spanish browser

    page.get_by_role("button", name="Filtrar").click()
    page.wait_for_url("**/casos/?*")
    assert parametros(page) == {"fecha_inicio_after": ["2026-12-31"]}
