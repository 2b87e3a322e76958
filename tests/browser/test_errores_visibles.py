"""Every field error can be seen next to its input, and is tied to it, in a real browser.

For each kind of widget (the lupa's type-to-search box, the lupa over a select, select,
date, time, textarea, checkbox, the Actividades and Contactos rows) a refused save must show
the message on screen right under the input the user works with (the combobox that
static/js/lupa.js puts in place of a big table's select, not the hidden select), and that
input must carry aria-invalid and an aria-describedby naming the message. The error summary
gets the focus, and its links take the keyboard to each field.

Some widgets never get an error from the product's rules (a checkbox): the form is made to
add one in the test, the live server runs in this process.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from cases.forms import ActividadForm, CasoForm
from customers.forms import ClienteForm, ContactoForm
from tests.browser.test_accesibilidad import ESCUCHA_CSP
from tests.factories import CasoFactory, ClienteFactory, ContactoFactory, EjecutorFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def ana(db):
    return EjecutorFactory(nombre="Ana Pérez")


@pytest.fixture
def cliente(db):
    return ClienteFactory(nombre="Ferretería El Tornillo")


def error_en(monkeypatch, form_class, campos: dict[str, str]):
    """Make ``form_class`` put ``mensaje`` on each field ``campo`` after its own clean()."""
    original = form_class.clean

    def clean(self):
        datos = original(self)
        for campo, mensaje in campos.items():
            self.add_error(campo, mensaje)
        return datos

    monkeypatch.setattr(form_class, "clean", clean)


def comprobar_error(page: Page, campo: Locator, mensaje: str):
    """``campo`` is invalid, described by its message, and the message is on screen under it."""
    expect(campo).to_be_visible()
    expect(campo).to_have_attribute("aria-invalid", "true")
    expect(campo).to_have_accessible_description(re.compile(re.escape(mensaje)))
    ids = (campo.get_attribute("aria-describedby") or "").split()
    for id_ in ids:
        expect(page.locator(f'[id="{id_}"]')).to_have_count(1)
    errores = [
        page.locator(f'[id="{id_}"]')
        for id_ in ids
        if "invalid-feedback" in (page.locator(f'[id="{id_}"]').get_attribute("class") or "")
    ]
    assert len(errores) == 1, ids
    error = errores[0]
    expect(error).to_be_visible()
    expect(error).to_contain_text(mensaje)
    caja, texto = campo.bounding_box(), error.bounding_box()
    assert texto["width"] > 0 and texto["height"] > 0
    # Right under the input (or under the checkbox's label): not elsewhere on the page.
    assert 0 <= texto["y"] - (caja["y"] + caja["height"]) < 40, (caja, texto)
    assert abs(texto["x"] - caja["x"]) < 40, (caja, texto)


def agregar_opcion(page: Page, selector: str, valor: str):
    """A value the select does not offer (a row deleted since the page was loaded)."""
    page.locator(selector).evaluate(
        "(s, v) => { s.add(new Option('Ya no existe', v)); s.value = v; }", valor
    )


def guardar(page: Page):
    page.get_by_role("button", name="Guardar", exact=True).click()
    expect(page.locator("#resumen-errores")).to_be_visible()


def ir_desde_el_resumen(page: Page, texto: str) -> None:
    """From the focused summary, Tab to the link that starts with ``texto`` and press Enter."""
    expect(page.locator("#resumen-errores")).to_be_focused()
    enlace = page.locator("#resumen-errores a").filter(has_text=re.compile("^" + re.escape(texto)))
    expect(enlace).to_have_count(1)
    for _ in range(30):
        page.keyboard.press("Tab")
        if enlace.evaluate("a => a === document.activeElement"):
            break
    expect(enlace).to_be_focused()
    destino = enlace.get_attribute("href")[1:]
    page.keyboard.press("Enter")
    expect(page.locator(f'[id="{destino}"]')).to_be_focused()
    # The field comes into view with its label (a plain jump to an input puts it at the
    # very top of the window, its label above, out of sight).
    etiqueta = page.locator(f'label[for="{destino}"]:not(.visually-hidden, .etiqueta-celda)')
    if etiqueta.count():
        expect(etiqueta).to_be_in_viewport()


# --- the case editor ------------------------------------------------------------------------


def test_the_editor_shows_every_kind_of_error_next_to_its_input(pages, soporte, ana, monkeypatch):
    error_en(monkeypatch, CasoForm, {"interno": "Revise el caso interno."})
    error_en(monkeypatch, ActividadForm, {"facturable": "Revise si es facturable."})
    page = pages.open(soporte)
    page.goto("/casos/nuevo/")
    # No Cliente, no Asunto; a coordinator and an etapa that no longer exist; F/Cierre before
    # F/Inicio; an over-long comment.
    agregar_opcion(page, "#id_coordinador_valor", "999999")
    agregar_opcion(page, "#id_etapa", "inventada")
    page.locator("#id_fecha_inicio").fill("2026-03-10")
    page.locator("#id_fecha_cierre").fill("2026-03-01")
    page.locator("#id_comentario").evaluate("t => { t.value = 'x'.repeat(10001); }")
    agregar_opcion(page, "#id_ejecutor_valor", str(ana.pk))
    # Row 1 ends before it starts; row 2 has no description.
    page.locator("#id_actividades-0-fecha").fill("2026-03-10")
    page.locator("#id_actividades-0-hora_inicio").fill("10:00")
    page.locator("#id_actividades-0-hora_fin").fill("09:00")
    page.locator("#id_actividades-0-descripcion").fill("Revisión")
    page.locator("#id_actividades-1-fecha").fill("2026-03-10")
    page.locator("#id_actividades-1-hora_inicio").fill("11:00")
    page.locator("#id_actividades-1-hora_fin").fill("12:00")

    guardar(page)

    expect(page.locator("#resumen-errores")).to_be_focused()
    cliente = page.locator("#id_cliente")
    expect(cliente).to_have_attribute("role", "combobox")
    comprobar_error(page, cliente, "Seleccione el cliente del caso.")
    comprobar_error(page, page.locator("#id_asunto"), "Escriba el asunto del caso.")
    comprobar_error(page, page.locator("#id_coordinador"), "No se encontró «999999»")
    comprobar_error(page, page.locator("#id_etapa"), "Escoja una opción válida")
    comprobar_error(page, page.locator("#id_fecha_cierre"), "igual o posterior")
    comprobar_error(page, page.locator("#id_comentario"), "10.000")
    comprobar_error(page, page.locator("#id_interno"), "Revise el caso interno.")
    comprobar_error(page, page.locator("#id_actividades-0-hora_fin"), "posterior a la hora")
    comprobar_error(page, page.locator("#id_actividades-1-descripcion"), "Describa la actividad")
    comprobar_error(page, page.locator("#id_actividades-0-facturable"), "Revise si es facturable.")

    ir_desde_el_resumen(page, "Cliente:")
    expect(cliente).to_be_focused()
    page.locator("#resumen-errores").focus()
    ir_desde_el_resumen(page, "Actividades, renglón 1 · H/Fin:")
    expect(page.locator("#id_actividades-0-hora_fin")).to_be_focused()


def test_a_contact_of_another_client_is_shown_under_the_contacto_box(pages, soporte, cliente):
    # The contact was moved to another client (in the admin) after the case was saved.
    caso = CasoFactory(cliente=cliente, contacto=ContactoFactory(nombre="María Gómez"))
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")

    guardar(page)

    contacto = page.locator("#id_contacto")
    expect(contacto).to_have_attribute("role", "combobox")
    expect(contacto).to_have_value(re.compile("María Gómez"))
    comprobar_error(page, contacto, "El contacto seleccionado no pertenece al cliente del caso.")
    ir_desde_el_resumen(page, "Contacto:")
    expect(contacto).to_be_focused()


# --- quick add ------------------------------------------------------------------------------


def test_quick_add_shows_every_kind_of_error_next_to_its_input(pages, soporte, monkeypatch):
    page = pages.open(soporte)
    page.goto("/casos/rapido/")
    page.locator("#id_fecha").fill("")
    agregar_opcion(page, "#id_ejecutor_valor", "999999")
    agregar_opcion(page, "#id_etapa", "inventada")
    page.locator("#id_comentario").evaluate("t => { t.value = 'x'.repeat(10001); }")

    guardar(page)

    expect(page.locator("#resumen-errores")).to_be_focused()
    cliente = page.locator("#id_cliente")
    expect(cliente).to_have_attribute("role", "combobox")
    comprobar_error(page, cliente, "Seleccione el cliente del caso.")
    comprobar_error(page, page.locator("#id_asunto"), "Escriba el asunto del caso.")
    comprobar_error(page, page.locator("#id_fecha"), "Indique la fecha de inicio.")
    comprobar_error(page, page.locator("#id_ejecutor"), "No se encontró «999999»")
    comprobar_error(page, page.locator("#id_etapa"), "Escoja una opción válida")
    comprobar_error(page, page.locator("#id_comentario"), "10.000")

    ir_desde_el_resumen(page, "Cliente:")
    expect(cliente).to_be_focused()


def test_quick_add_shows_a_contact_of_another_client_under_the_contacto_box(
    pages, soporte, cliente
):
    ajeno = ContactoFactory(nombre="María Norte", cliente=ClienteFactory(nombre="Papelería"))
    page = pages.open(soporte)
    page.goto(f"/casos/rapido/?cliente={cliente.pk}")
    page.locator("#id_asunto").fill("Revisar la impresora")
    # What a stale page would post: a contact that moved to another client meanwhile.
    agregar_opcion(page, "#id_contacto_valor", str(ajeno.pk))

    guardar(page)

    contacto = page.locator("#id_contacto")
    expect(contacto).to_have_attribute("role", "combobox")
    comprobar_error(page, contacto, "El contacto seleccionado no pertenece al cliente del caso.")
    ir_desde_el_resumen(page, "Contacto:")
    expect(contacto).to_be_focused()


def test_without_javascript_the_lupa_error_is_shown_next_to_its_boxes(pages, soporte):
    page = pages.open(soporte, java_script_enabled=False)
    page.goto("/casos/rapido/")
    page.get_by_label("Buscar cliente: código o nombre").fill("nadie se llama así")

    guardar(page)

    mensaje = "No se encontró «nadie se llama así»"
    comprobar_error(page, page.locator("#id_cliente"), mensaje)
    caja = page.get_by_label("Buscar cliente: código o nombre")
    expect(caja).to_have_value("nadie se llama así")
    expect(caja).to_have_attribute("aria-invalid", "true")
    expect(caja).to_have_accessible_description(re.compile(re.escape(mensaje)))


# --- the client editor ----------------------------------------------------------------------


def test_the_client_editor_shows_every_kind_of_error_next_to_its_input(
    pages, coordinador, monkeypatch
):
    error_en(
        monkeypatch, ClienteForm, {"interno": "Revise si es interno.", "direccion": "¿Y el piso?"}
    )
    error_en(monkeypatch, ContactoForm, {"activo": "Revise si está activo."})
    page = pages.open(coordinador)
    page.goto("/clientes/nuevo/")
    page.locator("#id_codigo").fill("FT-01")
    agregar_opcion(page, "#id_tipo", "inventado")
    page.locator("#id_email").fill("compras@")
    page.locator("#id_contactos-0-nombre").fill("Ana")
    page.locator("#id_contactos-0-email").fill("ana@")

    guardar(page)

    expect(page.locator("#resumen-errores")).to_be_focused()
    comprobar_error(page, page.locator("#id_nombre"), "Escriba el nombre del cliente.")
    comprobar_error(page, page.locator("#id_tipo"), "Elija Persona o Empresa.")
    comprobar_error(page, page.locator("#id_email"), "Escriba un correo electrónico válido")
    comprobar_error(page, page.locator("#id_interno"), "Revise si es interno.")
    comprobar_error(page, page.locator("#id_direccion"), "¿Y el piso?")
    comprobar_error(page, page.locator("#id_contactos-0-email"), "correo electrónico válido")
    comprobar_error(page, page.locator("#id_contactos-0-activo"), "Revise si está activo.")

    ir_desde_el_resumen(page, "Contactos, renglón 1 · Correo electrónico:")
    expect(page.locator("#id_contactos-0-email")).to_be_focused()


def test_the_refused_pages_have_no_serious_accessibility_or_csp_violation(pages, coordinador):
    page = pages.open(coordinador)
    page.context.add_init_script(ESCUCHA_CSP)
    axe = Axe()
    problemas = {}
    for ruta in ("/casos/nuevo/", "/casos/rapido/", "/clientes/nuevo/"):
        page.goto(ruta)
        guardar(page)
        graves = [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
            for v in axe.run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if graves or page.evaluate("window.__csp"):
            problemas[ruta] = (graves, page.evaluate("window.__csp"))
    assert problemas == {}
