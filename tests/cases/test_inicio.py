"""Inicio (/): my open and overdue cases, my hours of this week and the last, and, for
coordinators, the open cases by etapa. Every number is checked against a direct sum."""

import datetime
import itertools
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from cases import inicio
from cases.models import Actividad, Caso, Etapa, Prioridad
from tests.factories import ActividadFactory, CasoFactory, EjecutorFactory, UserFactory

# A Wednesday: its ISO week runs from Monday 2026-11-23 to Sunday 2026-11-29, the last one
# from 2026-11-16 to 2026-11-22.
HOY = datetime.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def hoy(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: HOY)
    return HOY


@pytest.fixture
def yo(soporte):
    return EjecutorFactory(nombre="Ana Pérez", usuario=soporte)


@pytest.fixture
def otro(db):
    return EjecutorFactory(nombre="Beto Ruiz")


def actividad(caso, ejecutor, fecha, desde, hasta, facturable=True):
    return ActividadFactory(
        caso=caso,
        ejecutor=ejecutor,
        fecha=fecha,
        hora_inicio=datetime.time(*desde),
        hora_fin=datetime.time(*hasta),
        facturable=facturable,
    )


def horas(pagina: str, semana: int, clave: str) -> str:
    bloque = re.search(rf'data-semana="{semana}".*?</section>', pagina, re.S).group(0)
    return re.search(rf'data-horas="{clave}">([^<]*)<', bloque).group(1).removesuffix(" h")


def documentos(pagina: str, titulo: str) -> list[str]:
    seccion = re.search(rf'id="{titulo}".*?</section>', pagina, re.S).group(0)
    return re.findall(r'<a href="/casos/\d+/">(\d+)</a>', seccion)


def resumen(pagina: str, clave: str) -> str:
    return re.search(rf'data-resumen="{clave}">.*?<strong[^>]*>([^<]*)<', pagina, re.S).group(1)


def test_mis_casos_abiertos_en_el_orden_de_proximos(cliente_soporte, yo, otro):
    baja = CasoFactory(ejecutor=yo, prioridad=Prioridad.BAJA, nivel=0)
    alta_tarde = CasoFactory(
        ejecutor=yo, prioridad=Prioridad.ALTA, nivel=0, fecha_inicio=datetime.date(2026, 5, 1)
    )
    alta_temprano = CasoFactory(
        ejecutor=yo, prioridad=Prioridad.ALTA, nivel=0, fecha_inicio=datetime.date(2026, 4, 1)
    )
    urgente = CasoFactory(ejecutor=yo, prioridad=Prioridad.BAJA, nivel=5)
    CasoFactory(ejecutor=yo, etapa=Etapa.COMPLETADA, avance=100)  # closed: not shown
    CasoFactory(ejecutor=otro)  # someone else's: not shown

    pagina = cliente_soporte.get("/").content.decode()

    esperados = [c.documento for c in (urgente, alta_temprano, alta_tarde, baja)]
    assert documentos(pagina, "titulo-abiertos") == esperados
    assert resumen(pagina, "abiertos") == "4"
    assert "El trabajo de Ana Pérez" in pagina


def test_mis_casos_vencidos_los_mas_atrasados_primero(cliente_soporte, yo, otro):
    ayer = HOY - datetime.timedelta(days=1)
    hace_un_mes = HOY - datetime.timedelta(days=30)
    reciente = CasoFactory(ejecutor=yo, fecha_cierre=ayer)
    antiguo = CasoFactory(ejecutor=yo, fecha_cierre=hace_un_mes)
    CasoFactory(ejecutor=yo, fecha_cierre=HOY)  # due today: not overdue yet
    CasoFactory(ejecutor=yo, fecha_cierre=ayer, etapa=Etapa.COMPLETADA, avance=100)
    CasoFactory(ejecutor=otro, fecha_cierre=ayer)

    pagina = cliente_soporte.get("/").content.decode()

    assert documentos(pagina, "titulo-vencidos") == [antiguo.documento, reciente.documento]
    assert resumen(pagina, "vencidos") == "2"
    # The link leads to the same cases in the list.
    lista = cliente_soporte.get(f"/casos/?ejecutor={yo.pk}&vencidos=true").content.decode()
    assert antiguo.documento in lista and reciente.documento in lista
    assert f'href="/casos/?ejecutor={yo.pk}&amp;vencidos=true"' in pagina


def test_mis_horas_de_esta_semana_y_la_pasada(cliente_soporte, yo, otro):
    caso = CasoFactory(ejecutor=otro, fecha_inicio=datetime.date(2026, 11, 1))
    lunes, domingo = datetime.date(2026, 11, 23), datetime.date(2026, 11, 29)
    # This week, both edges: 1 h billable on Monday, 30 min not billable on Sunday.
    actividad(caso, yo, lunes, (8, 0), (9, 0))
    actividad(caso, yo, domingo, (8, 0), (8, 30), facturable=False)
    # Last week, both edges: 2 h 15 min billable on its Monday, 45 min on its Sunday.
    actividad(caso, yo, datetime.date(2026, 11, 16), (8, 0), (10, 15))
    actividad(caso, yo, datetime.date(2026, 11, 22), (8, 0), (8, 45), facturable=False)
    # Outside both weeks: the Sunday before, and the next Monday.
    actividad(caso, yo, datetime.date(2026, 11, 15), (8, 0), (12, 0))
    actividad(caso, yo, datetime.date(2026, 11, 30), (8, 0), (12, 0))
    # Another person's hours in the same week are not mine.
    actividad(caso, otro, lunes, (8, 0), (12, 0))

    pagina = cliente_soporte.get("/").content.decode()

    def suma(desde, hasta, **filtro):
        minutos = sum(
            a.minutos
            for a in Actividad.objects.filter(ejecutor=yo, fecha__range=(desde, hasta), **filtro)
        )
        return f"{Decimal(minutos) / 60:.2f}".replace(".", ",")

    anterior = (datetime.date(2026, 11, 16), datetime.date(2026, 11, 22))
    assert horas(pagina, 1, "total") == suma(lunes, domingo) == "1,50"
    assert horas(pagina, 1, "facturables") == suma(lunes, domingo, facturable=True) == "1,00"
    assert horas(pagina, 1, "no_facturables") == suma(lunes, domingo, facturable=False)
    assert horas(pagina, 2, "total") == suma(*anterior) == "3,00"
    assert horas(pagina, 2, "facturables") == suma(*anterior, facturable=True) == "2,25"
    assert horas(pagina, 2, "no_facturables") == "0,75"


def test_semana_que_cruza_el_ano(monkeypatch, cliente_soporte, yo):
    """ISO week 1 of 2027 starts on Monday 2026-12-28; the week before is 2026-W52."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2027, 1, 2))
    caso = CasoFactory(ejecutor=yo, fecha_inicio=datetime.date(2026, 12, 1))
    actividad(caso, yo, datetime.date(2026, 12, 28), (8, 0), (9, 0))
    actividad(caso, yo, datetime.date(2027, 1, 3), (8, 0), (8, 30))
    actividad(caso, yo, datetime.date(2026, 12, 27), (8, 0), (10, 0))
    actividad(caso, yo, datetime.date(2026, 12, 21), (8, 0), (9, 0))

    pagina = cliente_soporte.get("/").content.decode()

    assert horas(pagina, 1, "total") == "1,50"
    assert horas(pagina, 2, "total") == "3,00"
    assert "28/12/2026 – 03/01/2027" in pagina


def test_sin_ejecutor_ve_al_equipo(client, otro):
    sin_ejecutor = UserFactory(username="jefa", grupos=["Soporte"])
    client.force_login(sin_ejecutor)
    tercero = EjecutorFactory(nombre="Carla Díaz")
    uno = CasoFactory(ejecutor=otro, nivel=3, fecha_inicio=datetime.date(2026, 11, 1))
    dos = CasoFactory(ejecutor=tercero, nivel=1)
    actividad(uno, otro, datetime.date(2026, 11, 24), (8, 0), (9, 0))
    actividad(dos, tercero, datetime.date(2026, 11, 24), (8, 0), (9, 30), facturable=False)

    pagina = client.get("/").content.decode()

    assert "Vista del equipo" in pagina
    assert documentos(pagina, "titulo-abiertos") == [uno.documento, dos.documento]
    assert horas(pagina, 1, "total") == "2,50"
    assert horas(pagina, 1, "facturables") == "1,00"
    # The team's tables name each case's ejecutor.
    assert "Carla Díaz" in pagina


def test_los_coordinadores_ven_los_abiertos_por_etapa(cliente_coordinador, otro):
    for etapa, cuantos in ((Etapa.EN_PROGRESO, 3), (Etapa.RETRASADA, 2), (Etapa.EN_BLANCO, 1)):
        CasoFactory.create_batch(cuantos, etapa=etapa, ejecutor=otro)
    CasoFactory.create_batch(4, etapa=Etapa.COMPLETADA, avance=100)

    pagina = cliente_coordinador.get("/").content.decode()

    bloque = re.search(r"data-por-etapa>.*?</ul>", pagina, re.S).group(0)
    filas = dict(re.findall(r'<a href="([^"]+)">[^<]+</a><span>([^<]+)</span>', bloque))
    assert filas["/casos/?etapa=en_progreso"] == "3"
    assert filas["/casos/?etapa=retrasada"] == "2"
    assert filas["/casos/?etapa=blanco"] == "1"
    assert "completada" not in bloque
    # Each count is what the linked list shows.
    for url, cuantos in filas.items():
        etapa = url.split("=")[1]
        valor = "" if etapa == "blanco" else etapa
        assert Caso.objects.filter(etapa=valor).count() == int(cuantos)


def test_soporte_no_ve_los_conteos_por_etapa(cliente_soporte, yo):
    assert "data-por-etapa" not in cliente_soporte.get("/").content.decode()


def test_conteo_acotado_dice_mas_de(monkeypatch, cliente_soporte, yo):
    monkeypatch.setattr(inicio, "COTA", 3)
    CasoFactory.create_batch(5, ejecutor=yo)
    pagina = cliente_soporte.get("/").content.decode()
    assert resumen(pagina, "abiertos") == "más de 3"


def test_inicio_pide_sesion_y_permiso(client, sin_grupo):
    respuesta = client.get("/")
    assert respuesta.status_code == 302 and respuesta["Location"].startswith("/cuentas/login/")
    client.force_login(sin_grupo)
    assert client.get("/").status_code == 403


def test_al_entrar_se_llega_a_inicio(client, soporte):
    respuesta = client.post(
        "/cuentas/login/", {"username": "soporte", "password": "clave-segura-123"}
    )
    assert respuesta.status_code == 302 and respuesta["Location"] == "/"


@pytest.mark.parametrize("usuario", ["cliente_soporte", "cliente_coordinador"])
def test_consultas_que_no_crecen_con_los_casos(
    request, usuario, django_assert_max_num_queries, otro
):
    client = request.getfixturevalue(usuario)
    yo = EjecutorFactory(usuario=request.getfixturevalue(usuario.removeprefix("cliente_")))

    dias = itertools.count()

    def poblar(n):
        for i in range(n):
            dia = next(dias)
            caso = CasoFactory(
                ejecutor=yo if i % 2 else otro,
                fecha_inicio=datetime.date(2026, 10, 1),
                fecha_cierre=datetime.date(2026, 11, 20),
            )
            fecha = datetime.date(2026, 10, 1) + datetime.timedelta(days=dia)
            actividad(caso, caso.ejecutor, fecha, (8, 0), (9, 0))

    poblar(3)
    with django_assert_max_num_queries(23) as pocos:
        client.get("/")
    poblar(30)
    with django_assert_max_num_queries(len(pocos.captured_queries)):
        assert client.get("/").status_code == 200
