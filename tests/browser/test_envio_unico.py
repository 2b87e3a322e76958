"""One submission, one case, in a real browser: a double click on Guardar over a slow
network, and a resubmit after going Back, each leave exactly one case."""

import re
import time

import pytest
from playwright.sync_api import expect

from cases.models import Caso
from tests.browser.test_caso_editor import elegir_cliente
from tests.factories import ClienteFactory

pytestmark = pytest.mark.browser

URL_DETALLE = re.compile(r"/casos/\d+/$")


@pytest.fixture
def cliente(db):
    return ClienteFactory(nombre="Ferretería Ñandú")


def lento(route):
    """A slow network: the POST reaches the server half a second late."""
    if route.request.method == "POST":
        time.sleep(0.5)
    route.continue_()


@pytest.mark.parametrize("url", ["/casos/nuevo/", "/casos/rapido/"])
def test_a_double_click_on_guardar_over_a_slow_network_creates_one_case(
    pages, soporte, cliente, url
):
    page = pages.open(soporte)
    page.goto(url)
    page.locator("#id_asunto").fill("Impresora atascada")
    elegir_cliente(page, cliente)
    page.route("**/casos/**", lento)

    page.get_by_role("button", name="Guardar", exact=True).dblclick()

    page.wait_for_url(URL_DETALLE)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Impresora atascada")
    assert Caso.objects.filter(asunto="Impresora atascada").count() == 1


def test_resubmitting_after_back_shows_the_saved_case_instead_of_a_copy(pages, soporte, cliente):
    page = pages.open(soporte)
    page.goto("/casos/nuevo/")
    page.locator("#id_asunto").fill("Router sin señal")
    elegir_cliente(page, cliente)
    page.get_by_role("button", name="Guardar", exact=True).click()
    page.wait_for_url(URL_DETALLE)
    caso = Caso.objects.get(asunto="Router sin señal")

    page.go_back()
    page.wait_for_url("**/casos/nuevo/")
    page.get_by_role("button", name="Guardar", exact=True).click()

    page.wait_for_url(f"**/casos/{caso.pk}/")
    expect(page.locator(".mensajes")).to_contain_text("ya se había guardado")
    assert Caso.objects.filter(asunto="Router sin señal").count() == 1


def test_a_fresh_visit_to_the_new_case_page_is_a_new_case(pages, soporte, cliente):
    """Only Back and Forward reuse the submitted token: opening the page again is new work."""
    page = pages.open(soporte)
    for asunto in ("Primero", "Segundo"):
        page.goto("/casos/nuevo/")
        page.locator("#id_asunto").fill(asunto)
        elegir_cliente(page, cliente)
        page.get_by_role("button", name="Guardar", exact=True).click()
        page.wait_for_url(URL_DETALLE)

    assert sorted(Caso.objects.values_list("asunto", flat=True)) == ["Primero", "Segundo"]
