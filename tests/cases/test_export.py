"""Export of the case list (/casos/exportar/?formato=csv|csv-excel|xlsx): content, filters,
the columns the import reads back, access and queries."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from cases.models import Complejidad, Etapa, Origen, Prioridad
from tests.factories import (
    ActividadFactory,
    ArticuloFactory,
    CasoFactory,
    ClaseFactory,
    ClienteFactory,
    ContactoFactory,
    DepartamentoFactory,
    EjecutorFactory,
    GrupoFactory,
)

pytestmark = pytest.mark.django_db

URL = "/casos/exportar/"
# SPEC "Import": every importable column, then the read-only ones, with exactly these names.
ENCABEZADO = [
    "Documento",
    "Asunto",
    "Prioridad",
    "Cliente",
    "Código cliente",
    "Contacto",
    "Coord.",
    "Ejecutor",
    "Inicio",
    "Cierre",
    "Etapa",
    "Avance (%)",
    "Artículo",
    "Clase",
    "Grupo",
    "Depto.",
    "Origen",
    "Caso interno",
    "Comentario",
    "Estimado",
    "Complejidad",
    "Nivel",
    "Facturable",
    "Revisor",
    "Comentario de la solución",
    "Versión",
    "Días en ejecución",
    "Horas",
    "Horas facturables",
    "Completado",
]
ACTIVIDADES = [
    "Documento",
    "Fecha",
    "H/Inicio",
    "H/Fin",
    "Actividad",
    "Ejecutor",
    "Fact.",
    "Artículo",
]
COL = {nombre: i for i, nombre in enumerate(ENCABEZADO)}


def contenido(response) -> bytes:
    return b"".join(response.streaming_content)


def filas_csv(response, separador=",") -> list[list[str]]:
    """The CSV as a spreadsheet reads it (after the BOM): header first."""
    return leer_csv(contenido(response).decode("utf-8"), separador)


def leer_csv(texto: str, separador=",") -> list[list[str]]:
    assert texto.startswith("\ufeff")
    return list(csv.reader(io.StringIO(texto[1:]), delimiter=separador))


def libro_xlsx(response):
    return openpyxl.load_workbook(io.BytesIO(contenido(response)))


def filas_xlsx(response, hoja="Casos") -> list[tuple]:
    return list(libro_xlsx(response)[hoja].iter_rows(values_only=True))


def numeros_lista(client, params) -> list[int]:
    """What the list shows for the same parameters, all on one page."""
    response = client.get("/casos/", {**params, "por_pagina": "200"})
    return [caso.numero for caso in response.context["object_list"]]


@pytest.fixture
def migracion():
    """A completed case with every field set and 90 billable and 30 non-billable minutes."""
    cliente = ClienteFactory(nombre="Ferretería Ñandú", codigo="FER-ÑU")
    caso = CasoFactory(
        asunto="Migración de servidores",
        prioridad=Prioridad.ALTA,
        cliente=cliente,
        contacto=ContactoFactory(cliente=cliente, nombre="María Gómez"),
        coordinador=EjecutorFactory(nombre="Carla Coordinadora"),
        ejecutor=EjecutorFactory(nombre="José Pérez"),
        revisor=EjecutorFactory(nombre="Rubén Revisor"),
        fecha_inicio=datetime.date(2026, 3, 1),
        fecha_cierre=datetime.date(2026, 3, 15),
        etapa=Etapa.COMPLETADA,
        avance=100,
        articulo=ArticuloFactory(nombre="Soporte en sitio"),
        clase=ClaseFactory(nombre="Infraestructura"),
        grupo=GrupoFactory(nombre="Redes"),
        departamento=DepartamentoFactory(nombre="Sistemas"),
        origen=Origen.CORREO,
        interno=True,
        comentario='Línea uno, con "comillas"\nLínea dos',
        estimado=Decimal("12.50"),
        complejidad=Complejidad.MEDIA,
        nivel=2,
        facturable=True,
        comentario_solucion="Se migró; todo bien",
        completado_en=timezone.make_aware(datetime.datetime(2026, 3, 15, 17, 45)),
    )
    ActividadFactory(
        caso=caso,
        fecha=datetime.date(2026, 3, 2),
        hora_inicio=datetime.time(9, 0),
        hora_fin=datetime.time(10, 30),
        descripcion="Respaldo de la base",
        ejecutor=caso.ejecutor,
        articulo=caso.articulo,
        facturable=True,
    )
    ActividadFactory(
        caso=caso,
        fecha=datetime.date(2026, 3, 3),
        hora_inicio=datetime.time(11, 0),
        hora_fin=datetime.time(11, 30),
        descripcion='=HIPERVINCULO("x")',
        ejecutor=caso.ejecutor,
        facturable=False,
    )
    caso.refresh_from_db()
    return caso


@pytest.fixture
def sin_actividades():
    return CasoFactory(
        asunto="Revisar impresora",
        prioridad=Prioridad.BAJA,
        cliente=ClienteFactory(nombre="Papelería Norte", codigo="PAP"),
        ejecutor=None,
        fecha_inicio=datetime.date(2026, 4, 10),
        etapa=Etapa.EN_BLANCO,
    )


def test_the_csv_is_utf8_with_a_bom_and_has_the_import_columns(cliente_coordinador, migracion):
    response = cliente_coordinador.get(URL, {"formato": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="casos-')
    assert response["Content-Disposition"].endswith('.csv"')
    assert contenido(response).startswith(b"\xef\xbb\xbf")
    assert filas_csv(cliente_coordinador.get(URL, {"formato": "csv"}))[0] == ENCABEZADO


def test_csv_is_the_default_format(cliente_coordinador, migracion):
    response = cliente_coordinador.get(URL)

    assert response.status_code == 200
    assert filas_csv(response)[0] == ENCABEZADO


def test_the_csv_is_streamed(cliente_coordinador, migracion):
    response = cliente_coordinador.get(URL, {"formato": "csv"})

    assert isinstance(response, StreamingHttpResponse)
    assert response.streaming


def test_a_csv_row_has_every_field_with_names_accents_dates_and_hours(
    cliente_coordinador, migracion, sin_actividades
):
    filas = filas_csv(cliente_coordinador.get(URL, {"formato": "csv", "orden": "numero"}))

    assert filas[1:] == [
        [
            migracion.documento,
            "Migración de servidores",
            "Alta",
            "Ferretería Ñandú",
            "FER-ÑU",
            "María Gómez",
            "Carla Coordinadora",
            "José Pérez",
            "01/03/2026",
            "15/03/2026",
            "Completada",
            "100",
            "Soporte en sitio",
            "Infraestructura",
            "Redes",
            "Sistemas",
            "Correo",
            "Sí",
            'Línea uno, con "comillas"\nLínea dos',
            "12.50",
            "Media",
            "2",
            "Sí",
            "Rubén Revisor",
            "Se migró; todo bien",
            str(migracion.version),
            "14",
            "2.00",  # 90 + 30 minutes
            "1.50",  # the billable 90 minutes only
            "15/03/2026 17:45",
        ],
        [
            sin_actividades.documento,
            "Revisar impresora",
            "Baja",
            "Papelería Norte",
            "PAP",
            "",
            "",
            "",
            "10/04/2026",
            "",
            "En blanco",
            "0",
            "",
            "",
            "",
            "",
            "En blanco",
            "No",
            "",
            "0.00",
            "En blanco",
            "0",
            "No",
            "",
            "",
            str(sin_actividades.version),
            str(sin_actividades.dias),
            "0.00",
            "0.00",
            "",
        ],
    ]


def test_csv_excel_is_the_same_file_with_semicolons_and_decimal_commas(
    cliente_coordinador, migracion, sin_actividades
):
    coma = cliente_coordinador.get(URL, {"formato": "csv", "orden": "numero"})
    excel = cliente_coordinador.get(URL, {"formato": "csv-excel", "orden": "numero"})

    assert excel.status_code == 200
    assert excel["Content-Type"] == "text/csv; charset=utf-8"
    assert excel["Content-Disposition"].endswith('.csv"')
    texto = contenido(excel).decode("utf-8")
    assert texto.startswith("\ufeffDocumento;Asunto;Prioridad;Cliente;")
    filas = leer_csv(texto, separador=";")
    assert filas[0] == ENCABEZADO
    fila = filas[1]
    assert [fila[COL[c]] for c in ("Estimado", "Horas", "Horas facturables")] == [
        "12,50",
        "2,00",
        "1,50",
    ]
    # A ";" inside a text is quoted, so the columns still line up.
    assert fila[COL["Comentario de la solución"]] == "Se migró; todo bien"
    assert '"Se migró; todo bien"' in texto
    # Everything else is the same as formato=csv.
    decimales = {COL["Estimado"], COL["Horas"], COL["Horas facturables"]}
    for fila_excel, fila_coma in zip(filas, filas_csv(coma), strict=True):
        for i, (x, y) in enumerate(zip(fila_excel, fila_coma, strict=True)):
            assert x == (y.replace(".", ",") if i in decimales else y)


def test_the_plain_csv_keeps_commas_and_decimal_points(cliente_coordinador, migracion):
    texto = contenido(cliente_coordinador.get(URL, {"formato": "csv"})).decode("utf-8")

    assert texto.startswith("\ufeffDocumento,Asunto,Prioridad,Cliente,")
    assert ",12.50," in texto
    assert ";" not in texto.splitlines()[0]


def test_the_csv_has_the_lists_filters_and_order(cliente_coordinador):
    x = ClienteFactory(nombre="Ferretería X")
    ana = EjecutorFactory(nombre="Ana")
    buscados = [
        CasoFactory(etapa=Etapa.RETRASADA, cliente=x, ejecutor=ana, nivel=n) for n in (3, 9, 1)
    ]
    CasoFactory(etapa=Etapa.EN_PROGRESO, cliente=x, ejecutor=ana, nivel=5)
    CasoFactory(etapa=Etapa.RETRASADA, ejecutor=ana, nivel=5)
    CasoFactory(etapa=Etapa.RETRASADA, cliente=x, nivel=5)
    params = {"etapa": "retrasada", "cliente": x.pk, "ejecutor": ana.pk, "orden": "-nivel"}

    filas = filas_csv(cliente_coordinador.get(URL, {**params, "formato": "csv"}))

    documentos = [fila[0] for fila in filas[1:]]
    assert documentos == [buscados[i].documento for i in (1, 0, 2)]
    assert [int(d) for d in documentos] == numeros_lista(cliente_coordinador, params)


@pytest.mark.parametrize(
    "params",
    [{"orden": orden} for orden in ("prioridad", "-fecha_inicio", "cliente", "etapa", "-dias")]
    + [{"q": "migracion"}, {"abiertos": "true"}, {"facturable": "true"}],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()),
)
def test_the_export_rows_are_the_lists_rows(
    cliente_coordinador, migracion, sin_actividades, params
):
    CasoFactory(asunto="Migración de correo", prioridad=Prioridad.MEDIA, facturable=True)
    CasoFactory(etapa=Etapa.COMPLETADA, fecha_inicio=datetime.date(2026, 1, 5))

    filas = filas_csv(cliente_coordinador.get(URL, {**params, "formato": "csv"}))

    assert [int(fila[0]) for fila in filas[1:]] == numeros_lista(cliente_coordinador, params)


def test_the_export_has_every_row_not_one_page(cliente_coordinador):
    CasoFactory.create_batch(30)

    filas = filas_csv(cliente_coordinador.get(URL, {"por_pagina": "10", "page": "2"}))

    assert len(filas) == 31


def test_bad_filter_values_are_ignored_in_the_export(cliente_coordinador, migracion):
    response = cliente_coordinador.get(
        URL,
        {
            "etapa": "zzz",
            "cliente": "abc",
            "ejecutor": "9" * 25,
            "fecha_inicio_after": "31/31/2026",
            "interno": "maybe",
            "orden": "x",
            "page": "9" * 25,
        },
    )

    assert response.status_code == 200
    assert [fila[0] for fila in filas_csv(response)[1:]] == [migracion.documento]


def test_the_xlsx_has_the_same_rows_with_real_dates_and_numbers(
    cliente_coordinador, migracion, sin_actividades
):
    response = cliente_coordinador.get(URL, {"formato": "xlsx", "orden": "numero"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="casos-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    filas = filas_xlsx(response)
    assert list(filas[0]) == ENCABEZADO
    assert list(filas[1]) == [
        migracion.documento,
        "Migración de servidores",
        "Alta",
        "Ferretería Ñandú",
        "FER-ÑU",
        "María Gómez",
        "Carla Coordinadora",
        "José Pérez",
        datetime.datetime(2026, 3, 1),
        datetime.datetime(2026, 3, 15),
        "Completada",
        100,
        "Soporte en sitio",
        "Infraestructura",
        "Redes",
        "Sistemas",
        "Correo",
        "Sí",
        'Línea uno, con "comillas"\nLínea dos',
        12.5,
        "Media",
        2,
        "Sí",
        "Rubén Revisor",
        "Se migró; todo bien",
        migracion.version,
        14,
        2.0,
        1.5,
        datetime.datetime(2026, 3, 15, 17, 45),
    ]
    assert filas[2][COL["Documento"]] == sin_actividades.documento
    assert filas[2][COL["Inicio"]] == datetime.datetime(2026, 4, 10)
    assert filas[2][COL["Cierre"]] is None
    assert filas[2][COL["Horas"] : COL["Horas facturables"] + 1] == (0.0, 0.0)
    assert filas[2][COL["Completado"]] is None
    assert len(filas) == 3


def test_the_xlsx_shows_dates_as_dd_mm_yyyy(cliente_coordinador, migracion):
    hoja = libro_xlsx(cliente_coordinador.get(URL, {"formato": "xlsx"}))["Casos"]

    assert hoja["I2"].is_date  # Inicio
    assert hoja["I2"].number_format == "DD/MM/YYYY"
    assert hoja["J2"].number_format == "DD/MM/YYYY"  # Cierre
    assert hoja["AD2"].number_format == "DD/MM/YYYY HH:MM"  # Completado


def test_the_xlsx_sheets_have_widths_an_autofilter_and_a_frozen_header(
    cliente_coordinador, migracion, sin_actividades
):
    libro = libro_xlsx(cliente_coordinador.get(URL, {"formato": "xlsx"}))

    assert libro.sheetnames == ["Casos", "Actividades"]
    casos, actividades = libro["Casos"], libro["Actividades"]
    assert casos.freeze_panes == "A2"
    assert casos.auto_filter.ref == "A1:AD3"
    assert casos.column_dimensions["B"].width == 45  # Asunto
    assert casos.column_dimensions["S"].width == 60  # Comentario
    assert casos.column_dimensions["A"].width == 11  # Documento
    assert casos["A1"].font.bold
    assert actividades.freeze_panes == "A2"
    assert actividades.auto_filter.ref == "A1:H3"
    assert actividades.column_dimensions["E"].width == 60  # Actividad


def test_the_actividades_sheet_has_the_activities_of_the_exported_cases(
    cliente_coordinador, migracion, sin_actividades
):
    otro = CasoFactory(asunto="Otro caso", etapa=Etapa.EN_PROGRESO)
    ActividadFactory(caso=otro, descripcion="No se exporta")

    response = cliente_coordinador.get(URL, {"formato": "xlsx", "etapa": "completada"})

    libro = libro_xlsx(response)
    assert [f[0] for f in libro["Casos"].iter_rows(min_row=2, values_only=True)] == [
        migracion.documento
    ]
    hoja = libro["Actividades"]
    assert [list(f) for f in hoja.iter_rows(values_only=True)] == [
        ACTIVIDADES,
        [
            migracion.documento,
            datetime.datetime(2026, 3, 2),
            datetime.time(9, 0),
            datetime.time(10, 30),
            "Respaldo de la base",
            "José Pérez",
            "Sí",
            "Soporte en sitio",
        ],
        [
            migracion.documento,
            datetime.datetime(2026, 3, 3),
            datetime.time(11, 0),
            datetime.time(11, 30),
            # The formula guard covers activity texts too.
            '\'=HIPERVINCULO("x")',
            "José Pérez",
            "No",
            None,
        ],
    ]
    assert hoja["B2"].number_format == "DD/MM/YYYY"
    assert hoja["C2"].number_format == "HH:MM"


def test_names_typed_as_formulas_are_exported_as_text(cliente_coordinador):
    cliente = ClienteFactory(nombre="=1+2", codigo="-X1")
    CasoFactory(
        cliente=cliente,
        asunto="+cmd",
        contacto=ContactoFactory(cliente=cliente, nombre="@contacto"),
        ejecutor=EjecutorFactory(nombre="=ejecutor"),
        comentario_solucion="-solucion",
    )

    fila = filas_csv(cliente_coordinador.get(URL, {"formato": "csv"}))[1]

    assert [fila[COL[c]] for c in ("Asunto", "Cliente", "Código cliente", "Contacto")] == [
        "'+cmd",
        "'=1+2",
        "'-X1",
        "'@contacto",
    ]
    assert fila[COL["Ejecutor"]] == "'=ejecutor"
    assert fila[COL["Comentario de la solución"]] == "'-solucion"


def test_the_xlsx_has_the_same_rows_as_the_csv(cliente_coordinador, migracion, sin_actividades):
    params = {"orden": "-prioridad"}

    csv_filas = filas_csv(cliente_coordinador.get(URL, {**params, "formato": "csv"}))
    xlsx_filas = filas_xlsx(cliente_coordinador.get(URL, {**params, "formato": "xlsx"}))

    assert [f[0] for f in xlsx_filas] == [f[0] for f in csv_filas]
    assert [f[1] for f in xlsx_filas] == [f[1] for f in csv_filas]


def test_control_characters_typed_into_a_case_do_not_break_the_export(cliente_coordinador):
    """A vertical tab pasted from a word processor: XLSX cannot hold it, the CSV keeps it."""
    caso = CasoFactory(asunto="Informe\x0bfinal", comentario="Línea\x01uno\ttab")
    ActividadFactory(caso=caso, descripcion="Paso\x0buno")

    xlsx = cliente_coordinador.get(URL, {"formato": "xlsx"})
    csv_ = cliente_coordinador.get(URL, {"formato": "csv"})

    assert xlsx.status_code == 200
    libro = libro_xlsx(xlsx)
    fila = next(libro["Casos"].iter_rows(min_row=2, values_only=True))
    assert (fila[0], fila[1], fila[COL["Comentario"]]) == (
        caso.documento,
        "Informefinal",
        "Líneauno\ttab",
    )
    assert libro["Actividades"]["E2"].value == "Pasouno"
    assert filas_csv(csv_)[1][1] == "Informe\x0bfinal"


@pytest.mark.parametrize("formato", ["pdf", "xls", "../../etc/passwd"])
def test_an_unknown_format_is_a_400(cliente_coordinador, migracion, formato):
    response = cliente_coordinador.get(URL, {"formato": formato})

    assert response.status_code == 400
    assert "formato=csv" in response.content.decode()


def test_soporte_may_not_export(cliente_soporte, migracion):
    assert cliente_soporte.get(URL, {"formato": "csv"}).status_code == 403
    assert cliente_soporte.get(URL, {"formato": "xlsx"}).status_code == 403


def test_anonymous_users_are_sent_to_login(client, migracion):
    response = client.get(URL, {"formato": "csv"})

    assert response.status_code == 302
    assert response["Location"].startswith("/cuentas/login/")


def _llenar(n):
    for i in range(n):
        caso = CasoFactory(
            ejecutor=EjecutorFactory(),
            coordinador=EjecutorFactory(),
            revisor=EjecutorFactory(),
            contacto=None,
            articulo=ArticuloFactory(),
            fecha_cierre=datetime.date(2026, 3, 30),
        )
        ActividadFactory(caso=caso, ejecutor=caso.ejecutor, facturable=bool(i % 2))
        ActividadFactory(
            caso=caso,
            ejecutor=caso.ejecutor,
            articulo=caso.articulo,
            hora_inicio=datetime.time(11, 0),
            hora_fin=datetime.time(12, 0),
        )


@pytest.mark.parametrize("formato", ["csv", "csv-excel", "xlsx"])
def test_the_export_runs_the_same_queries_for_5_and_50_cases(
    consultas_del_bloque, cliente_coordinador, django_assert_num_queries, formato
):
    _llenar(5)
    contenido(cliente_coordinador.get(URL, {"formato": formato}))  # warm up the session

    # The stream runs its queries as it is read: each block reads it to the end.
    with consultas_del_bloque() as pocos:
        filas_pocos = contenido(cliente_coordinador.get(URL, {"formato": formato}))
    _llenar(45)
    with consultas_del_bloque() as muchos:
        filas_muchos = contenido(cliente_coordinador.get(URL, {"formato": formato}))

    assert len(filas_muchos) > len(filas_pocos)
    assert len(pocos) == len(muchos), "\n".join(muchos)
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the cases with their related names joined and their total and billable minutes as
    #   subqueries (read in chunks from one query; on PostgreSQL a server-side cursor,
    #   DECLARE …, whose fetches are not logged)
    # 5 XLSX only: the activities of those cases (Actividades sheet), read the same way
    with django_assert_num_queries(5 if formato == "xlsx" else 4):
        contenido(cliente_coordinador.get(URL, {"formato": formato}))
