"""Model rules of Casos: database constraints paired with clean(), numbering, derived values."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from cases.models import Actividad, Caso, Etapa
from customers.models import Cliente
from tests.factories import (
    ActividadFactory,
    CasoFactory,
    ClienteFactory,
    ContactoFactory,
    EjecutorFactory,
)

pytestmark = pytest.mark.django_db

INICIO = datetime.date(2026, 3, 1)


def errores(exc_info) -> dict:
    """The message_dict of a ValidationError caught by pytest.raises."""
    return exc_info.value.message_dict


# --- avance -------------------------------------------------------------------------------


@pytest.mark.parametrize("avance", [101, 150])
def test_the_database_rejects_avance_above_100_on_update(avance):
    caso = CasoFactory()

    with pytest.raises(IntegrityError, match="caso_avance_0_100"), transaction.atomic():
        Caso.objects.filter(pk=caso.pk).update(avance=avance)

    caso.refresh_from_db()
    assert caso.avance == 0


def test_the_database_rejects_avance_above_100_on_save():
    caso = CasoFactory()
    caso.avance = 101

    with pytest.raises(IntegrityError), transaction.atomic():
        caso.save()


def test_the_database_rejects_negative_avance():
    caso = CasoFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Caso.objects.filter(pk=caso.pk).update(avance=-1)


@pytest.mark.parametrize("avance", [0, 55, 100])
def test_it_accepts_avance_within_0_and_100(avance):
    caso = CasoFactory(avance=avance)

    caso.full_clean()
    caso.refresh_from_db()
    assert caso.avance == avance


def test_full_clean_rejects_avance_above_100_in_spanish():
    caso = CasoFactory.build(cliente=ClienteFactory(), avance=150, numero=1)

    with pytest.raises(ValidationError) as exc:
        caso.full_clean()

    assert errores(exc) == {"avance": ["El avance debe estar entre 0 y 100 %."]}


# --- fechas del caso ----------------------------------------------------------------------


def test_the_database_rejects_fecha_cierre_before_fecha_inicio():
    caso = CasoFactory(fecha_inicio=INICIO)

    with pytest.raises(IntegrityError, match="caso_cierre_no_antes_de_inicio"):
        with transaction.atomic():
            Caso.objects.filter(pk=caso.pk).update(fecha_cierre=INICIO - datetime.timedelta(1))


def test_the_database_accepts_fecha_cierre_equal_to_fecha_inicio():
    caso = CasoFactory(fecha_inicio=INICIO, fecha_cierre=INICIO)

    caso.full_clean()
    assert Caso.objects.get(pk=caso.pk).fecha_cierre == INICIO


def test_clean_rejects_fecha_cierre_before_fecha_inicio_naming_the_start():
    caso = CasoFactory.build(
        cliente=ClienteFactory(),
        fecha_inicio=INICIO,
        fecha_cierre=datetime.date(2026, 2, 27),
        numero=1,
    )

    with pytest.raises(ValidationError) as exc:
        caso.full_clean()

    assert errores(exc) == {
        "fecha_cierre": [
            "La fecha de cierre debe ser igual o posterior a la fecha de inicio (01/03/2026)."
        ]
    }


# --- horas de la actividad ----------------------------------------------------------------


@pytest.mark.parametrize("hora_fin", [datetime.time(10, 0), datetime.time(9, 30)])
def test_the_database_rejects_hora_fin_not_after_hora_inicio(hora_fin):
    actividad = ActividadFactory(hora_inicio=datetime.time(9, 0), hora_fin=datetime.time(11, 0))
    actividad.hora_inicio = datetime.time(10, 0)
    actividad.hora_fin = hora_fin

    with pytest.raises(IntegrityError, match="actividad_hora_fin_posterior"):
        with transaction.atomic():
            actividad.save()


@pytest.mark.parametrize("hora_fin", [datetime.time(10, 0), datetime.time(9, 30)])
def test_clean_rejects_hora_fin_not_after_hora_inicio_in_spanish(hora_fin):
    actividad = ActividadFactory.build(
        caso=CasoFactory(),
        ejecutor=EjecutorFactory(),
        hora_inicio=datetime.time(10, 0),
        hora_fin=hora_fin,
    )

    with pytest.raises(ValidationError) as exc:
        actividad.full_clean()

    assert errores(exc) == {
        "hora_fin": ["La hora de fin debe ser posterior a la hora de inicio (10:00)."]
    }


# --- cliente y contacto -------------------------------------------------------------------


def test_two_clients_without_rif_are_fine():
    ClienteFactory(rif="")
    ClienteFactory(rif="")

    assert Cliente.objects.filter(rif="").count() == 2


def test_the_database_rejects_two_clients_with_the_same_rif():
    ClienteFactory(rif="J-12345678-9")

    with pytest.raises(IntegrityError), transaction.atomic():
        ClienteFactory(rif="J-12345678-9")


def test_rif_is_compared_after_trimming_and_uppercasing():
    ClienteFactory(rif="J-12345678-9")

    with pytest.raises(IntegrityError), transaction.atomic():
        ClienteFactory(rif="  j-12345678-9 ")


def test_clean_rejects_a_contacto_of_another_client():
    cliente = ClienteFactory()
    ajeno = ContactoFactory(cliente=ClienteFactory())
    caso = CasoFactory.build(cliente=cliente, contacto=ajeno, numero=1)

    with pytest.raises(ValidationError) as exc:
        caso.full_clean()

    assert errores(exc) == {
        "contacto": ["El contacto seleccionado no pertenece al cliente del caso."]
    }


def test_clean_accepts_a_contacto_of_the_same_client():
    contacto = ContactoFactory()
    caso = CasoFactory(cliente=contacto.cliente, contacto=contacto)

    caso.full_clean()


# --- numero / documento -------------------------------------------------------------------


def test_it_assigns_consecutive_numbers_on_creation():
    primero = CasoFactory()
    segundo = CasoFactory()

    assert primero.numero >= 1
    assert segundo.numero == primero.numero + 1


def test_documento_is_the_number_zero_padded_to_8_digits():
    caso = CasoFactory()

    assert caso.documento == f"{caso.numero:08d}"
    assert len(caso.documento) == 8


def test_documento_of_a_small_number():
    caso = CasoFactory()
    Caso.objects.filter(pk=caso.pk).update(numero=42)
    caso.refresh_from_db()

    assert caso.documento == "00000042"


def test_saving_again_keeps_the_number():
    caso = CasoFactory()
    numero = caso.numero

    caso.asunto = "Otro asunto"
    caso.save()

    caso.refresh_from_db()
    assert caso.numero == numero


def test_it_never_reuses_the_number_of_the_deleted_last_case():
    CasoFactory()
    ultimo = CasoFactory()
    numero_borrado = ultimo.numero
    ultimo.delete()

    nuevo = CasoFactory()

    assert nuevo.numero == numero_borrado + 1


HILOS = 8
CASOS_POR_HILO = 10


@pytest.mark.django_db(transaction=True)
def test_it_numbers_cases_uniquely_and_consecutively_under_concurrent_creation():
    cliente = ClienteFactory()
    barrera = threading.Barrier(HILOS)
    fallos: list[BaseException] = []

    def crear_casos(hilo: int):
        try:
            barrera.wait(timeout=30)
            for i in range(CASOS_POR_HILO):
                with transaction.atomic():
                    Caso.objects.create(asunto=f"Hilo {hilo} caso {i}", cliente_id=cliente.pk)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            fallos.append(exc)
        finally:
            connection.close()

    hilos = [threading.Thread(target=crear_casos, args=(n,)) for n in range(HILOS)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(timeout=120)

    assert not any(hilo.is_alive() for hilo in hilos)
    assert fallos == []
    numeros = sorted(Caso.objects.values_list("numero", flat=True))
    assert len(numeros) == HILOS * CASOS_POR_HILO
    assert numeros == list(range(numeros[0], numeros[0] + HILOS * CASOS_POR_HILO))


# --- días en ejecución --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hoy", "dias"),
    [
        (datetime.date(2026, 2, 20), 0),
        (datetime.date(2026, 3, 1), 0),
        (datetime.date(2026, 3, 2), 1),
        (datetime.date(2026, 3, 31), 30),
    ],
)
def test_dias_en_ejecucion_counts_from_fecha_inicio_to_today(hoy, dias):
    caso = CasoFactory.build(fecha_inicio=INICIO)

    assert caso.dias_en_ejecucion(hoy=hoy) == dias


def test_dias_en_ejecucion_stops_at_fecha_cierre_once_completada():
    caso = CasoFactory.build(
        fecha_inicio=INICIO, fecha_cierre=datetime.date(2026, 3, 11), etapa=Etapa.COMPLETADA
    )

    assert caso.dias_en_ejecucion(hoy=datetime.date(2026, 6, 1)) == 10


def test_dias_en_ejecucion_keeps_counting_past_fecha_cierre_while_not_completada():
    caso = CasoFactory.build(
        fecha_inicio=INICIO, fecha_cierre=datetime.date(2026, 3, 11), etapa=Etapa.EN_PROGRESO
    )

    assert caso.dias_en_ejecucion(hoy=datetime.date(2026, 3, 21)) == 20


def test_dias_en_ejecucion_of_a_completada_case_without_fecha_cierre_counts_to_today():
    caso = CasoFactory.build(fecha_inicio=INICIO, etapa=Etapa.COMPLETADA)

    assert caso.dias_en_ejecucion(hoy=datetime.date(2026, 3, 6)) == 5


# --- horas --------------------------------------------------------------------------------


def test_actividad_minutos_are_computed_on_save():
    actividad = ActividadFactory(hora_inicio=datetime.time(9, 15), hora_fin=datetime.time(11, 0))

    assert Actividad.objects.get(pk=actividad.pk).minutos == 105

    actividad.hora_fin = datetime.time(9, 45)
    actividad.save()
    assert Actividad.objects.get(pk=actividad.pk).minutos == 30
    assert actividad.horas == Decimal("0.50")


def test_totales_sums_hours_and_billable_hours():
    caso = CasoFactory()
    ejecutor = EjecutorFactory()
    ActividadFactory(
        caso=caso,
        ejecutor=ejecutor,
        hora_inicio=datetime.time(8, 0),
        hora_fin=datetime.time(9, 30),
        facturable=True,
    )
    ActividadFactory(
        caso=caso,
        ejecutor=ejecutor,
        hora_inicio=datetime.time(10, 0),
        hora_fin=datetime.time(10, 45),
        facturable=False,
    )
    ActividadFactory(
        caso=caso,
        ejecutor=ejecutor,
        hora_inicio=datetime.time(14, 0),
        hora_fin=datetime.time(14, 20),
        facturable=True,
    )

    assert caso.totales() == {"horas": Decimal("2.58"), "horas_facturables": Decimal("1.83")}


def test_totales_of_a_case_without_activities_are_zero():
    caso = CasoFactory()

    assert caso.totales() == {"horas": Decimal("0.00"), "horas_facturables": Decimal("0.00")}


# --- __str__ ------------------------------------------------------------------------------


def test_str_of_a_case_shows_documento_and_asunto():
    caso = CasoFactory(asunto="Instalar impresora")

    assert str(caso) == f"{caso.documento} · Instalar impresora"


def test_str_of_an_activity_shows_date_hours_and_description():
    actividad = ActividadFactory(
        fecha=datetime.date(2026, 3, 5),
        hora_inicio=datetime.time(9, 0),
        hora_fin=datetime.time(10, 30),
        descripcion="Configurar la red",
        caso=CasoFactory(fecha_inicio=INICIO),
    )

    assert str(actividad) == "05/03/2026 09:00–10:30 Configurar la red"


def test_str_of_client_contact_and_ejecutor():
    cliente = ClienteFactory(nombre="Panadería La Espiga", codigo="ESPIGA")
    contacto = ContactoFactory(cliente=cliente, nombre="Ana Pérez", cargo="Gerente")
    sin_cargo = ContactoFactory(cliente=cliente, nombre="Luis Gómez", cargo="")
    ejecutor = EjecutorFactory(nombre="María Rodríguez")

    assert str(cliente) == "Panadería La Espiga (ESPIGA)"
    assert str(contacto) == "Ana Pérez (Gerente)"
    assert str(sin_cargo) == "Luis Gómez"
    assert str(ejecutor) == "María Rodríguez"
