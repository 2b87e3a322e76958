"""Reporte de horas (/casos/horas/): nested groups, subtotals, period columns and the CSV,
each number compared with a direct sum over the activity rows."""

import csv
import datetime
import io
import re
from collections import defaultdict
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from cases import horas as modulo_horas
from cases.models import Actividad
from tests.factories import ActividadFactory, CasoFactory, ClienteFactory, EjecutorFactory

# The default range is this month: 2026-11-01 to 2026-11-30.
HOY = datetime.date(2026, 11, 25)
URL = "/casos/horas/"


@pytest.fixture(autouse=True)
def hoy(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: HOY)


def fila(caso, ejecutor, fecha, desde, hasta, facturable=True):
    return ActividadFactory(
        caso=caso,
        ejecutor=ejecutor,
        fecha=fecha,
        hora_inicio=datetime.time(*desde),
        hora_fin=datetime.time(*hasta),
        facturable=facturable,
    )


def h(minutos) -> str:
    """Minutes as the page shows hours (Spanish decimals)."""
    return f"{Decimal(minutos) / 60:.2f}".replace(".", ",")


@pytest.fixture
def datos(db):
    """Two people, two clients, three cases; rows on the month's edges and outside it."""
    ana, beto = EjecutorFactory(nombre="Ana Pérez"), EjecutorFactory(nombre="Beto Ruiz")
    acme, zeta = ClienteFactory(nombre="Acme"), ClienteFactory(nombre="Zeta")
    inicio = datetime.date(2026, 10, 1)
    c1 = CasoFactory(cliente=acme, ejecutor=beto, fecha_inicio=inicio, estimado=Decimal("2"))
    c2 = CasoFactory(cliente=zeta, ejecutor=ana, fecha_inicio=inicio, estimado=Decimal("10"))
    c3 = CasoFactory(cliente=acme, ejecutor=ana, fecha_inicio=inicio)
    nov1, nov30 = datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)
    fila(c1, ana, nov1, (8, 0), (9, 30))  # Ana in Beto's case: counts for Ana
    fila(c1, beto, nov1, (8, 0), (10, 0), facturable=False)
    fila(c2, ana, nov30, (8, 0), (8, 45))
    fila(c3, ana, datetime.date(2026, 11, 16), (14, 0), (17, 15))
    fila(c3, beto, datetime.date(2026, 11, 17), (9, 0), (9, 20))
    fila(c1, ana, datetime.date(2026, 10, 31), (8, 0), (12, 0))  # before the month
    fila(c2, beto, datetime.date(2026, 12, 1), (8, 0), (12, 0))  # after it
    return {"ana": ana, "beto": beto, "acme": acme, "zeta": zeta, "casos": (c1, c2, c3)}


def del_mes():
    return Actividad.objects.filter(fecha__range=("2026-11-01", "2026-11-30"))


def filas_de(pagina: str, marca: str) -> list[list[str]]:
    """The cells of the rows marked ``marca`` (data-grupo, data-subtotal, data-total)."""
    resultado = []
    for tr in re.findall(rf"<tr[^>]*{marca}[^>]*>(.*?)</tr>", pagina, re.S):
        celdas = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)
        resultado.append([re.sub(r"<[^>]+>", "", c).strip() for c in celdas])
    return resultado


def test_por_ejecutor_del_mes_suma_lo_de_cada_uno(cliente_coordinador, datos):
    pagina = cliente_coordinador.get(URL).content.decode()

    grupos = filas_de(pagina, "data-grupo")
    esperado = defaultdict(lambda: [0, 0])
    for a in del_mes():
        esperado[a.ejecutor.nombre][0] += a.minutos
        esperado[a.ejecutor.nombre][1] += a.minutos if a.facturable else 0
    assert [g[0] for g in grupos] == ["Ana Pérez", "Beto Ruiz"]
    for nombre, total, facturables, no_facturables in grupos:
        minutos, fact = esperado[nombre]
        assert (total, facturables, no_facturables) == (h(minutos), h(fact), h(minutos - fact))
    # Ana: 1,5 + 0,75 + 3,25 (in any case, hers or not); the edges of the month count.
    assert grupos[0][1] == "5,50"
    assert filas_de(pagina, "data-total")[0][1:] == [
        h(sum(a.minutos for a in del_mes())),
        h(sum(a.minutos for a in del_mes() if a.facturable)),
        h(sum(a.minutos for a in del_mes() if not a.facturable)),
    ]


def test_grupos_anidados_con_subtotales(cliente_coordinador, datos):
    pagina = cliente_coordinador.get(
        URL, {"agrupar": ["cliente", "ejecutor"], "desde": "2026-11-01", "hasta": "2026-11-30"}
    ).content.decode()

    grupos = filas_de(pagina, "data-grupo")
    assert [g[:2] for g in grupos] == [
        ["Acme", "Ana Pérez"],
        ["", "Beto Ruiz"],  # the client is said once
        ["Zeta", "Ana Pérez"],
    ]
    subtotales = filas_de(pagina, 'data-subtotal="1"')
    por_cliente = defaultdict(int)
    for a in del_mes():
        por_cliente[a.caso.cliente.nombre] += a.minutos
    assert [(s[0], s[2]) for s in subtotales] == [
        ("Subtotal Acme", h(por_cliente["Acme"])),
        ("Subtotal Zeta", h(por_cliente["Zeta"])),
    ]
    # The subtotal comes right after its group's rows.
    assert pagina.index("Subtotal Acme") < pagina.index(">Zeta<")


def test_tres_niveles_y_facturable(cliente_coordinador, datos):
    pagina = cliente_coordinador.get(
        URL, {"agrupar": ["ejecutor", "cliente", "facturable"]}
    ).content.decode()

    assert len(filas_de(pagina, 'data-subtotal="1"')) == 2  # per ejecutor
    # per ejecutor × cliente: Ana has rows for Acme and Zeta, Beto for Acme only
    assert len(filas_de(pagina, 'data-subtotal="2"')) == 3
    beto_acme = [g for g in filas_de(pagina, "data-grupo") if g[2] in ("Sí", "No")]
    assert len(beto_acme) == len(filas_de(pagina, "data-grupo"))
    total = filas_de(pagina, "data-total")[0]
    assert total[1] == h(sum(a.minutos for a in del_mes()))


def leer_csv(respuesta, separador=","):
    texto = b"".join(respuesta.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(texto), delimiter=separador))


def test_csv_por_ejecutor_y_cliente_con_los_encabezados_de_spec(cliente_coordinador, datos):
    filas = leer_csv(
        cliente_coordinador.get(URL, {"agrupar": ["ejecutor", "cliente"], "formato": "csv"})
    )

    assert filas[0] == [
        "Ejecutor",
        "Cliente",
        "Horas",
        "Horas facturables",
        "Horas no facturables",
    ]
    esperado = defaultdict(int)
    for a in del_mes():
        esperado[(a.ejecutor.nombre, a.caso.cliente.nombre)] += a.minutos
    leidas = {(f[0], f[1]): f[2] for f in filas[1:]}
    assert leidas == {clave: f"{Decimal(m) / 60:.2f}" for clave, m in esperado.items()}


def test_columnas_por_semana_iso_que_cruza_el_ano(cliente_coordinador, datos):
    ana, caso = datos["ana"], datos["casos"][1]
    fila(caso, ana, datetime.date(2026, 12, 31), (8, 0), (9, 0))  # 2026-W53
    fila(caso, ana, datetime.date(2027, 1, 3), (8, 0), (8, 30))  # still 2026-W53
    fila(caso, ana, datetime.date(2027, 1, 4), (8, 0), (10, 0))  # 2027-W01
    parametros = {"desde": "2026-12-28", "hasta": "2027-01-04", "ejecutor": ana.pk}

    filas = leer_csv(
        cliente_coordinador.get(URL, {**parametros, "columnas": "semana", "formato": "csv"})
    )

    assert filas[0] == [
        "Ejecutor",
        "Periodo",
        "Horas",
        "Horas facturables",
        "Horas no facturables",
    ]
    assert filas[1:] == [
        ["Ana Pérez", "2026-W53", "1.50", "1.50", "0.00"],
        ["Ana Pérez", "2027-W01", "2.00", "2.00", "0.00"],
    ]
    pagina = cliente_coordinador.get(URL, {**parametros, "columnas": "semana"}).content.decode()
    assert ">2026-W53<" in pagina and ">2027-W01<" in pagina


def test_columnas_por_mes_y_dia_con_sus_etiquetas(cliente_coordinador, datos):
    parametros = {"desde": "2026-10-01", "hasta": "2026-12-31", "formato": "csv"}
    meses = leer_csv(cliente_coordinador.get(URL, {**parametros, "columnas": "mes"}))
    por_mes = defaultdict(int)
    for a in Actividad.objects.filter(ejecutor=datos["ana"]):
        por_mes[f"{a.fecha:%Y-%m}"] += a.minutos
    assert {f[1]: f[2] for f in meses[1:] if f[0] == "Ana Pérez"} == {
        k: f"{Decimal(m) / 60:.2f}" for k, m in por_mes.items()
    }
    dias = leer_csv(cliente_coordinador.get(URL, {"columnas": "dia", "formato": "csv"}))
    assert ["Ana Pérez", "2026-11-01", "1.50", "1.50", "0.00"] in dias


def test_demasiadas_columnas_pide_acortar_el_rango(cliente_coordinador, datos):
    respuesta = cliente_coordinador.get(
        URL, {"columnas": "dia", "desde": "2026-01-01", "hasta": "2026-11-30"}
    )
    assert respuesta.status_code == 200
    assert "data-acotar" in respuesta.content.decode()


def test_demasiados_grupos_pide_acotar(monkeypatch, cliente_coordinador, datos):
    monkeypatch.setattr(modulo_horas, "MAX_GRUPOS", 2)
    pagina = cliente_coordinador.get(URL, {"agrupar": "caso"}).content.decode()
    assert "data-acotar" in pagina and "data-grupo" not in pagina
    respuesta = cliente_coordinador.get(URL, {"agrupar": "caso", "formato": "csv"})
    assert respuesta.status_code == 400


def test_por_caso_compara_con_el_estimado(cliente_coordinador, datos):
    c1, c2, c3 = datos["casos"]
    pagina = cliente_coordinador.get(URL, {"agrupar": "caso"}).content.decode()

    grupos = {g[0]: g for g in filas_de(pagina, "data-grupo")}
    # Case 1: 3,5 h this month, 7,5 h in all against 2 estimated: over it.
    total_c1 = sum(a.minutos for a in c1.actividades.all())
    # Documento, Asunto, Horas, Fact., No fact., Horas del caso, Estimado, Diferencia
    assert grupos[c1.documento][2] == h(sum(a.minutos for a in del_mes().filter(caso=c1)))
    assert grupos[c1.documento][5] == h(total_c1) == "7,50"
    assert grupos[c1.documento][6] == "2,00"
    assert grupos[c1.documento][7] == "Sobre el estimado +5,50"
    # Case 2: under its estimate (4,75 h in all against 10); case 3: none.
    assert grupos[c2.documento][7] == "-5,25"
    assert grupos[c3.documento][6:] == ["—", "—"]
    assert pagina.count("data-excedido") == 1


def test_agrupar_invalido_se_ignora_y_a_lo_sumo_tres(cliente_coordinador, datos):
    respuesta = cliente_coordinador.get(
        URL, {"agrupar": ["cliente", "nada", "ejecutor", "grupo", "clase"], "columnas": "año"}
    )
    pagina = respuesta.content.decode()
    assert respuesta.status_code == 200
    assert "Se ignoraron valores no válidos en:" in pagina
    assert "agrupar" in pagina and "columnas" in pagina
    assert len(filas_de(pagina, 'data-subtotal="2"')) >= 1  # three levels, not four


def test_solo_coordinadores(cliente_soporte, datos):
    assert cliente_soporte.get(URL).status_code == 403


def test_xlsx_con_los_mismos_numeros(cliente_coordinador, datos):
    respuesta = cliente_coordinador.get(URL, {"formato": "xlsx"})
    libro = openpyxl.load_workbook(io.BytesIO(b"".join(respuesta.streaming_content)))
    filas = list(libro["Horas"].iter_rows(values_only=True))
    assert filas[0] == ("Ejecutor", "Horas", "Horas facturables", "Horas no facturables")
    por_ejecutor = defaultdict(int)
    for a in del_mes():
        por_ejecutor[a.ejecutor.nombre] += a.minutos
    assert {f[0]: f"{Decimal(str(f[1])):.2f}" for f in filas[1:]} == {
        nombre: f"{Decimal(m) / 60:.2f}" for nombre, m in por_ejecutor.items()
    }


def test_consultas_que_no_crecen_con_los_grupos(
    cliente_coordinador, datos, django_assert_max_num_queries
):
    parametros = {"agrupar": ["cliente", "caso"], "columnas": "semana"}
    with django_assert_max_num_queries(12) as pocos:
        cliente_coordinador.get(URL, parametros)
    for i in range(20):
        caso = CasoFactory(fecha_inicio=datetime.date(2026, 10, 1))
        fila(caso, datos["beto"], datetime.date(2026, 11, 2 + i), (8, 0), (9, 0))
    with django_assert_max_num_queries(len(pocos.captured_queries)):
        cliente_coordinador.get(URL, parametros)


def test_los_grupos_en_orden_espanol(cliente_coordinador, datos):
    ana = datos["ana"]
    for nombre, hora in (("Pinturas", 13), ("Óptica", 14), ("Oficina", 15), ("Ñandú", 16)):
        caso = CasoFactory(
            cliente=ClienteFactory(nombre=nombre), fecha_inicio=datetime.date(2026, 11, 1)
        )
        fila(caso, ana, datetime.date(2026, 11, 20), (hora, 0), (hora, 30))

    pagina = cliente_coordinador.get(URL, {"agrupar": "cliente"}).content.decode()

    nombres = [g[0] for g in filas_de(pagina, "data-grupo")]
    assert nombres == ["Acme", "Ñandú", "Oficina", "Óptica", "Pinturas", "Zeta"]
    assert nombres.index("Oficina") < nombres.index("Óptica") < nombres.index("Pinturas")
    assert nombres.index("Ñandú") < nombres.index("Oficina")  # ñ after n, before o
