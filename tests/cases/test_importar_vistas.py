"""The pages of /casos/importar/: upload → preview → Importar, errors file, template."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.importacion import MAX_BYTES_WEB
from cases.models import Caso, Importacion
from tests.cases.test_importacion import editar, exportado, libro
from tests.factories import CasoFactory, ClienteFactory, EjecutorFactory

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def subir(client, contenido: bytes, nombre="casos.xlsx"):
    return client.post("/casos/importar/", {"archivo": SimpleUploadedFile(nombre, contenido, XLSX)})


@pytest.fixture
def dos_nuevos():
    ClienteFactory(codigo="ACME", nombre="Acme")
    EjecutorFactory(nombre="Lucía Núñez")
    return libro(
        [
            [None, "Instalar impresora", "Alta", "", "ACME", "", "", "Lucía Núñez", "02/03/2026"],
            [None, "Revisar red", "Baja", "Acme", "", "", "", "", "03/03/2026"],
        ]
    )


def test_upload_preview_then_import_writes_and_links_to_the_cases(
    cliente_coordinador, coordinador, dos_nuevos
):
    respuesta = subir(cliente_coordinador, dos_nuevos)

    importacion = Importacion.objects.get()
    assert respuesta.status_code == 302
    assert respuesta["Location"] == f"/casos/importar/{importacion.pk}/"
    assert Caso.objects.count() == 0
    pagina = cliente_coordinador.get(respuesta["Location"])
    html = pagina.content.decode()
    assert "Lista para importar" in html
    assert "data-creados>2<" in html
    assert "Importar</button>" in html

    respuesta = cliente_coordinador.post(f"/casos/importar/{importacion.pk}/")
    assert respuesta.status_code == 302
    importacion.refresh_from_db()
    assert importacion.estado == Importacion.Estado.IMPORTADA
    assert importacion.usuario == coordinador and importacion.creados == 2
    assert sorted(Caso.objects.values_list("asunto", flat=True)) == [
        "Instalar impresora",
        "Revisar red",
    ]
    assert set(importacion.casos.all()) == set(Caso.objects.all())
    pagina = cliente_coordinador.get(respuesta["Location"])
    assert "Importación terminada: 2 casos creados y 0 actualizados." in pagina.content.decode()
    assert f'href="/casos/?importacion={importacion.pk}"' in pagina.content.decode()
    CasoFactory(asunto="No importado")
    lista = cliente_coordinador.get("/casos/", {"importacion": importacion.pk})
    assert {c.asunto for c in lista.context["object_list"]} == {
        "Instalar impresora",
        "Revisar red",
    }
    assert "Casos creados o actualizados por la importación" in lista.content.decode()

    # A second click on Importar imports nothing twice.
    cliente_coordinador.post(f"/casos/importar/{importacion.pk}/")
    assert Caso.objects.count() == 3


def test_a_file_with_errors_shows_them_and_offers_no_import(cliente_coordinador):
    ClienteFactory(codigo="ACME")
    contenido = libro(
        [
            [None, "Bien", "Alta", "", "ACME", "", "", "", "02/03/2026"],
            [None, "", "Alta", "", "NOEXISTE", "", "", "", "31/02/2026", "", "", 150],
        ]
    )

    respuesta = subir(cliente_coordinador, contenido)
    pagina = cliente_coordinador.get(respuesta["Location"])

    html = pagina.content.decode()
    assert "Con errores" in html
    assert "Casos · Fila 3 · Código cliente: No existe un cliente con el código «NOEXISTE»." in html
    assert "Casos · Fila 3 · Inicio: 31/02/2026 no es una fecha del calendario." in html
    assert "Casos · Fila 3 · Avance (%):" in html
    assert "Importar</button>" not in html
    importacion = Importacion.objects.get()
    assert cliente_coordinador.post(f"/casos/importar/{importacion.pk}/").status_code == 302
    assert Caso.objects.count() == 0

    errores = cliente_coordinador.get(f"/casos/importar/{importacion.pk}/errores/")
    assert errores["Content-Disposition"].endswith('casos-errores.xlsx"')
    hoja = openpyxl.load_workbook(io.BytesIO(b"".join(errores.streaming_content)))["Casos"]
    filas = list(hoja.iter_rows(values_only=True))
    assert filas[0][-1] == "Errores"
    assert filas[1][-1] in (None, "")
    assert "Código cliente: No existe" in filas[2][-1]
    assert "Inicio: 31/02/2026" in filas[2][-1]


def test_a_csv_with_errors_comes_back_as_csv_with_an_errores_column(cliente_coordinador):
    contenido = "Documento;Asunto;Código cliente;Inicio\r\n;Algo;NOEXISTE;01/03/2026\r\n"
    respuesta = subir(cliente_coordinador, contenido.encode("cp1252"), "casos.csv")
    importacion = Importacion.objects.get()
    pagina = cliente_coordinador.get(respuesta["Location"]).content.decode()
    assert "Fila 2 · Código cliente: No existe" in pagina  # no sheet name for a CSV

    errores = cliente_coordinador.get(f"/casos/importar/{importacion.pk}/errores/")
    texto = errores.content.decode("utf-8-sig")
    assert texto.splitlines()[0] == "Documento,Asunto,Código cliente,Inicio,Errores"
    assert "No existe un cliente" in texto.splitlines()[1]


def test_an_unreadable_file_is_refused_next_to_the_field(cliente_coordinador):
    respuesta = subir(cliente_coordinador, b"%PDF-1.4 no es excel", "casos.xlsx")

    assert respuesta.status_code == 200
    assert "no es un libro de Excel (.xlsx) válido" in respuesta.content.decode()
    assert respuesta.context["form"].errors["archivo"]
    assert Importacion.objects.count() == 0
    respuesta = subir(cliente_coordinador, b"x" * 10, "casos.pdf")
    assert "no es .xlsx ni .csv" in respuesta.content.decode()
    respuesta = subir(cliente_coordinador, b"", "casos.xlsx")
    assert "El archivo está vacío." in respuesta.content.decode()


def test_a_file_over_10_mb_is_refused(cliente_coordinador):
    respuesta = subir(cliente_coordinador, b"a" * (MAX_BYTES_WEB + 1), "casos.csv")

    assert "se admiten hasta 10 MB" in respuesta.content.decode()
    assert Importacion.objects.count() == 0


def test_the_round_trip_through_the_pages(cliente_coordinador):
    caso = CasoFactory(asunto="Original")
    export = cliente_coordinador.get("/casos/exportar/", {"formato": "xlsx"})
    contenido = b"".join(export.streaming_content)

    subir(cliente_coordinador, contenido)
    assert Importacion.objects.get().creados == 0
    assert Importacion.objects.get().actualizados == 0

    def cambiar(wb):
        wb["Casos"]["B2"].value = "Cambiado"

    subir(cliente_coordinador, editar(contenido, cambiar))
    importacion = Importacion.objects.order_by("pk").last()
    assert importacion.actualizados == 1
    cliente_coordinador.post(f"/casos/importar/{importacion.pk}/")
    caso.refresh_from_db()
    assert caso.asunto == "Cambiado"
    assert caso.history.first().history_change_reason == "Importación"
    assert exportado()  # the export still reads the imported case


def test_the_templates_have_the_headers_and_dropdowns(cliente_coordinador):
    xlsx = cliente_coordinador.get("/casos/importar/plantilla/", {"formato": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    encabezado = [c.value for c in wb["Casos"][1]]
    assert encabezado[:3] == ["Documento", "Asunto", "Prioridad"]
    assert "Días en ejecución" not in encabezado and encabezado[-1] == "Versión"
    validaciones = {str(v.sqref): v.type for v in wb["Casos"].data_validations.dataValidation}
    assert validaciones["C2:C20001"] == "list"  # Prioridad
    assert [c.value for c in wb["Actividades"][1]][:2] == ["Documento", "Fecha"]
    csv = cliente_coordinador.get("/casos/importar/plantilla/", {"formato": "csv"})
    assert csv.content.decode("utf-8-sig").startswith("Documento,Asunto,Prioridad,Cliente")


def test_soporte_cannot_import(cliente_soporte, dos_nuevos):
    assert subir(cliente_soporte, dos_nuevos).status_code == 403
    assert Importacion.objects.count() == 0
