"""Gráfico Ejecutivo de Soporte (/casos/graficos/): each chart's numbers against direct
counts over the rows, its CSV, and its bars' links to the list."""

import csv
import datetime
import io
import re

import pytest
from django.utils import timezone

from cases import graficos as modulo
from cases.models import Caso, Etapa, Prioridad
from tests.factories import ActividadFactory, CasoFactory, ClienteFactory, EjecutorFactory

HOY = datetime.date(2026, 11, 25)
URL = "/casos/graficos/"


@pytest.fixture(autouse=True)
def hoy(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: HOY)


def momento(dia: datetime.date, hora=12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(dia, datetime.time(hora)))


def completado(dia, cierre=None, **extra):
    return CasoFactory(
        etapa=Etapa.COMPLETADA,
        avance=100,
        completado_en=momento(dia),
        fecha_cierre=cierre or dia,
        **extra,
    )


def leer_csv(respuesta):
    texto = b"".join(respuesta.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(texto)))


def csv_de(client, grafico, **parametros):
    respuesta = client.get(URL, {"grafico": grafico, **parametros, "formato": "csv"})
    assert respuesta.status_code == 200
    return leer_csv(respuesta)


@pytest.fixture
def por_fecha(db):
    """Cases begun and completed in different months of 2026; two open since 2025."""
    CasoFactory(fecha_inicio=datetime.date(2025, 12, 20))  # open before the range
    completado(
        datetime.date(2026, 1, 10), fecha_inicio=datetime.date(2025, 12, 1)
    )  # begun before, completed in January
    CasoFactory(fecha_inicio=datetime.date(2026, 1, 31))
    CasoFactory(fecha_inicio=datetime.date(2026, 2, 1))
    completado(datetime.date(2026, 2, 28), fecha_inicio=datetime.date(2026, 2, 3))
    completado(datetime.date(2026, 3, 1), fecha_inicio=datetime.date(2026, 1, 5))


def test_casos_por_fecha_nuevos_completados_y_pendientes(cliente_coordinador, por_fecha):
    filas = csv_de(cliente_coordinador, "casos_por_fecha", desde="2026-01-01", hasta="2026-03-31")

    assert filas[0] == ["Periodo", "Nuevos", "Completados", "Pendientes"]

    def directo(mes_inicio, mes_fin):
        desde = momento(mes_inicio, 0)
        hasta = momento(mes_fin + datetime.timedelta(days=1), 0)
        nuevos = Caso.objects.filter(fecha_inicio__range=(mes_inicio, mes_fin)).count()
        hechos = Caso.objects.filter(completado_en__gte=desde, completado_en__lt=hasta).count()
        abiertos = (
            Caso.objects.filter(fecha_inicio__lte=mes_fin).exclude(completado_en__lt=hasta).count()
        )
        return [str(nuevos), str(hechos), str(abiertos)]

    meses = [
        (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)),
        (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)),
        (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)),
    ]
    assert filas[1:] == [
        ["2026-01", *directo(*meses[0])],
        ["2026-02", *directo(*meses[1])],
        ["2026-03", *directo(*meses[2])],
    ]
    assert filas[1:] == [
        ["2026-01", "2", "1", "3"],
        ["2026-02", "2", "1", "4"],
        ["2026-03", "0", "1", "3"],
    ]


def test_las_barras_llevan_a_la_lista_con_los_mismos_casos(cliente_coordinador, por_fecha):
    pagina = cliente_coordinador.get(
        URL, {"desde": "2026-01-01", "hasta": "2026-03-31", "etapa": ""}
    ).content.decode()
    seccion = re.search(r'id="casos_por_fecha".*?</section>', pagina, re.S).group(0)
    enlaces = re.findall(r'<a href="([^"]+)" aria-label="2026-02 · ([^:]+): (\d+)"', seccion)
    assert {nombre for _url, nombre, _n in enlaces} == {"Nuevos", "Completados"}
    for url, _nombre, cuantos in enlaces:
        lista = cliente_coordinador.get(url.replace("&amp;", "&")).content.decode()
        assert f"{cuantos} caso" in lista


def test_el_filtro_completado_de_la_lista(cliente_coordinador, por_fecha):
    pagina = cliente_coordinador.get(
        "/casos/", {"completado_en_after": "2026-02-01", "completado_en_before": "2026-02-28"}
    ).content.decode()
    assert "1 caso" in pagina


def test_casos_por_ejecutor_top_otros_y_sin_ejecutor(monkeypatch, cliente_coordinador):
    monkeypatch.setattr(modulo, "TOP_EJECUTORES", 2)
    ana, beto, carla = (EjecutorFactory(nombre=n) for n in ("Ana", "Beto", "Carla"))
    CasoFactory.create_batch(3, ejecutor=ana, etapa=Etapa.EN_PROGRESO)
    CasoFactory(ejecutor=ana, etapa=Etapa.RETRASADA)
    CasoFactory.create_batch(2, ejecutor=beto, etapa=Etapa.NO_INICIADA)
    CasoFactory(ejecutor=carla, etapa=Etapa.EN_PROGRESO)
    CasoFactory(ejecutor=None, etapa=Etapa.EN_PROGRESO)
    completado(datetime.date(2026, 11, 1), ejecutor=carla)  # closed: not counted

    filas = csv_de(cliente_coordinador, "casos_por_ejecutor")

    encabezado = filas[0]
    assert encabezado[0] == "Ejecutor" and encabezado[-1] == "Total"
    assert "Completada" not in encabezado
    por_nombre = {f[0]: f for f in filas[1:]}
    en_progreso = encabezado.index("En progreso")
    assert por_nombre["Ana"][en_progreso] == "3" and por_nombre["Ana"][-1] == "4"
    assert por_nombre["Beto"][-1] == "2"
    assert por_nombre["Otros (1 ejecutores)"][-1] == "1"
    assert por_nombre["Sin ejecutor"][-1] == "1"
    assert sum(int(f[-1]) for f in filas[1:]) == Caso.objects.abiertos().count()


def test_totales_por_ejecutor_en_el_rango(cliente_coordinador):
    ana, beto = EjecutorFactory(nombre="Ana"), EjecutorFactory(nombre="Beto")
    CasoFactory.create_batch(2, ejecutor=ana, fecha_inicio=datetime.date(2026, 6, 1))
    completado(datetime.date(2026, 7, 1), ejecutor=ana, fecha_inicio=datetime.date(2026, 6, 2))
    completado(datetime.date(2026, 7, 1), ejecutor=beto, fecha_inicio=datetime.date(2025, 1, 1))
    CasoFactory(ejecutor=beto, fecha_inicio=datetime.date(2025, 1, 1))  # outside the range

    filas = csv_de(cliente_coordinador, "totales_por_ejecutor", desde="2026-01-01")

    assert filas[0] == ["Ejecutor", "Nuevos", "Completados"]
    assert sorted(filas[1:]) == [["Ana", "3", "1"], ["Beto", "0", "1"]]


def test_totales_frente_al_rango_anterior(cliente_coordinador):
    # Range: 2026-11-01 – 2026-11-25 (25 days); the previous one: 2026-10-07 – 2026-10-31.
    rango = {"desde": "2026-11-01", "hasta": "2026-11-25"}
    CasoFactory.create_batch(2, fecha_inicio=datetime.date(2026, 11, 3))
    CasoFactory(fecha_inicio=datetime.date(2026, 10, 20), fecha_cierre=datetime.date(2026, 11, 1))
    completado(
        datetime.date(2026, 11, 10),
        cierre=datetime.date(2026, 11, 12),
        fecha_inicio=datetime.date(2026, 11, 2),
    )  # on time, 10 days
    completado(
        datetime.date(2026, 11, 20),
        cierre=datetime.date(2026, 11, 15),
        fecha_inicio=datetime.date(2026, 11, 5),
    )  # late, 10 days
    completado(datetime.date(2026, 10, 15), fecha_inicio=datetime.date(2026, 10, 10))

    filas = {f[0]: f[1:] for f in csv_de(cliente_coordinador, "totales", **rango)[1:]}

    assert filas["Nuevos"] == ["4", "2"]
    assert filas["Completados"] == ["2", "1"]
    # Open today: the two of 3 Nov and the one of 20 Oct; at the end of October: that one.
    assert filas["Abiertos hoy"] == ["3", "1"]
    assert filas["Vencidos"] == ["1", "0"]  # F/Cierre 1 Nov, still open
    assert filas["% completados a tiempo (por su F/Cierre)"] == ["50.0", "100.0"]
    assert filas["Días en ejecución (promedio de los completados)"][0] == "10.0"


@pytest.mark.parametrize(
    "dias, fila",
    [(0, "0–7"), (7, "0–7"), (8, "8–15"), (30, "16–30"), (90, "61–90"), (91, "> 90")],
)
def test_antiguedad_en_sus_bordes(cliente_coordinador, dias, fila):
    CasoFactory(fecha_inicio=HOY - datetime.timedelta(days=dias), prioridad=Prioridad.ALTA)
    completado(HOY, fecha_inicio=HOY - datetime.timedelta(days=dias))  # closed: not counted

    filas = csv_de(cliente_coordinador, "antiguedad")

    assert filas[0] == ["Antigüedad (días)", "Alta", "Media", "Baja", "Total"]
    por_edad = {f[0]: f[1:] for f in filas[1:]}
    assert por_edad[fila] == ["1", "0", "0", "1"]
    assert sum(int(f[-1]) for f in filas[1:]) == 1


def test_horas_por_cliente_por_mes(cliente_coordinador):
    ana = EjecutorFactory(nombre="Ana")
    acme = ClienteFactory(nombre="Acme")
    caso = CasoFactory(cliente=acme, fecha_inicio=datetime.date(2026, 9, 1))
    for dia, desde, hasta, facturable in (
        (datetime.date(2026, 9, 30), 8, 10, True),
        (datetime.date(2026, 10, 1), 8, 9, False),
        (datetime.date(2026, 10, 2), 8, 11, True),
    ):
        ActividadFactory(
            caso=caso,
            ejecutor=ana,
            fecha=dia,
            hora_inicio=datetime.time(desde),
            hora_fin=datetime.time(hasta),
            facturable=facturable,
        )

    filas = csv_de(cliente_coordinador, "horas_por_cliente")

    assert filas[0] == ["Cliente", "Periodo", "Horas facturables", "Horas no facturables"]
    assert filas[1:] == [["Acme", "2026-09", "2.00", "0.00"], ["Acme", "2026-10", "3.00", "1.00"]]


def test_los_filtros_de_la_lista_se_aplican(cliente_coordinador, por_fecha):
    CasoFactory(fecha_inicio=datetime.date(2026, 1, 15), etapa=Etapa.RETRASADA)
    filas = csv_de(
        cliente_coordinador,
        "casos_por_fecha",
        desde="2026-01-01",
        hasta="2026-01-31",
        etapa="retrasada",
    )
    assert filas[1] == ["2026-01", "1", "0", "1"]


def test_la_pagina_con_los_seis_graficos(cliente_coordinador, por_fecha):
    pagina = cliente_coordinador.get(URL).content.decode()

    for ident in modulo.IDENTIFICADORES:
        assert f'id="{ident}"' in pagina
    assert pagina.count('<svg class="grafico"') == 5  # the sixth is tiles
    assert pagina.count("data-descripcion") == 6
    assert "style=" not in pagina


def test_periodos_de_mas_piden_acortar(cliente_coordinador, por_fecha):
    respuesta = cliente_coordinador.get(URL, {"periodo": "dia"})  # 12 months of days
    pagina = respuesta.content.decode()
    assert respuesta.status_code == 200
    assert "data-acotar" in pagina
    assert 'id="casos_por_fecha"' not in pagina and 'id="antiguedad"' in pagina


def test_xlsx_de_un_grafico_con_los_mismos_numeros(cliente_coordinador, por_fecha):
    import openpyxl

    parametros = {"grafico": "casos_por_fecha", "desde": "2026-01-01", "hasta": "2026-03-31"}
    respuesta = cliente_coordinador.get(URL, {**parametros, "formato": "xlsx"})
    assert respuesta.status_code == 200
    libro = openpyxl.load_workbook(io.BytesIO(b"".join(respuesta.streaming_content)))
    filas = [[str(v) for v in fila] for fila in libro.active.iter_rows(values_only=True)]
    assert filas == csv_de(cliente_coordinador, **parametros)


def test_grafico_o_formato_desconocido_es_400(cliente_coordinador):
    assert cliente_coordinador.get(URL, {"grafico": "pastel", "formato": "csv"}).status_code == 400
    assert cliente_coordinador.get(URL, {"grafico": "totales", "formato": "pdf"}).status_code == 400


def test_valores_invalidos_se_ignoran(cliente_coordinador):
    respuesta = cliente_coordinador.get(URL, {"desde": "31/02/2026", "periodo": "año"})
    assert respuesta.status_code == 200
    assert "Se ignoraron valores no válidos en:" in respuesta.content.decode()


def test_solo_coordinadores(cliente_soporte):
    assert cliente_soporte.get(URL).status_code == 403


def test_consultas_que_no_crecen_con_los_casos(
    cliente_coordinador, por_fecha, django_assert_max_num_queries
):
    uno = EjecutorFactory()
    completado(datetime.date(2026, 6, 1), ejecutor=uno, fecha_inicio=datetime.date(2026, 5, 1))
    CasoFactory(ejecutor=uno)
    with django_assert_max_num_queries(30) as pocos:
        cliente_coordinador.get(URL)
    for i in range(30):
        ejecutor = EjecutorFactory()
        CasoFactory(ejecutor=ejecutor, fecha_inicio=datetime.date(2026, 1 + i % 10, 1))
        completado(
            datetime.date(2026, 6, 1), ejecutor=ejecutor, fecha_inicio=datetime.date(2026, 5, 1)
        )
    with django_assert_max_num_queries(len(pocos.captured_queries)):
        cliente_coordinador.get(URL)


def test_numeros_decimales_de_la_tabla(cliente_coordinador):
    """The page's data tables read the Spanish way."""
    ana = EjecutorFactory(nombre="Ana")
    caso = CasoFactory(fecha_inicio=datetime.date(2026, 11, 1))
    ActividadFactory(
        caso=caso,
        ejecutor=ana,
        fecha=datetime.date(2026, 11, 2),
        hora_inicio=datetime.time(8),
        hora_fin=datetime.time(9, 30),
    )
    pagina = cliente_coordinador.get(URL).content.decode()
    assert ">1,50<" in pagina


def test_un_caso_reabierto_no_cuenta_como_completado(cliente_coordinador, ejecutor):
    """Reopened in the editor: completado_en is cleared, so it is open again everywhere."""
    caso = completado(datetime.date(2026, 11, 10), fecha_inicio=datetime.date(2026, 11, 2))
    caso.etapa, caso.avance = Etapa.EN_PROGRESO, 50
    caso.aplicar_derivados()
    caso.save()
    caso.refresh_from_db()
    assert caso.completado_en is None

    rango = {"desde": "2026-11-01", "hasta": "2026-11-25"}
    totales = {f[0]: f[1] for f in csv_de(cliente_coordinador, "totales", **rango)[1:]}
    assert totales["Completados"] == "0"
    assert totales["Abiertos hoy"] == "1"
    por_fecha = csv_de(cliente_coordinador, "casos_por_fecha", **rango)
    assert por_fecha[1] == ["2026-11", "1", "0", "1"]
