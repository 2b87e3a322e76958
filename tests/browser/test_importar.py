"""Importar casos in chromium: upload a spreadsheet, read its preview, import it, follow the
link to the imported cases; a file with errors lists them and offers them back as an XLSX;
the upload form works from the keyboard."""

import io
import re

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from cases.exports import COLUMNAS_CASOS
from cases.models import Caso, Importacion
from tests.factories import ClienteFactory, EjecutorFactory, UserFactory

pytestmark = pytest.mark.browser

URL_IMPORTACION = re.compile(r"/casos/importar/(\d+)/$")


@pytest.fixture
def coordinador(db):
    return UserFactory(username="coord-importar", grupos=["Coordinador"])


@pytest.fixture
def acme(db):
    EjecutorFactory(nombre="Lucía Núñez")
    return ClienteFactory(codigo="ACME", nombre="Acme Industrial")


def libro(filas: list[list]) -> bytes:
    """An XLSX with a Casos sheet under the export's headers (those the import reads)."""
    wb = openpyxl.Workbook()
    hoja = wb.active
    hoja.title = "Casos"
    hoja.append(COLUMNAS_CASOS[:26])
    for fila in filas:
        hoja.append(fila)
    salida = io.BytesIO()
    wb.save(salida)
    return salida.getvalue()


def archivo(nombre: str, contenido: bytes) -> dict:
    return {
        "name": nombre,
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": contenido,
    }


# Documento, Asunto, Prioridad, Cliente, Código cliente, Contacto, Coord., Ejecutor, Inicio
DOS_NUEVOS = [
    [None, "Instalar la impresora del depósito", "Alta", "", "ACME", "", "", "Lucía Núñez",
     "02/03/2026"],
    [None, "Revisar el cableado de la oficina", "Baja", "", "ACME", "", "", "", "03/03/2026"],
]  # fmt: skip


def con_avance(fila: list, avance) -> list:
    """The row padded to the Avance (%) column, with that value in it."""
    columna = COLUMNAS_CASOS.index("Avance (%)")
    return [*fila, *[None] * (columna + 1 - len(fila))][:columna] + [avance]


def subir(page: Page, nombre: str, contenido: bytes) -> int:
    """Upload the file on /casos/importar/ and wait for its preview; return its id."""
    page.goto("/casos/importar/")
    page.locator("input[name=archivo]").set_input_files(archivo(nombre, contenido))
    page.get_by_role("button", name="Validar archivo").click()
    page.wait_for_url(URL_IMPORTACION)
    return int(URL_IMPORTACION.search(page.url).group(1))


def test_upload_preview_import_and_see_the_imported_cases(pages, coordinador, acme):
    page = pages.open(coordinador)
    expect(page.get_by_role("link", name="Importar", exact=True)).to_be_visible()
    page.get_by_role("link", name="Importar", exact=True).click()
    expect(page.get_by_role("heading", name="Importar casos")).to_be_visible()

    pk = subir(page, "casos-nuevos.xlsx", libro(DOS_NUEVOS))

    expect(page.get_by_role("heading", level=1)).to_contain_text("casos-nuevos.xlsx")
    expect(page.locator("[data-conteos]")).to_contain_text("Se crearían")
    expect(page.locator("[data-creados]")).to_have_text("2")
    expect(page.locator("[data-actualizados]")).to_have_text("0")
    expect(page.locator("[data-sin-cambios]")).to_have_text("0")
    expect(page.locator("[data-errores]")).to_have_count(0)
    assert Caso.objects.count() == 0  # validating writes nothing

    page.get_by_role("button", name="Importar", exact=True).click()

    expect(page.locator("#contenido")).to_contain_text(
        "Importación terminada: 2 casos creados y 0 actualizados."
    )
    expect(page.locator("[data-conteos]")).to_contain_text("Creados")
    expect(page.locator("[data-creados]")).to_have_text("2")
    expect(page.get_by_role("button", name="Importar", exact=True)).to_have_count(0)
    importacion = Importacion.objects.get(pk=pk)
    assert importacion.estado == Importacion.Estado.IMPORTADA
    assert importacion.usuario == coordinador

    page.get_by_role("link", name="Ver los casos importados").click()

    page.wait_for_url(re.compile(rf"/casos/\?importacion={pk}$"))
    expect(page.locator(".alert-info")).to_contain_text(f"importación n.º {pk}")
    filas = page.locator("table.lista-casos tbody tr")
    expect(filas).to_have_count(2)
    expect(filas.filter(has_text="Instalar la impresora del depósito")).to_have_count(1)
    expect(filas.filter(has_text="Revisar el cableado de la oficina")).to_have_count(1)
    assert sorted(Caso.objects.values_list("asunto", "cliente__codigo")) == [
        ("Instalar la impresora del depósito", "ACME"),
        ("Revisar el cableado de la oficina", "ACME"),
    ]


def test_a_file_with_errors_lists_them_offers_them_back_and_cannot_be_imported(
    pages, coordinador, acme
):
    page = pages.open(coordinador)
    con_errores = [
        con_avance(DOS_NUEVOS[0], 150),
        [None, "Cliente que no existe", "Media", "", "NO-EXISTE", "", "", "", "04/03/2026"],
    ]

    pk = subir(page, "con-errores.xlsx", libro(con_errores))

    errores = page.locator("[data-errores] li")
    expect(errores.first).to_contain_text("Casos · Fila 2 · Avance (%)")
    expect(errores.filter(has_text="Casos · Fila 3 · ")).not_to_have_count(0)
    expect(page.get_by_role("alert")).to_contain_text("corríjalos y suba el archivo de nuevo")
    expect(page.get_by_role("button", name="Importar", exact=True)).to_have_count(0)
    assert Importacion.objects.get(pk=pk).estado == Importacion.Estado.CON_ERRORES

    with page.expect_download() as descarga:
        page.get_by_role("link", name="Descargar el archivo con los errores").click()

    assert descarga.value.suggested_filename == "con-errores-errores.xlsx"
    contenido = descarga.value.path().read_bytes()
    assert contenido.startswith(b"PK")  # an XLSX is a zip
    wb = openpyxl.load_workbook(io.BytesIO(contenido))
    filas = list(wb["Casos"].iter_rows(values_only=True))
    assert filas[0][-1] == "Errores"
    assert filas[1][1] == "Instalar la impresora del depósito"
    assert "Avance (%)" in filas[1][-1]
    assert filas[2][-1]  # the unknown client's row has its error too
    assert Caso.objects.count() == 0


def test_the_upload_form_works_from_the_keyboard(pages, coordinador, acme):
    page = pages.open(coordinador)
    page.goto("/casos/importar/")
    campo = page.locator("input[name=archivo]")
    boton = page.get_by_role("button", name="Validar archivo")

    # Tab from the page's top reaches the file input, then the submit button.
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if campo.evaluate("el => el === document.activeElement"):
            break
    expect(campo).to_be_focused()
    campo.set_input_files(archivo("teclado.xlsx", libro(DOS_NUEVOS[:1])))
    page.keyboard.press("Tab")
    expect(boton).to_be_focused()
    page.keyboard.press("Enter")

    page.wait_for_url(URL_IMPORTACION)
    expect(page.locator("[data-creados]")).to_have_text("1")
    # And Importar, reached with Tab as well, is pressed with Enter.
    importar = page.get_by_role("button", name="Importar", exact=True)
    for _ in range(40):
        page.keyboard.press("Tab")
        if importar.evaluate("el => el === document.activeElement"):
            break
    expect(importar).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#contenido")).to_contain_text("1 casos creados")
    assert Caso.objects.get().asunto == "Instalar la impresora del depósito"


def test_the_errors_of_page_two_are_numbered_on_from_the_first_page(pages, coordinador, acme):
    """200 errors a page: the second page's list goes on from 201, as its rows do."""
    sin_cliente = [
        [None, f"Caso {n}", "Media", "", f"NO-{n}", "", "", "", "02/03/2026"] for n in range(201)
    ]
    page = pages.open(coordinador)
    pk = subir(page, "muchos.xlsx", libro(sin_cliente))

    errores = page.locator("[data-errores] li")
    expect(errores).to_have_count(200)
    expect(errores.first).to_have_text(re.compile(r"^1\.\s*Casos · Fila 2 · Código cliente"))
    page.get_by_role("link", name="Siguiente").click()

    page.wait_for_url(re.compile(rf"/casos/importar/{pk}/\?page=2$"))
    expect(errores).to_have_count(1)
    expect(errores.first).to_have_text(re.compile(r"^201\.\s*Casos · Fila 202 · Código cliente"))
    expect(page.locator("[data-errores]")).to_have_attribute("start", "201")
