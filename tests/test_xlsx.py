"""The streaming XLSX writer of the exports (efactory/xlsx.py): what it writes is what
openpyxl (and so Excel and LibreOffice) reads, value by value and type by type."""

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from efactory.xlsx import LibroXlsx, letra

FORMATOS = {
    datetime.datetime: "DD/MM/YYYY HH:MM",
    datetime.date: "DD/MM/YYYY",
    datetime.time: "HH:MM",
}


def escribir(hojas):
    archivo = io.BytesIO()
    libro = LibroXlsx(archivo, FORMATOS)
    for titulo, encabezado, filas, anchos in hojas:
        libro.hoja(titulo, encabezado, filas, anchos)
    libro.cerrar()
    archivo.seek(0)
    return archivo


def test_every_kind_of_value_comes_back_as_it_went_in():
    fila = [
        "texto",
        "",  # empty: an empty cell, the next ones stay in their columns
        None,
        'con <ángulos> & "comillas"\nen dos líneas',
        "  espacios a los lados  ",
        "=SUMA(A1:A2)",  # text, never a formula
        7,
        2.5,
        Decimal("12.50"),
        True,
        datetime.date(2026, 2, 28),
        datetime.datetime(2026, 12, 31, 23, 59),
        datetime.time(9, 30),
        "tab\tvertical\x0bfuera",
    ]
    encabezado = [f"Col {letra(i)}" for i in range(len(fila))]

    hoja = openpyxl.load_workbook(escribir([("Datos", encabezado, [fila], [10] * len(fila))]))[
        "Datos"
    ]

    leida = [c.value for c in hoja[2]]
    assert leida == [
        "texto",
        None,
        None,
        'con <ángulos> & "comillas"\nen dos líneas',
        "  espacios a los lados  ",
        "=SUMA(A1:A2)",
        7,
        2.5,
        12.5,
        True,
        datetime.datetime(2026, 2, 28),
        datetime.datetime(2026, 12, 31, 23, 59),
        datetime.time(9, 30),
        "tab\tverticalfuera",  # a vertical tab cannot be in XML: dropped
    ]
    assert hoja["F2"].data_type == "s"  # not a formula
    assert hoja["K2"].number_format == "DD/MM/YYYY"
    assert hoja["L2"].number_format == "DD/MM/YYYY HH:MM"
    assert hoja["M2"].number_format == "HH:MM"
    assert [c.value for c in hoja[1]] == encabezado and hoja["A1"].font.bold


def test_sheets_have_widths_a_frozen_header_and_an_autofilter_over_their_rows():
    archivo = escribir(
        [
            ("Casos", ["A", "B", "C"], ([i, f"fila {i}", None] for i in range(5)), [11, 45, 8]),
            ("Vacía", ["X"], [], [12]),
        ]
    )
    libro = openpyxl.load_workbook(archivo)

    assert libro.sheetnames == ["Casos", "Vacía"]
    casos = libro["Casos"]
    assert casos.freeze_panes == "A2"
    assert casos.auto_filter.ref == "A1:C6"
    assert [casos.column_dimensions[c].width for c in "ABC"] == [11, 45, 8]
    assert casos.max_row == 6 and casos["B6"].value == "fila 4"
    assert libro["Vacía"].auto_filter.ref == "A1:X1".replace("X", "A")
    assert zipfile.ZipFile(archivo).testzip() is None


def test_a_text_longer_than_excel_allows_is_cut_to_its_limit():
    hoja = openpyxl.load_workbook(escribir([("T", ["Texto"], [["x" * 40_000]], [10])]))["T"]
    assert len(hoja["A2"].value) == 32_767


@pytest.mark.parametrize(
    ("indice", "letras"), [(0, "A"), (25, "Z"), (26, "AA"), (29, "AD"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters(indice, letras):
    assert letra(indice) == letras


def test_an_error_while_writing_rows_reaches_the_caller():
    def filas():
        yield ["una"]
        raise RuntimeError("la base de datos se cayó")

    with pytest.raises(RuntimeError, match="se cayó"):
        escribir([("T", ["A"], filas(), [10])])
