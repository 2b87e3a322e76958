"""The case editor in a real browser: what needs JavaScript (adding and removing Actividades
rows), what must keep working without it, the keyboard, and the layout at desktop and phone
widths. Each test checks what the user sees and then what the database holds.
"""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from cases.models import Actividad, Caso
from tests.browser.conftest import TELEFONO
from tests.factories import (
    ActividadFactory,
    ArticuloFactory,
    CasoFactory,
    ClienteFactory,
    EjecutorFactory,
)

pytestmark = pytest.mark.browser

D = datetime.date
T = datetime.time
URL_DETALLE = re.compile(r"/casos/\d+/$")


@pytest.fixture
def ana(db):
    return EjecutorFactory(nombre="Ana Pérez")


@pytest.fixture
def cliente(db):
    return ClienteFactory(nombre="Ferretería El Tornillo")


@pytest.fixture
def caso(ana, cliente):
    """A billable March case of Ana's, without activities yet."""
    return CasoFactory(
        asunto="Soporte de la red",
        cliente=cliente,
        ejecutor=ana,
        fecha_inicio=D(2026, 3, 1),
        fecha_cierre=D(2026, 3, 31),
        facturable=True,
    )


def actividad(caso, dia, descripcion, **kwargs):
    """A saved one-hour activity (09:00–10:00) of the case's ejecutor on day ``dia`` of March."""
    return ActividadFactory(
        caso=caso,
        fecha=D(2026, 3, dia),
        hora_inicio=T(9, 0),
        hora_fin=T(10, 0),
        descripcion=descripcion,
        ejecutor=caso.ejecutor,
        **kwargs,
    )


# --- What the user does on the page --------------------------------------------------------


def filas(page: Page):
    """The Actividades rows of the editor, hidden ones included."""
    return page.locator("#seccion-actividades [data-formset-body] [data-formset-row]")


def campo(page: Page, indice: int, nombre: str):
    return page.locator(f'[name="actividades-{indice}-{nombre}"]')


def total_forms(page: Page) -> str:
    return page.locator('[name="actividades-TOTAL_FORMS"]').input_value()


def boton_agregar(page: Page):
    return page.get_by_role("button", name="Agregar renglón")


def elegir_cliente(page: Page, cliente):
    """Pick the client as a user does: type in the lupa's search box, take the suggestion.

    Without JavaScript the field is the plain <select> the lupa widget renders.
    """
    control = page.locator("#id_cliente")
    if control.evaluate("el => el.tagName") == "SELECT":
        # Without JavaScript the select lists no other client: the lupa's <noscript> box
        # takes the client's code instead.
        page.locator("input[name=cliente_buscar]").fill(cliente.codigo)
        return
    control.fill(cliente.nombre.split()[-1])
    page.get_by_role("option", name=cliente.nombre).click()
    expect(page.locator("#id_cliente_valor")).to_have_value(str(cliente.pk))


def elegir_en_lupa(page: Page, caja: str, nombre: str):
    """Pick ``nombre`` in a lupa field (the case's Ejecutor, a row's) as a user does.

    The select lists only its chosen row: with JavaScript, type in the search box that took
    its place and click the suggestion; without, type the name in its <noscript> box.
    """
    control = page.locator(caja)
    if control.evaluate("el => el.tagName") == "SELECT":
        page.locator(f'input[name="{control.get_attribute("name")}_buscar"]').fill(nombre)
        return
    control.fill(nombre.split()[0])
    page.locator(f"{caja}_sugerencias").get_by_role("option", name=nombre).click()
    expect(control).to_have_value(nombre)


def llenar_caso(page: Page, *, asunto, cliente, ejecutor, inicio, cierre, facturable=False):
    page.locator("#id_asunto").fill(asunto)
    elegir_cliente(page, cliente)
    elegir_en_lupa(page, "#id_ejecutor", str(ejecutor))
    page.locator("#id_fecha_inicio").fill(inicio)
    page.locator("#id_fecha_cierre").fill(cierre)
    page.locator("#id_facturable").set_checked(facturable)


def llenar_actividad(page: Page, indice: int, fecha, inicio, fin, descripcion):
    campo(page, indice, "fecha").fill(fecha)
    campo(page, indice, "hora_inicio").fill(inicio)
    campo(page, indice, "hora_fin").fill(fin)
    campo(page, indice, "descripcion").fill(descripcion)


def guardar(page: Page):
    page.get_by_role("button", name="Guardar", exact=True).click()


def guardar_y_ver_caso(page: Page):
    guardar(page)
    page.wait_for_url(URL_DETALLE)
    expect(page.locator(".mensajes")).to_contain_text("guardado")


def filas_detalle(page: Page):
    return page.locator("section[aria-labelledby=titulo-actividades] tbody tr")


def en_bd(caso):
    """The case's activities as (fecha, inicio, fin, minutos, ejecutor, facturable, texto)."""
    return list(
        caso.actividades.order_by("fecha", "hora_inicio").values_list(
            "fecha", "hora_inicio", "hora_fin", "minutos", "ejecutor", "facturable", "descripcion"
        )
    )


# --- The tests -----------------------------------------------------------------------------


def test_it_saves_a_new_caso_with_three_actividades(pages, soporte, ana, cliente):
    page = pages.open(soporte)
    page.goto("/casos/nuevo/")
    expect(filas(page)).to_have_count(3)
    assert total_forms(page) == "3"

    llenar_caso(
        page,
        asunto="Migración del correo",
        cliente=cliente,
        ejecutor=ana,
        inicio="2026-03-01",
        cierre="2026-03-31",
        facturable=True,
    )
    llenar_actividad(page, 0, "2026-03-02", "09:00", "10:30", "Respaldo de buzones")
    llenar_actividad(page, 1, "2026-03-03", "14:00", "16:00", "Migración de buzones")
    campo(page, 0, "facturable").set_checked(False)
    campo(page, 1, "facturable").set_checked(True)
    # The third extra row stays empty; one more row is added with the button.
    boton_agregar(page).click()

    expect(filas(page)).to_have_count(4)
    assert total_forms(page) == "4"
    expect(campo(page, 3, "ejecutor")).to_have_value(str(ana.pk))
    expect(campo(page, 3, "facturable")).to_be_checked()
    llenar_actividad(page, 3, "2026-03-04", "08:00", "08:45", "Pruebas con el cliente")
    expect(page.locator("[data-total-horas]")).to_have_text("4,25")
    expect(page.locator("[data-total-facturables]")).to_have_text("2,75")

    guardar_y_ver_caso(page)

    caso = Caso.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(caso.documento)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Migración del correo")
    expect(filas_detalle(page)).to_have_count(3)
    for texto in ("Respaldo de buzones", "Migración de buzones", "Pruebas con el cliente"):
        expect(filas_detalle(page).filter(has_text=texto)).to_have_count(1)
    expect(page.locator('[data-total="horas"]')).to_have_text("4,25")
    expect(page.locator('[data-total="horas_facturables"]')).to_have_text("2,75")

    assert (caso.asunto, caso.cliente, caso.ejecutor, caso.propietario) == (
        "Migración del correo",
        cliente,
        ana,
        soporte,
    )
    assert (caso.fecha_inicio, caso.fecha_cierre, caso.facturable) == (
        D(2026, 3, 1),
        D(2026, 3, 31),
        True,
    )
    assert Actividad.objects.count() == 3
    assert en_bd(caso) == [
        (D(2026, 3, 2), T(9, 0), T(10, 30), 90, ana.pk, False, "Respaldo de buzones"),
        (D(2026, 3, 3), T(14, 0), T(16, 0), 120, ana.pk, True, "Migración de buzones"),
        (D(2026, 3, 4), T(8, 0), T(8, 45), 45, ana.pk, True, "Pruebas con el cliente"),
    ]


def test_it_adds_rows_beyond_the_extra_one_with_consecutive_indexes(pages, soporte, caso):
    primera = actividad(caso, 2, "Diagnóstico")
    segunda = actividad(caso, 3, "Cambio del switch")
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")
    expect(filas(page)).to_have_count(3)  # two saved rows and one extra

    boton_agregar(page).click()
    boton_agregar(page).click()

    expect(filas(page)).to_have_count(5)
    assert total_forms(page) == "5"
    nombres = [
        filas(page).nth(i).locator('input[name$="-fecha"]').get_attribute("name") for i in range(5)
    ]
    assert nombres == [f"actividades-{i}-fecha" for i in range(5)]
    assert (
        filas(page)
        .nth(4)
        .locator("[name]")
        .evaluate_all("els => els.every(el => el.name.startsWith('actividades-4-'))")
    )
    llenar_actividad(page, 3, "2026-03-04", "09:00", "11:00", "Configuración de VLAN")
    llenar_actividad(page, 4, "2026-03-05", "13:00", "13:30", "Documentación")

    guardar_y_ver_caso(page)

    expect(filas_detalle(page)).to_have_count(4)
    assert set(caso.actividades.values_list("pk", flat=True)) >= {primera.pk, segunda.pk}
    assert en_bd(caso) == [
        (D(2026, 3, 2), T(9, 0), T(10, 0), 60, caso.ejecutor_id, False, "Diagnóstico"),
        (D(2026, 3, 3), T(9, 0), T(10, 0), 60, caso.ejecutor_id, False, "Cambio del switch"),
        (D(2026, 3, 4), T(9, 0), T(11, 0), 120, caso.ejecutor_id, True, "Configuración de VLAN"),
        (D(2026, 3, 5), T(13, 0), T(13, 30), 30, caso.ejecutor_id, True, "Documentación"),
    ]


def test_eliminar_renglon_hides_the_row_and_saving_deletes_only_it(pages, soporte, caso):
    actividad(caso, 2, "Primera visita")
    actividad(caso, 3, "Visita equivocada")
    actividad(caso, 4, "Cierre")
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")
    expect(page.locator("[data-total-horas]")).to_have_text("3,00")

    equivocada = filas(page).filter(has=page.locator("textarea", has_text="Visita equivocada"))
    equivocada.get_by_role("button", name="Eliminar renglón").click()

    expect(equivocada).to_be_hidden()
    expect(page.locator("[data-total-horas]")).to_have_text("2,00")
    expect(page.locator("[data-formset-status]")).to_have_text("Renglón eliminado")

    # A row added and filled in, then removed before saving, is not saved.
    boton_agregar(page).click()
    llenar_actividad(page, 4, "2026-03-05", "11:00", "12:30", "Renglón que sobra")
    expect(page.locator("[data-total-horas]")).to_have_text("3,50")
    filas(page).nth(4).get_by_role("button", name="Eliminar renglón").click()
    expect(filas(page).nth(4)).to_be_hidden()
    expect(page.locator("[data-total-horas]")).to_have_text("2,00")

    guardar_y_ver_caso(page)

    expect(filas_detalle(page)).to_have_count(2)
    expect(filas_detalle(page).filter(has_text="Visita equivocada")).to_have_count(0)
    expect(filas_detalle(page).filter(has_text="Renglón que sobra")).to_have_count(0)
    assert [a[-1] for a in en_bd(caso)] == ["Primera visita", "Cierre"]
    assert Actividad.objects.count() == 2


def test_a_row_removed_before_a_refused_save_stays_removed(pages, soporte, caso):
    actividad(caso, 2, "Se queda")
    actividad(caso, 3, "Quitada")
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")
    quitada = filas(page).nth(1)
    quitada.get_by_role("button", name="Eliminar renglón").click()
    llenar_actividad(page, 2, "2026-05-04", "09:00", "10:00", "Fuera de plazo")

    guardar(page)

    expect(page.get_by_role("alert").filter(has_text="No se guardó nada.")).to_be_visible()
    # The re-shown page keeps the removed row removed, not back on screen as a live row.
    expect(quitada).to_be_hidden()
    expect(page.locator("[data-total-horas]")).to_have_text("2,00")
    assert Actividad.objects.count() == 2

    campo(page, 2, "fecha").fill("2026-03-04")
    guardar_y_ver_caso(page)

    assert [a[-1] for a in en_bd(caso)] == ["Se queda", "Fuera de plazo"]


def test_an_actividad_after_f_cierre_is_refused_next_to_its_row_and_input_kept(
    pages, soporte, ana, cliente
):
    page = pages.open(soporte)
    page.goto("/casos/nuevo/")
    llenar_caso(
        page,
        asunto="Auditoría de licencias",
        cliente=cliente,
        ejecutor=ana,
        inicio="2026-03-01",
        cierre="2026-03-31",
        facturable=True,
    )
    llenar_actividad(page, 0, "2026-03-10", "09:00", "10:00", "Inventario de equipos")
    llenar_actividad(page, 1, "2026-04-02", "10:00", "11:30", "Visita fuera de plazo")
    boton_agregar(page).click()
    llenar_actividad(page, 3, "2026-03-12", "15:00", "16:00", "Informe final")

    guardar(page)

    expect(page.get_by_role("alert").filter(has_text="No se guardó nada.")).to_be_visible()
    assert page.url.endswith("/casos/nuevo/")
    mensaje = "La fecha debe estar entre el 01/03/2026 (F/Inicio) y el 31/03/2026 (F/Cierre)."
    fila_mala = filas(page).nth(1)
    expect(fila_mala.locator(".invalid-feedback")).to_have_text(mensaje)
    expect(fila_mala.locator(".invalid-feedback")).to_be_visible()
    expect(campo(page, 1, "fecha")).to_have_attribute("aria-invalid", "true")
    expect(campo(page, 1, "fecha")).to_have_accessible_description(re.compile(re.escape(mensaje)))
    for otra in (0, 2, 3):
        expect(filas(page).nth(otra).locator(".invalid-feedback")).to_have_count(0)
    # Everything typed is still there, the added row included.
    assert total_forms(page) == "4"
    expect(page.locator("#id_asunto")).to_have_value("Auditoría de licencias")
    expect(page.locator("#id_cliente")).to_have_value(re.compile(re.escape(cliente.nombre)))
    expect(page.locator("#id_cliente_valor")).to_have_value(str(cliente.pk))
    expect(page.locator("#id_ejecutor_valor")).to_have_value(str(ana.pk))
    expect(page.locator("#id_fecha_inicio")).to_have_value("2026-03-01")
    expect(page.locator("#id_fecha_cierre")).to_have_value("2026-03-31")
    expect(page.locator("#id_facturable")).to_be_checked()
    for indice, valores in {
        0: ("2026-03-10", "09:00", "10:00", "Inventario de equipos"),
        1: ("2026-04-02", "10:00", "11:30", "Visita fuera de plazo"),
        3: ("2026-03-12", "15:00", "16:00", "Informe final"),
    }.items():
        for nombre, valor in zip(
            ("fecha", "hora_inicio", "hora_fin", "descripcion"), valores, strict=True
        ):
            expect(campo(page, indice, nombre)).to_have_value(valor)
    expect(campo(page, 3, "facturable")).to_be_checked()
    assert Caso.objects.count() == 0
    assert Actividad.objects.count() == 0

    campo(page, 1, "fecha").fill("2026-03-30")
    guardar_y_ver_caso(page)

    caso = Caso.objects.get()
    expect(filas_detalle(page)).to_have_count(3)
    assert [(a[0], a[-1]) for a in en_bd(caso)] == [
        (D(2026, 3, 10), "Inventario de equipos"),
        (D(2026, 3, 12), "Informe final"),
        (D(2026, 3, 30), "Visita fuera de plazo"),
    ]


def test_without_javascript_extra_rows_and_delete_checkboxes_do_the_work(pages, soporte, caso):
    actividad(caso, 2, "Se queda")
    actividad(caso, 3, "Se borra")
    page = pages.open(soporte, java_script_enabled=False)
    page.goto(f"/casos/{caso.pk}/editar/")
    expect(boton_agregar(page)).to_be_hidden()
    expect(page.get_by_role("button", name="Eliminar renglón")).to_have_count(0)
    expect(page.get_by_text("Para más renglones, guarde con")).to_be_visible()
    expect(filas(page)).to_have_count(3)  # two saved rows and one extra
    for indice in range(3):
        expect(campo(page, indice, "DELETE")).to_be_visible()

    llenar_actividad(page, 2, "2026-03-05", "09:00", "12:00", "Instalación en sitio")
    fila = filas(page).filter(has=page.locator("textarea", has_text="Se borra"))
    fila.get_by_label("Eliminar", exact=True).check()
    guardar_y_ver_caso(page)

    expect(filas_detalle(page)).to_have_count(2)
    expect(filas_detalle(page).filter(has_text="Se borra")).to_have_count(0)
    assert en_bd(caso) == [
        (D(2026, 3, 2), T(9, 0), T(10, 0), 60, caso.ejecutor_id, False, "Se queda"),
        (D(2026, 3, 5), T(9, 0), T(12, 0), 180, caso.ejecutor_id, True, "Instalación en sitio"),
    ]


def test_without_javascript_a_new_caso_with_one_actividad_can_be_created(
    pages, soporte, ana, cliente
):
    page = pages.open(soporte, java_script_enabled=False)
    page.goto("/casos/nuevo/")
    expect(boton_agregar(page)).to_be_hidden()
    expect(campo(page, 0, "DELETE")).to_be_visible()

    llenar_caso(
        page,
        asunto="Caso sin JavaScript",
        cliente=cliente,
        ejecutor=ana,
        inicio="2026-03-01",
        cierre="2026-03-31",
    )
    llenar_actividad(page, 0, "2026-03-02", "09:00", "12:00", "Instalación en sitio")
    guardar_y_ver_caso(page)

    caso = Caso.objects.get()
    expect(filas_detalle(page)).to_have_count(1)
    assert en_bd(caso) == [
        (D(2026, 3, 2), T(9, 0), T(12, 0), 180, ana.pk, False, "Instalación en sitio"),
    ]


def test_agregar_renglon_works_from_the_keyboard(pages, soporte, caso):
    actividad(caso, 2, "Única")
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")
    expect(filas(page)).to_have_count(2)

    # Tab from the last row's remove button reaches "Agregar renglón".
    filas(page).nth(1).get_by_role("button", name="Eliminar renglón").focus()
    page.keyboard.press("Tab")
    expect(boton_agregar(page)).to_be_focused()
    page.keyboard.press("Enter")

    expect(filas(page)).to_have_count(3)
    expect(campo(page, 2, "fecha")).to_be_focused()
    expect(page.locator("[data-formset-status]")).to_have_text("Renglón agregado")

    # Removing that row from the keyboard sends focus back to the add button.
    filas(page).nth(2).get_by_role("button", name="Eliminar renglón").focus()
    page.keyboard.press("Enter")
    expect(filas(page).nth(2)).to_be_hidden()
    expect(boton_agregar(page)).to_be_focused()
    page.keyboard.press("Space")
    expect(filas(page)).to_have_count(4)
    expect(campo(page, 3, "fecha")).to_be_focused()


def test_actividades_fit_a_1366_screen_and_stack_on_a_phone(pages, soporte, caso):
    articulo = ArticuloFactory(nombre="Mantenimiento preventivo de servidores")
    actividad(caso, 2, "Revisión " * 40, articulo=articulo)
    actividad(caso, 3, "Ajustes", facturable=True)

    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")
    medidas = page.evaluate(
        """() => {
            const tabla = document.querySelector('.tabla-actividades');
            const contenedor = document.querySelector('.tabla-actividades-contenedor');
            return {
                pagina: document.documentElement.scrollWidth,
                paginaVisible: document.documentElement.clientWidth,
                tabla: tabla.scrollWidth, tablaVisible: tabla.clientWidth,
                contenedor: contenedor.scrollWidth, contenedorVisible: contenedor.clientWidth,
            };
        }"""
    )
    assert medidas["pagina"] <= 1366, medidas
    assert medidas["pagina"] <= medidas["paginaVisible"], medidas
    assert medidas["tabla"] <= medidas["tablaVisible"], medidas
    assert medidas["contenedor"] <= medidas["contenedorVisible"], medidas
    # The user reaches Artículo and the remove button without scrolling sideways.
    for control in (
        page.locator("#id_actividades-0-articulo"),  # the lupa's search box (its select is hidden)
        filas(page).nth(0).get_by_role("button", name="Eliminar renglón"),
    ):
        caja = control.bounding_box()
        assert caja["x"] >= 0 and caja["x"] + caja["width"] <= medidas["paginaVisible"], caja

    telefono = pages.open(soporte, viewport=TELEFONO, is_mobile=True, has_touch=True)
    telefono.goto(f"/casos/{caso.pk}/editar/")
    primera = filas(telefono).nth(0)
    celdas = primera.locator("td")
    assert set(celdas.evaluate_all("tds => tds.map(td => getComputedStyle(td).display)")) == {
        "block"
    }
    fecha, hora = celdas.nth(0).bounding_box(), celdas.nth(1).bounding_box()
    assert hora["y"] >= fecha["y"] + fecha["height"] - 1, (fecha, hora)
    alto_fila = primera.bounding_box()["height"]
    alto_input = campo(telefono, 0, "fecha").bounding_box()["height"]
    assert alto_fila > 4 * alto_input
    expect(celdas.nth(0).locator("label.etiqueta-celda")).to_be_visible()
    anchos = telefono.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert anchos[0] <= anchos[1] <= TELEFONO["width"], anchos
