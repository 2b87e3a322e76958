"""The Actividades rows in a real browser: long Ejecutor and Artículo names stay readable at
1366 and 1920 px, a new row's Fact. and Ejecutor follow the case until the user changes that
very field, and the hours read the Spanish way whoever computed them.
"""

import datetime

import pytest
from playwright.sync_api import Page, expect

from cases.models import Actividad, Caso
from tests.browser.test_caso_editor import elegir_en_lupa
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
LARGO_EJECUTOR = "Carlos Eduardo Mendoza Villalobos"
LARGO_ARTICULO = "Instalación completa de cableado estructurado"


@pytest.fixture
def carlos(db):
    return EjecutorFactory(nombre=LARGO_EJECUTOR)


@pytest.fixture
def ana(db):
    return EjecutorFactory(nombre="Ana Pérez")


@pytest.fixture
def cliente(db):
    return ClienteFactory(nombre="Óptica Mérida")


def campo(page: Page, indice: int, nombre: str):
    return page.locator(f'[name="actividades-{indice}-{nombre}"]')


def fila(page: Page, indice: int):
    return page.locator("[data-formset-row]").filter(has=campo(page, indice, "fecha"))


def llenar_fila(page: Page, indice: int, descripcion: str, inicio="09:00", fin="10:00"):
    campo(page, indice, "fecha").fill("2026-03-02")
    campo(page, indice, "hora_inicio").fill(inicio)
    campo(page, indice, "hora_fin").fill(fin)
    campo(page, indice, "descripcion").fill(descripcion)


def nuevo_caso(page: Page, cliente, ejecutor=None):
    """Open /casos/nuevo/ and fill the case's required fields (Facturable left unticked)."""
    page.goto("/casos/nuevo/")
    page.locator("#id_asunto").fill("Cableado de la óptica")
    page.locator("#id_cliente").fill("Óptica")
    page.get_by_role("option", name=cliente.nombre).click()
    page.locator("#id_fecha_inicio").fill("2026-03-01")
    if ejecutor is not None:
        elegir_en_lupa(page, "#id_ejecutor", ejecutor.nombre)


def guardar(page: Page):
    page.get_by_role("button", name="Guardar", exact=True).click()


def caja_del_nombre(page: Page, indice: int, nombre: str):
    """The box that shows the chosen name of a row's Ejecutor or Artículo."""
    return fila(page, indice).locator(f".c-{nombre} [data-nombre-elegido]")


def medir(caja) -> dict:
    """Whether the text of ``caja`` is all inside the box (wrapped, not cut) and on screen."""
    return caja.evaluate(
        """el => {
            const caja = el.getBoundingClientRect();
            const rango = document.createRange();
            rango.selectNodeContents(el);
            const texto = rango.getBoundingClientRect();
            return {
                texto: el.textContent,
                cortado: el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight,
                dentro: texto.left >= caja.left - 1 && texto.right <= caja.right + 1
                    && texto.top >= caja.top - 1 && texto.bottom <= caja.bottom + 1,
                visible: caja.left >= 0 && caja.right <= document.documentElement.clientWidth,
                lineas: Math.round(texto.height / parseFloat(getComputedStyle(el).lineHeight)),
            };
        }"""
    )


@pytest.mark.parametrize("ancho,alto", [(1366, 768), (1920, 1080)])
def test_long_ejecutor_and_articulo_names_are_fully_visible(
    pages, soporte, carlos, cliente, ancho, alto
):
    articulo = ArticuloFactory(nombre=LARGO_ARTICULO)
    caso = CasoFactory(
        cliente=cliente, ejecutor=carlos, fecha_inicio=D(2026, 3, 1), facturable=True
    )
    for dia in range(2, 14):
        ActividadFactory(
            caso=caso,
            fecha=D(2026, 3, dia),
            descripcion="Tendido y certificación de puntos de red " * 3,
            ejecutor=carlos,
            articulo=articulo,
        )

    page = pages.open(soporte, viewport={"width": ancho, "height": alto})
    page.goto(f"/casos/{caso.pk}/editar/")

    for indice in (0, 11):
        for nombre, texto in (("ejecutor", LARGO_EJECUTOR), ("articulo", LARGO_ARTICULO)):
            caja = caja_del_nombre(page, indice, nombre)
            expect(caja).to_be_visible()
            medida = medir(caja)
            assert medida["texto"] == texto
            assert not medida["cortado"] and medida["dentro"] and medida["visible"], medida
    if ancho >= 1920:
        # Wide screens have room for the whole name on one line.
        assert medir(caja_del_nombre(page, 0, "ejecutor"))["lineas"] == 1
    # Over the box lies the lupa's search box, which the label names; the select keeps
    # the value.
    expect(campo(page, 0, "ejecutor")).to_have_value(str(carlos.pk))
    expect(page.get_by_label("Ejecutor", exact=True).nth(1)).to_have_value(LARGO_EJECUTOR)
    expect(page.get_by_label("Ejecutor", exact=True).nth(1)).to_have_role("combobox")
    anchos = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert anchos[0] <= anchos[1] <= ancho, anchos
    # Remove and the lupa of the last column stay on screen.
    for control in (
        fila(page, 0).get_by_role("button", name="Eliminar renglón"),
        fila(page, 0).get_by_role("button", name="Buscar artículo"),
    ):
        caja = control.bounding_box()
        assert caja["x"] >= 0 and caja["x"] + caja["width"] <= anchos[1], caja


def test_picking_another_ejecutor_shows_its_name(pages, soporte, carlos, ana, cliente):
    caso = CasoFactory(cliente=cliente, ejecutor=ana, fecha_inicio=D(2026, 3, 1))
    ActividadFactory(caso=caso, fecha=D(2026, 3, 2), ejecutor=ana)
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")
    expect(caja_del_nombre(page, 0, "ejecutor")).to_have_text("Ana Pérez")

    elegir_en_lupa(page, "#id_actividades-0-ejecutor", LARGO_EJECUTOR)

    expect(caja_del_nombre(page, 0, "ejecutor")).to_have_text(LARGO_EJECUTOR)


def test_ticking_facturable_after_typing_in_a_new_row_ticks_its_fact(
    pages, soporte, carlos, cliente
):
    page = pages.open(soporte)
    nuevo_caso(page, cliente, carlos)
    llenar_fila(page, 0, "Tendido de cable", "09:00", "11:30")
    llenar_fila(page, 1, "Certificación de puntos", "13:00", "14:00")
    expect(campo(page, 0, "facturable")).not_to_be_checked()
    expect(page.locator("[data-total-facturables]")).to_have_text("0,00")

    # Facturable sits in Otros, below the rows: ticked after the rows were typed.
    page.locator("#id_facturable").check()

    for indice in (0, 1, 2):
        expect(campo(page, indice, "facturable")).to_be_checked()
    expect(page.locator("[data-total-horas]")).to_have_text("3,50")
    expect(page.locator("[data-total-facturables]")).to_have_text("3,50")

    guardar(page)
    page.wait_for_url("**/casos/*/")
    caso = Caso.objects.get()
    assert caso.facturable
    assert list(caso.actividades.values_list("descripcion", "facturable", "ejecutor")) == [
        ("Tendido de cable", True, carlos.pk),
        ("Certificación de puntos", True, carlos.pk),
    ]


def test_a_row_whose_fact_the_user_set_keeps_it(pages, soporte, carlos, cliente):
    page = pages.open(soporte)
    nuevo_caso(page, cliente, carlos)
    llenar_fila(page, 0, "Visita de diagnóstico", "08:00", "09:00")
    llenar_fila(page, 1, "Garantía: cambio de conector", "10:00", "10:30")
    # The user says row 1 is not billable (unticked, then ticked and unticked again:
    # an explicit choice), then ticks the case's Facturable.
    campo(page, 1, "facturable").check()
    campo(page, 1, "facturable").uncheck()
    page.locator("#id_facturable").check()

    expect(campo(page, 0, "facturable")).to_be_checked()
    expect(campo(page, 1, "facturable")).not_to_be_checked()
    expect(page.locator("[data-total-facturables]")).to_have_text("1,00")

    # Untick and tick again: row 0 follows every time, row 1 keeps the user's choice.
    page.locator("#id_facturable").uncheck()
    expect(campo(page, 0, "facturable")).not_to_be_checked()
    page.locator("#id_facturable").check()
    expect(campo(page, 0, "facturable")).to_be_checked()
    expect(campo(page, 1, "facturable")).not_to_be_checked()

    guardar(page)
    page.wait_for_url("**/casos/*/")
    assert list(Actividad.objects.values_list("descripcion", "facturable")) == [
        ("Visita de diagnóstico", True),
        ("Garantía: cambio de conector", False),
    ]


def test_a_new_rows_ejecutor_follows_the_case_until_the_user_picks_one(
    pages, soporte, carlos, ana, cliente
):
    page = pages.open(soporte)
    nuevo_caso(page, cliente, ana)
    llenar_fila(page, 0, "Levantamiento", "08:00", "09:00")
    expect(campo(page, 0, "ejecutor")).to_have_value(str(ana.pk))
    expect(caja_del_nombre(page, 0, "ejecutor")).to_have_text("Ana Pérez")

    elegir_en_lupa(page, "#id_actividades-1-ejecutor", "Ana Pérez")  # the user's own choice
    elegir_en_lupa(page, "#id_ejecutor", LARGO_EJECUTOR)

    expect(campo(page, 0, "ejecutor")).to_have_value(str(carlos.pk))
    expect(caja_del_nombre(page, 0, "ejecutor")).to_have_text(LARGO_EJECUTOR)
    expect(campo(page, 1, "ejecutor")).to_have_value(str(ana.pk))
    expect(campo(page, 2, "ejecutor")).to_have_value(str(carlos.pk))
    # A row added now starts from the case's current ejecutor.
    page.get_by_role("button", name="Agregar renglón").click()
    expect(campo(page, 3, "ejecutor")).to_have_value(str(carlos.pk))
    expect(caja_del_nombre(page, 3, "ejecutor")).to_have_text(LARGO_EJECUTOR)
    # The row's select listed only the case's first ejecutor: the page added the new one,
    # and the row's search box reads its name too.
    expect(page.locator("#id_actividades-0-ejecutor")).to_have_value(LARGO_EJECUTOR)
    expect(page.locator("#id_actividades-3-ejecutor")).to_have_value(LARGO_EJECUTOR)
    expect(page.locator("#id_actividades-1-ejecutor")).to_have_value("Ana Pérez")


def test_a_rows_ejecutor_and_articulo_are_picked_from_the_keyboard(
    pages, soporte, carlos, ana, cliente
):
    """A row's Ejecutor and Artículo are comboboxes like Cliente: type, arrows, Enter."""
    ArticuloFactory(nombre="Cableado")
    ArticuloFactory(nombre="Cable de red")
    caso = CasoFactory(cliente=cliente, ejecutor=ana, fecha_inicio=D(2026, 3, 1))
    fila_guardada = ActividadFactory(caso=caso, fecha=D(2026, 3, 2), ejecutor=ana)
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")

    caja = fila(page, 0).get_by_role("combobox", name="Artículo")
    expect(caja).to_have_attribute("aria-expanded", "false")
    caja.press_sequentially("cable")
    opciones = page.locator("#id_actividades-0-articulo_sugerencias [role=option]")
    expect(opciones).to_have_count(2)
    expect(caja).to_have_attribute("aria-expanded", "true")
    caja.press("ArrowDown")
    expect(opciones.nth(1)).to_have_attribute("aria-selected", "true")
    caja.press("Enter")
    expect(caja).to_have_value("Cableado")
    expect(caja_del_nombre(page, 0, "articulo")).to_have_text("Cableado")

    caja = page.locator("#id_actividades-0-ejecutor")
    caja.focus()
    caja.fill("")
    caja.press_sequentially("mendoza")
    expect(page.locator("#id_actividades-0-ejecutor_sugerencias [role=option]")).to_have_count(1)
    caja.press("Enter")
    expect(caja_del_nombre(page, 0, "ejecutor")).to_have_text(LARGO_EJECUTOR)
    guardar(page)
    page.wait_for_url("**/casos/*/")
    fila_guardada.refresh_from_db()
    assert (fila_guardada.ejecutor, fila_guardada.articulo.nombre) == (carlos, "Cableado")


def test_an_inactive_ejecutor_of_the_case_is_not_copied_into_new_rows(pages, soporte, cliente):
    jubilado = EjecutorFactory(nombre="Jubilado", estatus="inactivo")
    caso = CasoFactory(cliente=cliente, ejecutor=jubilado, fecha_inicio=D(2026, 3, 1))
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")
    expect(page.locator("#id_ejecutor")).to_have_value("Jubilado")

    page.get_by_role("button", name="Agregar renglón").click()

    expect(campo(page, 1, "ejecutor")).to_have_value("")
    expect(page.locator("#id_actividades-1-ejecutor")).to_have_value("")


def test_after_a_refused_save_a_fact_the_user_set_is_still_theirs(pages, soporte, carlos, cliente):
    page = pages.open(soporte)
    nuevo_caso(page, cliente, carlos)
    page.locator("#id_facturable").check()
    llenar_fila(page, 0, "Soporte en sitio", "08:00", "09:00")
    llenar_fila(page, 1, "Capacitación sin costo", "10:00", "11:00")
    campo(page, 1, "facturable").uncheck()
    page.locator("#id_asunto").fill("")  # refused: no asunto

    guardar(page)

    expect(page.get_by_role("alert").filter(has_text="No se guardó nada.")).to_be_visible()
    expect(campo(page, 0, "facturable")).to_be_checked()
    expect(campo(page, 1, "facturable")).not_to_be_checked()
    page.locator("#id_facturable").uncheck()
    page.locator("#id_facturable").check()
    expect(campo(page, 0, "facturable")).to_be_checked()
    expect(campo(page, 1, "facturable")).not_to_be_checked()


def test_hours_read_with_a_decimal_comma_before_and_after_the_browser_recomputes(
    pages, soporte, carlos, cliente
):
    caso = CasoFactory(cliente=cliente, ejecutor=carlos, fecha_inicio=D(2026, 3, 1))
    ActividadFactory(
        caso=caso, fecha=D(2026, 3, 2), ejecutor=carlos, hora_inicio=T(9), hora_fin=T(11, 30)
    )
    page = pages.open(soporte)
    page.goto(f"/casos/{caso.pk}/editar/")
    horas = fila(page, 0).locator("[data-horas]")
    expect(horas).to_have_text("2,50")  # drawn by the server
    expect(page.locator("[data-total-horas]")).to_have_text("2,50")

    campo(page, 0, "hora_fin").fill("10:00")

    expect(horas).to_have_text("1,00")  # computed by the browser
    expect(page.locator("[data-total-horas]")).to_have_text("1,00")
