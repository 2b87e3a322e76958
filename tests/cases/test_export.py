"""Export of the case list (/casos/exportar/?formato=csv|xlsx): content, filters, access."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.db import connections
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from cases.models import Etapa, Prioridad
from tests.factories import ActividadFactory, CasoFactory, ClienteFactory, EjecutorFactory

pytestmark = pytest.mark.django_db

URL = "/casos/exportar/"
ENCABEZADO = [
    "Documento",
    "Asunto",
    "Prioridad",
    "Inicio",
    "Cierre",
    "Días en ejecución",
    "Cliente",
    "Código cliente",
    "Ejecutor",
    "Etapa",
    "Avance (%)",
    "Nivel",
    "Horas",
    "Horas facturables",
    "Comentario",
]


def contenido(response) -> bytes:
    return b"".join(response.streaming_content)


def filas_csv(response) -> list[list[str]]:
    """The CSV as a spreadsheet reads it (after the BOM): header first."""
    texto = contenido(response).decode("utf-8")
    assert texto.startswith("\ufeff")
    return list(csv.reader(io.StringIO(texto[1:])))


def filas_xlsx(response) -> list[tuple]:
    libro = openpyxl.load_workbook(io.BytesIO(contenido(response)))
    return list(libro["Casos"].iter_rows(values_only=True))


def numeros_lista(client, params) -> list[int]:
    """What the list shows for the same parameters, all on one page."""
    response = client.get("/casos/", {**params, "por_pagina": "200"})
    return [caso.numero for caso in response.context["object_list"]]


@pytest.fixture
def migracion():
    """A completed case with 90 billable and 30 non-billable minutes of work."""
    caso = CasoFactory(
        asunto="Migración de servidores",
        prioridad=Prioridad.ALTA,
        cliente=ClienteFactory(nombre="Ferretería Ñandú", codigo="FER-ÑU"),
        ejecutor=EjecutorFactory(nombre="José Pérez"),
        fecha_inicio=datetime.date(2026, 3, 1),
        fecha_cierre=datetime.date(2026, 3, 15),
        etapa=Etapa.COMPLETADA,
        avance=100,
        nivel=2,
        comentario='Línea uno, con "comillas"\nLínea dos',
    )
    ActividadFactory(
        caso=caso,
        fecha=datetime.date(2026, 3, 2),
        hora_inicio=datetime.time(9, 0),
        hora_fin=datetime.time(10, 30),
        facturable=True,
    )
    ActividadFactory(
        caso=caso,
        fecha=datetime.date(2026, 3, 3),
        hora_inicio=datetime.time(11, 0),
        hora_fin=datetime.time(11, 30),
        facturable=False,
    )
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


def test_the_csv_is_utf8_with_a_bom_and_has_the_list_columns(cliente_coordinador, migracion):
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


def test_a_csv_row_has_the_case_with_accents_dates_and_hours(
    cliente_coordinador, migracion, sin_actividades
):
    filas = filas_csv(cliente_coordinador.get(URL, {"formato": "csv", "orden": "numero"}))

    assert filas[1:] == [
        [
            migracion.documento,
            "Migración de servidores",
            "Alta",
            "01/03/2026",
            "15/03/2026",
            "14",
            "Ferretería Ñandú",
            "FER-ÑU",
            "José Pérez",
            "Completada",
            "100",
            "2",
            "2.00",  # 90 + 30 minutes
            "1.50",  # the billable 90 minutes only
            'Línea uno, con "comillas"\nLínea dos',
        ],
        [
            sin_actividades.documento,
            "Revisar impresora",
            "Baja",
            "10/04/2026",
            "",
            str(sin_actividades.dias),
            "Papelería Norte",
            "PAP",
            "",
            "En blanco",
            "0",
            "0",
            "0.00",
            "0.00",
            "",
        ],
    ]


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
        datetime.datetime(2026, 3, 1),
        datetime.datetime(2026, 3, 15),
        14,
        "Ferretería Ñandú",
        "FER-ÑU",
        "José Pérez",
        "Completada",
        100,
        2,
        2.0,
        1.5,
        'Línea uno, con "comillas"\nLínea dos',
    ]
    assert filas[2][0] == sin_actividades.documento
    assert filas[2][3] == datetime.datetime(2026, 4, 10)
    assert filas[2][4] is None
    assert filas[2][12:14] == (0.0, 0.0)
    assert len(filas) == 3


def test_the_xlsx_shows_dates_as_dd_mm_yyyy(cliente_coordinador, migracion):
    response = cliente_coordinador.get(URL, {"formato": "xlsx"})

    hoja = openpyxl.load_workbook(io.BytesIO(contenido(response)))["Casos"]
    assert hoja["D2"].is_date
    assert hoja["D2"].number_format == "DD/MM/YYYY"
    assert hoja["E2"].number_format == "DD/MM/YYYY"


def test_the_xlsx_has_the_same_rows_as_the_csv(cliente_coordinador, migracion, sin_actividades):
    params = {"orden": "-prioridad"}

    csv_filas = filas_csv(cliente_coordinador.get(URL, {**params, "formato": "csv"}))
    xlsx_filas = filas_xlsx(cliente_coordinador.get(URL, {**params, "formato": "xlsx"}))

    assert [f[0] for f in xlsx_filas] == [f[0] for f in csv_filas]
    assert [f[1] for f in xlsx_filas] == [f[1] for f in csv_filas]


def test_control_characters_typed_into_a_case_do_not_break_the_export(cliente_coordinador):
    """A vertical tab pasted from a word processor: XLSX cannot hold it, the CSV keeps it."""
    caso = CasoFactory(asunto="Informe\x0bfinal", comentario="Línea\x01uno\ttab")

    xlsx = cliente_coordinador.get(URL, {"formato": "xlsx"})
    csv_ = cliente_coordinador.get(URL, {"formato": "csv"})

    assert xlsx.status_code == 200
    fila = filas_xlsx(xlsx)[1]
    assert (fila[0], fila[1], fila[14]) == (caso.documento, "Informefinal", "Líneauno\ttab")
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
        caso = CasoFactory(ejecutor=EjecutorFactory(), fecha_cierre=datetime.date(2026, 3, 30))
        ActividadFactory(caso=caso, ejecutor=caso.ejecutor, facturable=bool(i % 2))


@pytest.mark.parametrize("formato", ["csv", "xlsx"])
def test_the_export_runs_the_same_queries_for_5_and_50_cases(
    cliente_coordinador, django_assert_max_num_queries, formato
):
    _llenar(5)
    contenido(cliente_coordinador.get(URL, {"formato": formato}))

    with CaptureQueriesContext(connections["default"]) as pocos:
        filas_pocos = contenido(cliente_coordinador.get(URL, {"formato": formato}))
    _llenar(45)
    with CaptureQueriesContext(connections["default"]) as muchos:
        filas_muchos = contenido(cliente_coordinador.get(URL, {"formato": formato}))

    assert len(filas_muchos) > len(filas_pocos)
    assert len(pocos.captured_queries) == len(muchos.captured_queries)
    # 1-4 session, user, user permissions, group permissions
    # 5 the cases with cliente and ejecutor joined and their total and billable minutes as
    #   subqueries (read in chunks; 50 rows fit in one)
    with django_assert_max_num_queries(5):
        contenido(cliente_coordinador.get(URL, {"formato": formato}))
