"""Derived values of a case, one rule each: días en ejecución and hours.

The database's version (the list's sort, the export, the client page) and the one for a
case in memory (its page, the list's rows) must agree at every boundary.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import Actividad, Caso, Etapa, totales_de
from efactory.horas import minutos_a_horas
from tests.factories import ActividadFactory, CasoFactory, ClienteFactory, EjecutorFactory

pytestmark = pytest.mark.django_db

INICIO = datetime.date(2026, 3, 1)
CIERRE = datetime.date(2026, 3, 11)
DIA = datetime.timedelta(days=1)

# (etapa, fecha_cierre, hoy, días): before the start, the first day, counting, a closing
# date that only stops the count once completada, a completada case without one.
CASOS_DE_DIAS = [
    (Etapa.EN_PROGRESO, None, INICIO - DIA, 0),
    (Etapa.EN_PROGRESO, None, INICIO, 0),
    (Etapa.EN_PROGRESO, None, INICIO + DIA, 1),
    (Etapa.EN_BLANCO, None, datetime.date(2026, 3, 31), 30),
    (Etapa.EN_PROGRESO, CIERRE, datetime.date(2026, 3, 21), 20),
    (Etapa.COMPLETADA, CIERRE, datetime.date(2026, 6, 1), 10),
    (Etapa.COMPLETADA, CIERRE, datetime.date(2026, 3, 5), 10),
    (Etapa.COMPLETADA, CIERRE, INICIO - DIA, 10),
    (Etapa.COMPLETADA, INICIO, datetime.date(2026, 6, 1), 0),
    (Etapa.COMPLETADA, None, datetime.date(2026, 3, 6), 5),
    (Etapa.COMPLETADA, None, INICIO - DIA, 0),
    (Etapa.EN_PROGRESO, None, datetime.date(2027, 3, 1), 365),
]


@pytest.mark.parametrize(("etapa", "cierre", "hoy", "dias"), CASOS_DE_DIAS)
def test_dias_en_ejecucion_is_the_same_in_python_and_in_the_database(etapa, cierre, hoy, dias):
    caso = CasoFactory(fecha_inicio=INICIO, fecha_cierre=cierre, etapa=etapa)

    en_bd = Caso.objects.con_dias(hoy).values_list("dias_ejecucion", flat=True).get(pk=caso.pk)

    assert caso.dias_en_ejecucion(hoy=hoy) == dias
    assert en_bd == dias


@pytest.mark.parametrize("atras", [-3, 0, 1, 40])
def test_dias_en_ejecucion_counts_to_today_by_default_in_both(atras):
    caso = CasoFactory(fecha_inicio=timezone.localdate() - datetime.timedelta(days=atras))

    en_bd = Caso.objects.con_dias().values_list("dias_ejecucion", flat=True).get(pk=caso.pk)

    assert caso.dias == en_bd == max(atras, 0)


def test_sorting_by_dias_follows_the_rule():
    hoy = timezone.localdate()
    recien = CasoFactory(fecha_inicio=hoy - datetime.timedelta(days=2))
    viejo = CasoFactory(fecha_inicio=hoy - datetime.timedelta(days=90))
    cerrado = CasoFactory(
        fecha_inicio=hoy - datetime.timedelta(days=200),
        fecha_cierre=hoy - datetime.timedelta(days=195),
        etapa=Etapa.COMPLETADA,
    )
    futuro = CasoFactory(fecha_inicio=hoy + datetime.timedelta(days=10))

    orden = list(Caso.objects.con_dias().order_by("dias_ejecucion", "numero"))

    assert orden == [futuro, recien, cerrado, viejo]
    assert [c.dias for c in orden] == [c.dias_ejecucion for c in orden] == [0, 2, 5, 90]


# --- hours -------------------------------------------------------------------------------


@pytest.fixture
def casos():
    """Three cases: mixed billable rows, only non-billable rows, no rows."""
    ana = EjecutorFactory()
    mixto, sin_facturar, vacio = (CasoFactory(fecha_inicio=INICIO) for _ in range(3))
    for caso, inicio, fin, facturable in [
        (mixto, (8, 0), (9, 30), True),
        (mixto, (10, 0), (10, 45), False),
        (mixto, (14, 0), (14, 20), True),
        (sin_facturar, (16, 0), (16, 10), False),
    ]:
        ActividadFactory(
            caso=caso,
            ejecutor=ana,
            fecha=INICIO,
            hora_inicio=datetime.time(*inicio),
            hora_fin=datetime.time(*fin),
            facturable=facturable,
        )
    return {"mixto": mixto, "sin_facturar": sin_facturar, "vacio": vacio}


ESPERADO = {
    "mixto": {"horas": Decimal("2.58"), "horas_facturables": Decimal("1.83")},
    "sin_facturar": {"horas": Decimal("0.17"), "horas_facturables": Decimal("0.00")},
    "vacio": {"horas": Decimal("0.00"), "horas_facturables": Decimal("0.00")},
}


def horas(caso) -> dict:
    return {"horas": caso.horas_total, "horas_facturables": caso.horas_facturables}


def test_con_horas_annotates_each_case_in_one_query(casos, django_assert_num_queries):
    with django_assert_num_queries(1):
        anotados = {c.pk: c for c in Caso.objects.con_horas()}
        resultado = {nombre: horas(anotados[c.pk]) for nombre, c in casos.items()}

    assert resultado == ESPERADO


def test_horas_de_a_page_is_one_grouped_query(casos, django_assert_num_queries):
    pagina = list(Caso.objects.filter(pk__in=[c.pk for c in casos.values()]))

    with django_assert_num_queries(1):
        Actividad.objects.horas_de(pagina)
    por_pk = {c.pk: horas(c) for c in pagina}

    assert {nombre: por_pk[c.pk] for nombre, c in casos.items()} == ESPERADO


def test_an_empty_page_needs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Actividad.objects.horas_de([]) == []


def test_every_way_to_read_hours_agrees(casos):
    anotados = {c.pk: c for c in Caso.objects.con_horas()}
    for nombre, caso in casos.items():
        en_memoria = totales_de(Actividad.objects.filter(caso=caso))

        assert caso.totales() == en_memoria == anotados[caso.pk].totales() == ESPERADO[nombre]


def test_resumen_counts_cases_and_adds_up_their_hours_in_one_query(
    casos, django_assert_num_queries
):
    otro_cliente = ClienteFactory()
    for caso in casos.values():
        caso.cliente = otro_cliente
        caso.save()
    CasoFactory()  # another client's case counts for nothing

    with django_assert_num_queries(1):
        resumen = Caso.objects.filter(cliente=otro_cliente).resumen()

    assert resumen == {
        "num_casos": 3,
        "horas": Decimal("2.75"),
        "horas_facturables": Decimal("1.83"),
    }


def test_resumen_of_no_cases_is_zero():
    assert Caso.objects.none().resumen() == {
        "num_casos": 0,
        "horas": Decimal("0.00"),
        "horas_facturables": Decimal("0.00"),
    }


@pytest.mark.parametrize(
    ("minutos", "horas"),
    [(None, "0.00"), (0, "0.00"), (1, "0.02"), (20, "0.33"), (90, "1.50"), (155, "2.58")],
)
def test_minutos_a_horas_rounds_to_cents_of_an_hour(minutos, horas):
    assert minutos_a_horas(minutos) == Decimal(horas)
