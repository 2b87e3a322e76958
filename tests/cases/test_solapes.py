"""An ejecutor cannot be in two places at once: overlaps across cases, on every way in.

The editor's formset names the other case and its hours; the database (an exclusion
constraint on PostgreSQL, triggers on SQLite) keeps the rule when two saves race or when
something writes around the forms.
"""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from cases.formsets import BaseActividadFormSet
from cases.models import Actividad, Caso
from cases.services import comprobar_solapes
from tests.cases.datos import datos_caso, datos_de, datos_post, fila_de, url_editar
from tests.factories import (
    ActividadFactory,
    CasoFactory,
    ClienteFactory,
    EjecutorFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
T = datetime.time
DIA = D(2026, 3, 10)


@pytest.fixture
def carlos(db):
    return EjecutorFactory(nombre="Carlos Mendoza")


@pytest.fixture
def otro_caso(carlos):
    """Case with Carlos busy on DIA from 08:00 to 10:00."""
    caso = CasoFactory(asunto="Migración de correo", fecha_inicio=D(2026, 3, 1), ejecutor=carlos)
    ActividadFactory(caso=caso, fecha=DIA, hora_inicio=T(8, 0), hora_fin=T(10, 0), ejecutor=carlos)
    return caso


@pytest.fixture
def caso(carlos):
    return CasoFactory(asunto="Impresora", fecha_inicio=D(2026, 3, 1), ejecutor=carlos)


def nueva_fila(ejecutor, inicio, fin, fecha=DIA, **extra) -> dict:
    return {
        "fecha": fecha.isoformat(),
        "hora_inicio": inicio,
        "hora_fin": fin,
        "descripcion": "Visita al cliente",
        "ejecutor": ejecutor.pk,
        **extra,
    }


def guardar(client, caso, filas):
    return client.post(url_editar(caso), datos_post(datos_de(caso), filas))


def test_it_refuses_a_row_that_overlaps_the_same_ejecutor_in_another_case(
    cliente_soporte, caso, otro_caso, carlos
):
    respuesta = guardar(cliente_soporte, caso, [nueva_fila(carlos, "09:00", "11:00")])

    assert respuesta.status_code == 200
    texto = respuesta.content.decode()
    assert (
        f"Carlos Mendoza ya tiene una actividad el 10/03/2026 de 08:00 a 10:00 en el caso "
        f"{otro_caso.documento}" in texto
    )
    assert not Actividad.objects.filter(caso=caso).exists()
    caso.refresh_from_db()
    assert caso.version == 1


def test_a_new_case_is_refused_too_and_nothing_is_created(cliente_soporte, otro_caso, carlos):
    antes = Caso.objects.count()
    datos = datos_post(
        datos_caso(ClienteFactory(), ejecutor=carlos.pk, fecha_inicio="2026-03-01"),
        [nueva_fila(carlos, "07:30", "08:30")],
    )

    respuesta = cliente_soporte.post("/casos/nuevo/", datos)

    assert respuesta.status_code == 200
    assert f"en el caso {otro_caso.documento}" in respuesta.content.decode()
    assert Caso.objects.count() == antes


@pytest.mark.parametrize(
    ("inicio", "fin"),
    [("10:00", "11:00"), ("07:00", "08:00")],
    ids=["starts-when-the-other-ends", "ends-when-the-other-starts"],
)
def test_touching_ends_are_fine(cliente_soporte, caso, otro_caso, carlos, inicio, fin):
    respuesta = guardar(cliente_soporte, caso, [nueva_fila(carlos, inicio, fin)])

    assert respuesta.status_code == 302
    assert Actividad.objects.filter(caso=caso).count() == 1


def test_another_ejecutor_or_another_day_is_fine(cliente_soporte, caso, otro_caso, carlos):
    ana = EjecutorFactory(nombre="Ana")
    filas = [
        nueva_fila(ana, "08:00", "10:00"),
        nueva_fila(carlos, "08:00", "10:00", fecha=DIA + datetime.timedelta(days=1)),
    ]

    respuesta = guardar(cliente_soporte, caso, filas)

    assert respuesta.status_code == 302
    assert Actividad.objects.filter(caso=caso).count() == 2


def test_a_case_saved_again_does_not_collide_with_its_own_rows(cliente_soporte, caso, carlos):
    fila = ActividadFactory(
        caso=caso, fecha=DIA, hora_inicio=T(8, 0), hora_fin=T(10, 0), ejecutor=carlos
    )

    respuesta = guardar(cliente_soporte, caso, [fila_de(fila, hora_fin="10:30")])

    assert respuesta.status_code == 302
    fila.refresh_from_db()
    assert fila.hora_fin == T(10, 30)


def test_swapping_two_rows_of_one_case_is_saved(cliente_soporte, caso, carlos):
    """Half-way through the save the rows overlap; the database checks the end result."""
    a = ActividadFactory(
        caso=caso, fecha=DIA, hora_inicio=T(8, 0), hora_fin=T(9, 0), ejecutor=carlos
    )
    b = ActividadFactory(
        caso=caso, fecha=DIA, hora_inicio=T(9, 0), hora_fin=T(10, 0), ejecutor=carlos
    )
    filas = [
        fila_de(a, hora_inicio="09:00", hora_fin="10:00"),
        fila_de(b, hora_inicio="08:00", hora_fin="09:00"),
    ]

    respuesta = guardar(cliente_soporte, caso, filas)

    assert respuesta.status_code == 302
    a.refresh_from_db()
    assert a.hora_inicio == T(9, 0)


def _lecturas_de_otros_casos(consultas) -> int:
    """SELECTs of activities by ejecutor and day (the cross-case check)."""
    return sum(
        1 for q in consultas if q.startswith("SELECT") and '"cases_actividad"."ejecutor_id" IN' in q
    )


def test_the_cross_case_check_is_one_query_for_any_number_of_rows(
    consultas, cliente_soporte, caso, otro_caso, carlos
):
    def filas(n, hora):
        primero = D(2026, 3, 1)
        return [
            nueva_fila(carlos, f"{hora}:00", f"{hora}:30", fecha=primero + datetime.timedelta(i))
            for i in range(n)
        ]

    def guardadas(caso, filas) -> list[str]:
        sql = consultas(
            cliente_soporte, "post", url_editar(caso), datos_post(datos_de(caso), filas)
        )
        assert sql.respuesta.status_code == 302
        return sql

    dos = guardadas(caso, filas(2, 12))
    otro = CasoFactory(fecha_inicio=D(2026, 3, 1), ejecutor=carlos)
    cuarenta = guardadas(otro, filas(40, 14))

    assert _lecturas_de_otros_casos(dos) == _lecturas_de_otros_casos(cuarenta) == 1


# --- the database keeps the rule ------------------------------------------------------------


def test_the_database_refuses_an_overlap_written_around_the_forms(caso, otro_caso, carlos):
    with pytest.raises(IntegrityError), transaction.atomic():
        Actividad.objects.create(
            caso=caso,
            fecha=DIA,
            hora_inicio=T(9, 30),
            hora_fin=T(9, 45),
            descripcion="Escrita por un script",
            ejecutor=carlos,
        )
        comprobar_solapes()
    assert not Actividad.objects.filter(caso=caso).exists()


def test_the_database_refuses_moving_a_row_onto_another_case(caso, otro_caso, carlos):
    fila = ActividadFactory(
        caso=caso, fecha=DIA, hora_inicio=T(11, 0), hora_fin=T(12, 0), ejecutor=carlos
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Actividad.objects.filter(pk=fila.pk).update(hora_inicio=T(9, 0))
        comprobar_solapes()


def test_the_database_accepts_touching_rows(caso, otro_caso, carlos):
    with transaction.atomic():
        Actividad.objects.create(
            caso=caso,
            fecha=DIA,
            hora_inicio=T(10, 0),
            hora_fin=T(11, 0),
            descripcion="Justo después",
            ejecutor=carlos,
        )
        comprobar_solapes()
    assert Actividad.objects.filter(caso=caso).count() == 1


def test_a_race_the_form_cannot_see_is_refused_with_a_message(
    cliente_soporte, caso, otro_caso, carlos, monkeypatch
):
    """Both saves validated before either wrote (simulated by skipping the form's check):
    the database refuses the second, and the user gets the page back, nothing written."""
    monkeypatch.setattr(BaseActividadFormSet, "_validar_otros_casos", lambda self, filas: None)

    respuesta = guardar(cliente_soporte, caso, [nueva_fila(carlos, "09:00", "11:00")])

    assert respuesta.status_code == 200
    assert "Otra persona registró al mismo tiempo una actividad" in respuesta.content.decode()
    assert not Actividad.objects.filter(caso=caso).exists()
    caso.refresh_from_db()
    assert caso.version == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_overlapping_rows_let_exactly_one_through(grupos):
    """Two people log the same ejecutor's morning in two cases at the same moment, from two
    connections: one row is saved, the other save is refused; never both."""
    carlos = EjecutorFactory(nombre="Carlos Mendoza")
    casos = [
        CasoFactory(asunto=f"Caso {i}", fecha_inicio=D(2026, 3, 1), ejecutor=carlos)
        for i in range(2)
    ]
    usuarios = [UserFactory(username=f"u{i}", grupos=["Soporte"]) for i in range(2)]
    barrera = threading.Barrier(2)
    resultados = {}

    def guardar_en(i):
        try:
            client = Client()
            client.force_login(usuarios[i])
            datos = datos_post(datos_de(casos[i]), [nueva_fila(carlos, "08:00", "10:00")])
            barrera.wait(timeout=10)
            resultados[i] = client.post(url_editar(casos[i]), datos).status_code
        finally:
            connection.close()

    hilos = [threading.Thread(target=guardar_en, args=(i,)) for i in range(2)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(timeout=60)

    assert sorted(resultados.values()) == [200, 302]
    assert Actividad.objects.filter(ejecutor=carlos, fecha=DIA).count() == 1


# --- the Django admin -----------------------------------------------------------------------


def test_the_admin_cannot_add_or_change_a_loose_activity(client, staff, otro_caso):
    client.force_login(staff)
    fila = otro_caso.actividades.get()

    assert client.get("/admin/cases/actividad/add/").status_code == 403
    respuesta = client.post(
        f"/admin/cases/actividad/{fila.pk}/change/",
        {"caso": otro_caso.pk, "fecha": "2026-03-31", "hora_inicio": "08:00"},
    )
    assert respuesta.status_code == 403
    fila.refresh_from_db()
    assert fila.fecha == DIA
    # Still there to look at.
    assert client.get(f"/admin/cases/actividad/{fila.pk}/change/").status_code == 200


def _datos_admin(caso, filas):
    datos = {
        "asunto": caso.asunto,
        "prioridad": caso.prioridad,
        "cliente": caso.cliente_id,
        "fecha_inicio": caso.fecha_inicio.isoformat(),
        "fecha_cierre": caso.fecha_cierre.isoformat() if caso.fecha_cierre else "",
        "etapa": caso.etapa,
        "avance": caso.avance,
        "ejecutor": caso.ejecutor_id or "",
        "origen": "",
        "estimado": "0",
        "complejidad": "",
        "nivel": "0",
        "version": caso.version,
        "actividades-TOTAL_FORMS": str(len(filas)),
        "actividades-INITIAL_FORMS": "0",
        "actividades-MIN_NUM_FORMS": "0",
        "actividades-MAX_NUM_FORMS": "1000",
    }
    for i, fila in enumerate(filas):
        for campo, valor in fila.items():
            datos[f"actividades-{i}-{campo}"] = valor
    return datos


def test_the_admin_case_inline_applies_the_cross_case_rule(client, staff, caso, otro_caso, carlos):
    client.force_login(staff)
    filas = [nueva_fila(carlos, "09:00", "11:00")]

    respuesta = client.post(f"/admin/cases/caso/{caso.pk}/change/", _datos_admin(caso, filas))

    assert respuesta.status_code == 200
    assert f"en el caso {otro_caso.documento}" in respuesta.content.decode()
    assert not Actividad.objects.filter(caso=caso).exists()


def test_the_admin_case_inline_applies_the_date_window(client, staff, caso, carlos):
    client.force_login(staff)
    caso.fecha_cierre = D(2026, 3, 31)
    caso.save()
    filas = [nueva_fila(carlos, "09:00", "10:00", fecha=D(2026, 4, 2))]

    respuesta = client.post(f"/admin/cases/caso/{caso.pk}/change/", _datos_admin(caso, filas))

    assert respuesta.status_code == 200
    assert "31/03/2026" in respuesta.content.decode()
    assert not Actividad.objects.filter(caso=caso).exists()


def test_the_admin_case_inline_saves_valid_rows(client, staff, caso, otro_caso, carlos):
    client.force_login(staff)
    filas = [nueva_fila(carlos, "10:00", "11:00")]

    respuesta = client.post(f"/admin/cases/caso/{caso.pk}/change/", _datos_admin(caso, filas))

    assert respuesta.status_code == 302, respuesta.content.decode()[:3000]
    assert Actividad.objects.filter(caso=caso).count() == 1
