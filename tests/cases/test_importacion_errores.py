"""Bad files and bad rows in the import (cases/importacion.py, efactory/hojas.py).

Each test feeds one bad input to ``Importador.validar()`` and to ``Importador.importar()``:
both answer with the same errors, each naming its sheet, row and column in Spanish, and
nothing is written. The CSV variants at the end are the good files that must work.
"""

import csv
import datetime
import io
import time
import zipfile

import openpyxl
import pytest

from cases.importacion import MAX_FILAS_WEB, Importador
from cases.models import Actividad, Caso
from efactory import versiones
from tests.cases.test_importacion import editar, exportado, libro, textos, validar
from tests.factories import (
    ActividadFactory,
    CasoFactory,
    ClienteFactory,
    EjecutorFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

COLUMNAS = ["Documento", "Asunto", "Código cliente", "Inicio"]
COLUMNAS_CLIENTE = ["Documento", "Asunto", "Cliente", "Inicio"]


@pytest.fixture
def jose():
    return EjecutorFactory(nombre="José Pérez", email="jose@example.com")


@pytest.fixture
def caso(jose):
    """A stored case of March 2026 (client ACME, ejecutor José) with one activity."""
    caso = CasoFactory(
        asunto="Original",
        cliente=ClienteFactory(codigo="ACME", nombre="Acme"),
        ejecutor=jose,
        fecha_inicio=datetime.date(2026, 3, 1),
        fecha_cierre=datetime.date(2026, 3, 31),
    )
    ActividadFactory(caso=caso, fecha=datetime.date(2026, 3, 2), ejecutor=jose)
    caso.refresh_from_db()
    return caso


def estado():
    """Everything an import could write: cases, activities and their history."""
    casos = Caso.objects.order_by("pk").values_list(
        "pk", "numero", "asunto", "version", "avance", "fecha_inicio", "cliente_id"
    )
    actividades = Actividad.objects.order_by("pk").values_list(
        "pk", "caso_id", "fecha", "hora_inicio", "hora_fin", "descripcion", "ejecutor_id"
    )
    return list(casos), list(actividades), Caso.history.count(), Actividad.history.count()


def rechazado(contenido: bytes, nombre="casos.xlsx", **opciones) -> list[str]:
    """Validate, then import, a bad file: the same errors both times and nothing written.
    Returns the errors' texts."""
    antes = estado()
    validado = Importador(io.BytesIO(contenido), nombre, None, **opciones).validar()
    assert validado.errores, "the file should have been refused"
    usuario = UserFactory(username="importador")
    importado = Importador(io.BytesIO(contenido), nombre, usuario, **opciones).importar()
    assert textos(importado) == textos(validado)
    assert importado.casos == []
    assert estado() == antes
    return textos(validado)


def csv_de(filas, columnas=COLUMNAS, separador=",", codificacion="utf-8-sig") -> bytes:
    salida = io.StringIO(newline="")
    escritor = csv.writer(salida, delimiter=separador)
    escritor.writerow(columnas)
    escritor.writerows(filas)
    return salida.getvalue().encode(codificacion)


def xlsx_de(*hojas: tuple[str, list[list]]) -> bytes:
    """A workbook with these sheets (name, rows including the header)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for nombre, filas in hojas:
        hoja = wb.create_sheet(nombre)
        for fila in filas:
            hoja.append(fila)
    salida = io.BytesIO()
    wb.save(salida)
    return salida.getvalue()


# --- files that are not what they claim --------------------------------------------------


@pytest.mark.parametrize("nombre", ["casos.xlsx", "casos.csv"])
def test_an_empty_file_is_refused(nombre):
    assert rechazado(b"", nombre) == ["Archivo: El archivo está vacío."]


@pytest.mark.parametrize("nombre", ["casos.pdf", "casos.txt"])
def test_a_file_of_another_kind_is_refused_by_its_extension(nombre):
    (error,) = rechazado(b"Documento,Asunto\n,Hola\n", nombre)
    assert error.startswith("Archivo: ")
    assert f"«{nombre}» no es .xlsx ni .csv" in error


def test_a_pdf_renamed_xlsx_is_refused():
    (error,) = rechazado(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "casos.xlsx")
    assert "no es un libro de Excel (.xlsx) válido" in error


def test_a_missing_required_column_is_named():
    contenido = libro([[None, "ACME", "02/03/2026"]], columnas=["Documento", "Cliente", "Inicio"])
    assert rechazado(contenido) == ["Casos · Fila 1: Faltan las columnas Asunto."]


def test_an_unknown_column_is_named(caso):
    contenido = libro([[None, "Hola", "ACME", "02/03/2026", "Rojo"]], columnas=[*COLUMNAS, "Color"])
    (error,) = rechazado(contenido)
    assert error.startswith("Casos · Fila 1: Columnas desconocidas: Color.")


def test_more_rows_than_the_browser_accepts_are_refused_quickly(caso):
    fila = ",Caso,ACME,02/03/2026\n"
    contenido = ("Documento,Asunto,Código cliente,Inicio\n" + fila * (MAX_FILAS_WEB + 1)).encode()
    inicio = time.perf_counter()
    (error,) = rechazado(contenido, "casos.csv")
    assert time.perf_counter() - inicio < 10
    assert error == (
        "Archivo: El archivo tiene más de 20.000 filas: divídalo o use "
        "«python manage.py importar_casos»."
    )


def test_an_xlsx_with_more_rows_than_the_browser_accepts_is_refused_before_validating(caso):
    wb = openpyxl.Workbook(write_only=True)
    hoja = wb.create_sheet("Casos")
    hoja.append(COLUMNAS)
    for _ in range(MAX_FILAS_WEB + 1):
        hoja.append([None, "Caso", "ACME", "02/03/2026"])
    salida = io.BytesIO()
    wb.save(salida)
    inicio = time.perf_counter()
    (error,) = rechazado(salida.getvalue())
    assert time.perf_counter() - inicio < 20
    assert error.startswith("Archivo: La hoja Casos tiene más de 20.000 filas")


# --- bad cells -----------------------------------------------------------------------------


def test_an_impossible_date_is_named(caso):
    (error,) = rechazado(csv_de([["", "Nuevo", "ACME", "31/02/2026"]]), "casos.csv")
    assert error == "Fila 2 · Inicio: 31/02/2026 no es una fecha del calendario."


def test_avance_above_100_names_the_range(caso):
    contenido = libro(
        [[caso.numero, "Original", "ACME", "01/03/2026", 150]], columnas=[*COLUMNAS, "Avance (%)"]
    )
    (error,) = rechazado(contenido)
    assert error.startswith("Casos · Fila 2 · Avance (%): ")
    assert "entre 0 y 100" in error


def test_an_unknown_client_code_is_named(caso):
    (error,) = rechazado(libro([[None, "Nuevo", "NOEXISTE", "02/03/2026"]], columnas=COLUMNAS))
    assert error == (
        "Casos · Fila 2 · Código cliente: No existe un cliente con el código «NOEXISTE»."
    )


def test_a_client_name_matching_two_clients_asks_for_the_code():
    ClienteFactory(nombre="Panadería Central", codigo="PAN-1")
    ClienteFactory(nombre="Panaderia central", codigo="PAN-2")
    contenido = libro(
        [[None, "Nuevo", "panadería central", "02/03/2026"]], columnas=COLUMNAS_CLIENTE
    )
    (error,) = rechazado(contenido)
    assert error.startswith("Casos · Fila 2 · Cliente: «panadería central» coincide con 2 clientes")
    assert "Panadería Central (PAN-1)" in error and "Panaderia central (PAN-2)" in error
    assert error.endswith(": escriba el código del cliente (columna Código cliente).")


def test_a_formula_in_an_xlsx_cell_is_refused(caso):
    contenido = libro([[None, "=1+2", "ACME", "02/03/2026"]], columnas=COLUMNAS)
    (error,) = rechazado(contenido)
    assert error.startswith("Casos · Fila 2 · Asunto: Es una fórmula (=1+2)")


def test_a_formula_in_a_csv_cell_is_refused(caso):
    (error,) = rechazado(csv_de([["", "=1+2", "ACME", "02/03/2026"]]), "casos.csv")
    assert error.startswith("Fila 2 · Asunto: Es una fórmula (=1+2)")


@pytest.mark.parametrize("columna", ["Asunto", "Documento"])
def test_nul_bytes_in_a_csv_cell_are_refused(caso, columna):
    fila = {"Documento": "", "Asunto": "Hola", "Código cliente": "ACME", "Inicio": "02/03/2026"}
    fila[columna] = "Ho\x00la"
    (error,) = rechazado(csv_de([list(fila.values())]), "casos.csv")
    assert error.startswith(f"Fila 2 · {columna}: ")
    assert "nulos (NUL)" in error


def test_an_asunto_of_10000_characters_gets_the_forms_message(caso):
    contenido = libro([[None, "x" * 10_000, "ACME", "02/03/2026"]], columnas=COLUMNAS)
    assert rechazado(contenido) == [
        "Casos · Fila 2 · Asunto: El asunto admite como máximo 200 caracteres (tiene 10.000)."
    ]


def test_the_same_documento_twice_names_the_first_row(caso):
    contenido = libro(
        [
            [caso.numero, "Uno", "ACME", "01/03/2026"],
            [caso.numero, "Dos", "ACME", "01/03/2026"],
        ],
        columnas=COLUMNAS,
    )
    assert rechazado(contenido) == [
        f"Casos · Fila 3 · Documento: El documento {caso.documento} ya está en la fila 2."
    ]


def test_a_stale_version_is_refused_on_the_version_column(caso):
    contenido = exportado()
    versiones.subir_version(Caso, [caso.pk])  # someone saved the case after the export

    def cambiar(wb):
        wb["Casos"]["B2"].value = "Cambiado en Excel"

    (error,) = rechazado(editar(contenido, cambiar))
    assert error.startswith(f"Casos · Fila 2 · Versión: El caso {caso.documento} cambió")
    assert "versión 1 en el archivo, 2 guardada" in error
    assert Caso.objects.get(pk=caso.pk).asunto == "Original"


def test_a_version_that_is_not_a_number_is_named(caso):
    contenido = libro(
        [[caso.numero, "Cambiado", "ACME", "01/03/2026", "v2"]], columnas=[*COLUMNAS, "Versión"]
    )
    assert rechazado(contenido) == [
        "Casos · Fila 2 · Versión: «v2» no es un número de versión: déjela como se exportó, "
        "o vacía."
    ]


# --- activities -----------------------------------------------------------------------------


def test_an_activity_overlapping_another_cases_stored_one_names_that_case(caso, jose):
    otro = CasoFactory(fecha_inicio=datetime.date(2026, 3, 1))
    ActividadFactory(
        caso=otro,
        fecha=datetime.date(2026, 3, 10),
        hora_inicio=datetime.time(9, 0),
        hora_fin=datetime.time(11, 0),
        ejecutor=jose,
    )
    contenido = libro(
        [], [[caso.numero, "10/03/2026", "10:00", "12:00", "Visita", "José Pérez", "", ""]]
    )
    (error,) = rechazado(contenido)
    assert error.startswith("Actividades · Fila 2")
    assert (
        f"José Pérez ya tiene una actividad el 10/03/2026 de 09:00 a 11:00 en el caso "
        f"{otro.documento}"
    ) in error


def test_two_activities_of_the_file_in_two_cases_cannot_overlap(caso, jose):
    otro = CasoFactory(fecha_inicio=datetime.date(2026, 3, 1), ejecutor=jose)
    contenido = libro(
        [],
        [
            [caso.numero, "10/03/2026", "09:00", "11:00", "Visita", "José Pérez", "", ""],
            [otro.numero, "10/03/2026", "10:30", "12:00", "Llamada", "José Pérez", "", ""],
        ],
    )
    (error,) = rechazado(contenido)
    assert error.startswith("Actividades · Fila 3")
    assert f"de 09:00 a 11:00 en el caso {caso.documento}" in error


def test_an_activity_outside_the_cases_dates_names_them(caso):
    contenido = libro([], [[caso.numero, "05/04/2026", "09:00", "10:00", "Tarde", "", "", ""]])
    assert rechazado(contenido) == [
        "Actividades · Fila 2 · Fecha: La fecha debe estar entre el 01/03/2026 (F/Inicio) y el "
        "31/03/2026 (F/Cierre)."
    ]


# --- hostile XLSX ------------------------------------------------------------------------------

RISAS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>
</sheetData></worksheet>"""


def reemplazar(contenido: bytes, nombre: str, escribir) -> bytes:
    """The XLSX with the entry ``nombre`` written anew by ``escribir(stream)``."""
    salida = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(contenido)) as origen:
        with zipfile.ZipFile(salida, "w", zipfile.ZIP_DEFLATED) as destino:
            for info in origen.infolist():
                with destino.open(info.filename, "w", force_zip64=True) as flujo:
                    if info.filename == nombre:
                        escribir(flujo)
                    else:
                        flujo.write(origen.read(info))
    return salida.getvalue()


@pytest.mark.parametrize("entrada", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_a_billion_laughs_xlsx_is_refused_fast(caso, entrada):
    base = libro([[None, "Hola", "ACME", "02/03/2026"]], columnas=COLUMNAS)
    contenido = reemplazar(base, entrada, lambda flujo: flujo.write(RISAS))
    inicio = time.perf_counter()
    (error,) = rechazado(contenido)
    assert time.perf_counter() - inicio < 5
    assert error == (
        "Archivo: El archivo trae XML con entidades o DTD, que no se aceptan por seguridad."
    )


def test_a_broken_sheet_is_refused_as_a_damaged_file(caso):
    base = libro([[None, "Hola", "ACME", "02/03/2026"]], columnas=COLUMNAS)
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        hoja = zf.read("xl/worksheets/sheet1.xml")
    cortada = hoja[: hoja.index(b'<row r="2"') + 30]  # cut inside the second row
    (error,) = rechazado(reemplazar(base, "xl/worksheets/sheet1.xml", lambda f: f.write(cortada)))
    assert error == (
        "Archivo: El libro está dañado: ábralo en su hoja de cálculo y guárdelo de nuevo."
    )


def test_a_zip_bomb_xlsx_is_refused_without_inflating_it(caso):
    def bomba(flujo):
        flujo.write(RISAS.split(b"<!DOCTYPE")[0] + b"<worksheet><sheetData>")
        ceros = b" " * (1 << 20)
        for _ in range(300):  # 300 MB of blanks, ~300 KB compressed
            flujo.write(ceros)
        flujo.write(b"</sheetData></worksheet>")

    base = libro([[None, "Hola", "ACME", "02/03/2026"]], columnas=COLUMNAS)
    contenido = reemplazar(base, "xl/worksheets/sheet1.xml", bomba)
    assert len(contenido) < 2 * 1024 * 1024
    inicio = time.perf_counter()
    (error,) = rechazado(contenido)
    assert time.perf_counter() - inicio < 5
    assert error == "Archivo: El archivo está comprimido de forma sospechosa (bomba zip)."


# --- sheets ------------------------------------------------------------------------------------


def test_a_single_sheet_of_another_name_is_read_as_casos(caso):
    contenido = xlsx_de(("Hoja1", [COLUMNAS, [None, "Nuevo", "ACME", "02/03/2026"]]))
    resultado = validar(contenido)
    assert textos(resultado) == []
    assert resultado.creados == 1


@pytest.mark.parametrize("nombres", [("Hoja1", "Hoja2"), ("Actividades",)])
def test_a_workbook_without_casos_is_refused(caso, nombres):
    """Several sheets, none named Casos; or a single one that is the Actividades sheet."""
    contenido = xlsx_de(*[(n, [COLUMNAS, [None, "Nuevo", "ACME", "02/03/2026"]]) for n in nombres])
    assert rechazado(contenido) == [
        f"Archivo: El libro no tiene la hoja «Casos» (tiene: {', '.join(nombres)})."
    ]


# --- CSV files that must work ------------------------------------------------------------------


@pytest.mark.parametrize(
    "codificacion,separador",
    [("utf-8-sig", ","), ("utf-8", ","), ("cp1252", ","), ("utf-8-sig", ";"), ("cp1252", ";")],
)
def test_csv_in_every_accepted_encoding_and_separator_is_imported(caso, codificacion, separador):
    contenido = csv_de(
        [["", "Ñandú; pájaro, grande", "ACME", "02/03/2026"]],
        separador=separador,
        codificacion=codificacion,
    )
    if codificacion == "utf-8-sig":
        assert contenido.startswith(b"\xef\xbb\xbf")
    resultado = validar(contenido, "casos.csv")
    assert textos(resultado) == []
    assert resultado.creados == 1

    resultado = Importador(io.BytesIO(contenido), "casos.csv", UserFactory()).importar()
    assert textos(resultado) == []
    nuevo = Caso.objects.get(pk__in=resultado.casos)
    assert nuevo.asunto == "Ñandú; pájaro, grande"
    assert nuevo.cliente == caso.cliente
    assert nuevo.fecha_inicio == datetime.date(2026, 3, 2)
