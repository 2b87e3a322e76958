"""The lupa in a real browser: the type-to-search Cliente and Contacto boxes, the magnifier's
modal (arrows, Enter, Esc, click), the contact scoped by the client, in the case editor and in
Agregar casos rápidamente. Each test checks what the user sees and then what was saved.
"""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from cases.models import Caso
from tests.factories import CasoFactory, ClienteFactory, ContactoFactory, EjecutorFactory

pytestmark = pytest.mark.browser

URL_DETALLE = re.compile(r"/casos/\d+/$")


@pytest.fixture
def datos(db):
    """Two clients whose names share "Ñandú", one more with a contact also called María."""
    nandu = ClienteFactory(nombre="Ferretería Ñandú", codigo="FN-01")
    express = ClienteFactory(nombre="Ñandú Express", codigo="NE-01")
    norte = ClienteFactory(nombre="Papelería Norte", codigo="PN-01")
    return {
        "nandu": nandu,
        "express": express,
        "norte": norte,
        "maria": ContactoFactory(cliente=nandu, nombre="María Gómez", cargo="Compras"),
        "jose": ContactoFactory(cliente=nandu, nombre="José Ñáñez", cargo="Gerente"),
        "maria_norte": ContactoFactory(cliente=norte, nombre="María Norte"),
        "ana": EjecutorFactory(nombre="Ana Pérez", email="aperez@efactory.com"),
        "beto": EjecutorFactory(nombre="Beto Ruiz", email="bruiz@efactory.com"),
    }


# --- What the user does ---------------------------------------------------------------------


def modal(page: Page):
    return page.locator("#lupa-modal")


def filas_modal(page: Page):
    return page.locator("#lupa-resultados tr[data-lupa-opcion]")


def sugerencias(page: Page, campo: str):
    return page.locator(f"#id_{campo}_sugerencias [role=option]")


def escribir_y_elegir_con_teclado(page: Page, campo: str, texto: str, nombre: str):
    """Type in the field's box, walk the suggestions with ArrowDown, take ``nombre`` with Enter."""
    caja = page.get_by_role("combobox", name=re.compile(campo, re.I))
    caja.fill("")
    caja.press_sequentially(texto)
    expect(sugerencias(page, campo.lower()).filter(has_text=nombre)).to_be_visible()
    opciones = sugerencias(page, campo.lower())
    # An option reads "name (code)", with the detail (cargo, e-mail) on a second line.
    destino = [re.split(r" \(|\n", t)[0] for t in opciones.all_inner_texts()].index(nombre)
    for _ in range(destino):
        caja.press("ArrowDown")
    expect(opciones.nth(destino)).to_have_attribute("aria-selected", "true")
    caja.press("Enter")
    expect(page.get_by_role("listbox")).to_have_count(0)


def abrir_lupa(page: Page, etiqueta: str):
    """Click the case field's magnifier (the Actividades rows have their own ones)."""
    campo = {"Buscar contacto": "contacto", "Buscar ejecutor": "ejecutor"}[etiqueta]
    page.locator(f"#div_id_{campo}").get_by_role("button", name=etiqueta, exact=True).click()
    expect(modal(page)).to_be_visible()
    expect(page.locator("#lupa-modal-titulo")).to_have_text(etiqueta)
    expect(page.locator("#lupa-q")).to_be_focused()


def elegir_contacto_con_flechas(page: Page, nombre: str, *, esperados: list[str]):
    """Open Buscar contacto, check the listed contacts, go down to ``nombre``, Enter."""
    abrir_lupa(page, "Buscar contacto")
    expect(filas_modal(page)).to_have_count(len(esperados))
    # Contacts have no Código column: the name is the first cell.
    expect(filas_modal(page).locator("td:nth-child(1)")).to_have_text(esperados)
    for _ in range(esperados.index(nombre) + 1):
        page.keyboard.press("ArrowDown")
    expect(filas_modal(page).nth(esperados.index(nombre))).to_be_focused()
    page.keyboard.press("Enter")
    expect(modal(page)).to_be_hidden()


def valor(page: Page, campo: str) -> str:
    """The primary key the form will post for a big-table field (the hidden select)."""
    return page.locator(f"#id_{campo}_valor").input_value()


# --- The case editor ------------------------------------------------------------------------


def test_the_editor_picks_client_contact_and_ejecutor_with_the_lupa(pages, soporte, datos):
    page = pages.open(soporte)
    page.goto("/casos/nuevo/")
    cliente = page.locator("#id_cliente")
    contacto = page.locator("#id_contacto")
    expect(cliente).to_have_attribute("role", "combobox")
    expect(page.locator("#id_cliente_valor")).to_be_hidden()

    # Cliente: "nandu" finds both; the second suggestion is taken with the keyboard.
    cliente.press_sequentially("nandu")
    expect(sugerencias(page, "cliente")).to_have_count(2)
    expect(sugerencias(page, "cliente").nth(0)).to_contain_text("Ñandú Express")
    expect(sugerencias(page, "cliente").nth(1)).to_contain_text("Ferretería Ñandú (FN-01)")
    cliente.press("ArrowDown")
    cliente.press("Enter")
    expect(cliente).to_have_value("Ferretería Ñandú")
    assert valor(page, "cliente") == str(datos["nandu"].pk)

    # Contacto through the magnifier: only this client's contacts, arrows and Enter.
    elegir_contacto_con_flechas(page, "María Gómez", esperados=["José Ñáñez", "María Gómez"])
    expect(contacto).to_have_value("María Gómez")
    expect(contacto).to_be_focused()
    assert valor(page, "contacto") == str(datos["maria"].pk)

    # Another client clears the contact; back to Ñandú, its contact typed this time.
    escribir_y_elegir_con_teclado(page, "Cliente", "norte", "Papelería Norte")
    expect(contacto).to_have_value("")
    assert valor(page, "contacto") == ""
    abrir_lupa(page, "Buscar contacto")
    expect(filas_modal(page).locator("td:nth-child(1)")).to_have_text(["María Norte"])
    page.keyboard.press("Escape")
    expect(modal(page)).to_be_hidden()
    escribir_y_elegir_con_teclado(page, "Cliente", "ferreteria", "Ferretería Ñandú")
    escribir_y_elegir_con_teclado(page, "Contacto", "nanez", "José Ñáñez")
    assert valor(page, "contacto") == str(datos["jose"].pk)

    # Ejecutor through the magnifier: type, click the result.
    abrir_lupa(page, "Buscar ejecutor")
    page.locator("#lupa-q").press_sequentially("bruiz")
    expect(filas_modal(page)).to_have_count(1)
    filas_modal(page).filter(has_text="Beto Ruiz").click()
    expect(modal(page)).to_be_hidden()
    expect(page.locator("#id_ejecutor_valor")).to_have_value(str(datos["beto"].pk))

    # Asunto and dates, then save from the keyboard (Enter in a text box submits).
    page.locator("#id_fecha_inicio").fill("2026-03-02")
    page.locator("#id_fecha_cierre").fill("2026-03-31")
    page.locator("#id_asunto").fill("Cambiar la cerradura")
    page.locator("#id_asunto").press("Enter")
    page.wait_for_url(URL_DETALLE)
    expect(page.locator(".mensajes")).to_contain_text("guardado")

    caso = Caso.objects.get()
    assert (caso.asunto, caso.cliente, caso.contacto, caso.ejecutor, caso.propietario) == (
        "Cambiar la cerradura",
        datos["nandu"],
        datos["jose"],
        datos["beto"],
        soporte,
    )
    assert (caso.fecha_inicio, caso.fecha_cierre) == (
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 31),
    )


def test_escape_closes_the_lupa_without_changing_the_field(pages, soporte, datos):
    caso = CasoFactory(cliente=datos["nandu"], contacto=datos["maria"], ejecutor=datos["ana"])
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")
    expect(page.locator("#id_cliente")).to_have_value("Ferretería Ñandú (FN-01)")
    expect(page.locator("#id_contacto")).to_have_value(re.compile("^María Gómez"))

    # On a result row.
    abrir_lupa(page, "Buscar contacto")
    expect(filas_modal(page)).to_have_count(2)
    page.keyboard.press("ArrowDown")
    expect(filas_modal(page).first).to_be_focused()
    page.keyboard.press("Escape")
    expect(modal(page)).to_be_hidden()
    # In the search box, with text typed.
    abrir_lupa(page, "Buscar ejecutor")
    page.locator("#lupa-q").press_sequentially("beto")
    expect(filas_modal(page)).to_have_count(1)
    page.keyboard.press("Escape")
    expect(modal(page)).to_be_hidden()
    # In the type-to-search box: Esc closes the suggestions and leaves the value.
    cliente = page.locator("#id_cliente")
    cliente.fill("")
    cliente.press_sequentially("norte")
    expect(sugerencias(page, "cliente")).to_have_count(1)
    cliente.press("Escape")
    expect(page.get_by_role("listbox")).to_have_count(0)
    cliente.blur()
    expect(cliente).to_have_value("Ferretería Ñandú (FN-01)")

    assert valor(page, "cliente") == str(datos["nandu"].pk)
    assert valor(page, "contacto") == str(datos["maria"].pk)
    expect(page.locator("#id_ejecutor_valor")).to_have_value(str(datos["ana"].pk))
    page.get_by_role("button", name="Guardar", exact=True).click()
    page.wait_for_url(URL_DETALLE)
    caso.refresh_from_db()
    assert (caso.cliente, caso.contacto, caso.ejecutor) == (
        datos["nandu"],
        datos["maria"],
        datos["ana"],
    )


# --- Agregar casos rápidamente --------------------------------------------------------------


def test_rapido_picks_with_the_lupa_and_guardar_y_agregar_otro_keeps_the_client(
    pages, soporte, datos
):
    page = pages.open(soporte)
    page.get_by_role("link", name="Agregar rápido").click()
    page.wait_for_url("**/casos/rapido/")

    page.locator("#id_asunto").fill("Revisar la caja registradora")
    escribir_y_elegir_con_teclado(page, "Cliente", "nandu", "Ferretería Ñandú")
    elegir_contacto_con_flechas(page, "José Ñáñez", esperados=["José Ñáñez", "María Gómez"])
    abrir_lupa(page, "Buscar ejecutor")
    page.locator("#lupa-q").press_sequentially("ana")
    filas_modal(page).filter(has_text="Ana Pérez").click()
    expect(modal(page)).to_be_hidden()
    page.locator("#id_prioridad").select_option("alta")
    page.get_by_role("button", name="Guardar y agregar otro").click()

    page.wait_for_url(re.compile(r"/casos/rapido/\?"))
    primero = Caso.objects.get()
    expect(page.locator(".mensajes")).to_contain_text(f"Caso {primero.documento} creado.")
    expect(page.locator("#id_cliente")).to_have_value("Ferretería Ñandú (FN-01)")
    assert valor(page, "cliente") == str(datos["nandu"].pk)
    expect(page.locator("#id_contacto")).to_have_value("")
    expect(page.locator("#id_ejecutor_valor")).to_have_value(str(datos["ana"].pk))
    expect(page.locator("#id_prioridad")).to_have_value("alta")
    expect(page.locator("#id_asunto")).to_have_value("")

    # The second case: the kept client's contacts are offered straight away.
    page.locator("#id_asunto").fill("Segunda visita")
    elegir_contacto_con_flechas(page, "María Gómez", esperados=["José Ñáñez", "María Gómez"])
    page.get_by_role("button", name="Guardar", exact=True).click()
    page.wait_for_url(URL_DETALLE)

    segundo = Caso.objects.exclude(pk=primero.pk).get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(segundo.documento)
    assert [
        (c.asunto, c.cliente, c.contacto, c.ejecutor, c.prioridad, c.propietario)
        for c in (primero, segundo)
    ] == [
        (
            "Revisar la caja registradora",
            datos["nandu"],
            datos["jose"],
            datos["ana"],
            "alta",
            soporte,
        ),
        ("Segunda visita", datos["nandu"], datos["maria"], datos["ana"], "alta", soporte),
    ]


def test_enter_right_after_typing_picks_from_the_new_results_never_the_old_ones(
    pages, soporte, datos
):
    page = pages.open(soporte)
    page.goto("/casos/rapido/")
    page.locator("#id_asunto").fill("Sin esperar")

    # Enter before the suggestions came: the form is not sent with an empty client.
    cliente = page.locator("#id_cliente")
    cliente.press_sequentially("ferreteria")
    cliente.press("Enter")
    expect(cliente).to_have_value("Ferretería Ñandú")
    assert valor(page, "cliente") == str(datos["nandu"].pk)
    assert page.url.endswith("/casos/rapido/")

    # The modal lists everyone at first; "beto" + Enter must not take the old first row.
    abrir_lupa(page, "Buscar ejecutor")
    expect(filas_modal(page)).to_have_count(2)
    page.locator("#lupa-q").press_sequentially("beto")
    page.keyboard.press("Enter")
    expect(modal(page)).to_be_hidden()
    expect(page.locator("#id_ejecutor_valor")).to_have_value(str(datos["beto"].pk))

    # Enter in a box that already holds its choice saves, as in any text box.
    cliente.press("Enter")
    page.wait_for_url(URL_DETALLE)
    caso = Caso.objects.get()
    assert (caso.asunto, caso.cliente, caso.ejecutor) == (
        "Sin esperar",
        datos["nandu"],
        datos["beto"],
    )
