"""Stale edits are refused, not overwritten: optimistic locking on the case's version."""

import threading

import pytest
from django.db import connection
from django.test import Client

from cases.models import Actividad, Caso
from tests.cases.test_editor import datos_de, datos_post, fila_de, url_editar
from tests.factories import ActividadFactory, CasoFactory, EjecutorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(grupos):
    return UserFactory(username="ana", first_name="Ana", last_name="Pérez", grupos=["Soporte"])


@pytest.fixture
def beto(grupos):
    return UserFactory(username="beto", grupos=["Soporte"])


def cliente_de(usuario) -> Client:
    client = Client()
    client.force_login(usuario)
    return client


@pytest.fixture
def caso():
    caso = CasoFactory(asunto="Servidor lento", comentario="Revisar discos")
    ActividadFactory(caso=caso, descripcion="Diagnóstico")
    return caso


def test_the_editor_carries_the_version_the_page_was_loaded_with(ana, caso):
    respuesta = cliente_de(ana).get(url_editar(caso))
    assert f'name="version" value="{caso.version}"' in respuesta.content.decode()


def test_a_stale_save_writes_nothing_and_says_who_changed_what(ana, beto, caso):
    fila = caso.actividades.get()
    # Both load the page at version 1; Ana saves first.
    cargado_por_beto = datos_post(
        datos_de(caso, asunto="Servidor lento (Beto)"),
        [fila_de(fila, descripcion="Beto cambió la fila")],
    )
    de_ana = datos_post(datos_de(caso, comentario="Discos cambiados por Ana"), [fila_de(fila)])
    assert cliente_de(ana).post(url_editar(caso), de_ana).status_code == 302

    respuesta = cliente_de(beto).post(url_editar(caso), cargado_por_beto)

    assert respuesta.status_code == 409
    caso.refresh_from_db()
    assert caso.asunto == "Servidor lento"  # Beto's change was not written
    assert caso.comentario == "Discos cambiados por Ana"  # Ana's is intact
    assert caso.version == 2
    assert Actividad.objects.get().descripcion == "Diagnóstico"
    html = respuesta.content.decode()
    assert "Otra persona guardó este caso" in html
    assert "Ana Pérez" in html  # who
    assert "Asunto" in html and "Comentario" in html  # which fields differ
    assert "difiere en Actividad" in html  # which rows differ
    assert 'value="Servidor lento (Beto)"' in html  # Beto's input is kept
    assert "Beto cambió la fila" in html
    assert 'name="_sobrescribir" value="2"' in html


def test_overwrite_saves_mine_knowingly(ana, beto, caso):
    fila = caso.actividades.get()
    de_beto = datos_post(datos_de(caso, asunto="Lo de Beto"), [fila_de(fila)])
    cliente_de(ana).post(
        url_editar(caso), datos_post(datos_de(caso, asunto="Lo de Ana"), [fila_de(fila)])
    )
    assert cliente_de(beto).post(url_editar(caso), de_beto).status_code == 409

    respuesta = cliente_de(beto).post(url_editar(caso), de_beto | {"_sobrescribir": "2"})

    assert respuesta.status_code == 302
    caso.refresh_from_db()
    assert caso.asunto == "Lo de Beto"
    assert caso.version == 3


def test_overwrite_is_refused_again_if_someone_saved_in_between(ana, beto, caso):
    fila = caso.actividades.get()
    de_beto = datos_post(datos_de(caso, asunto="Lo de Beto"), [fila_de(fila)])
    for asunto in ("Ana 1", "Ana 2"):
        caso.refresh_from_db()
        cliente_de(ana).post(
            url_editar(caso), datos_post(datos_de(caso, asunto=asunto), [fila_de(fila)])
        )

    respuesta = cliente_de(beto).post(url_editar(caso), de_beto | {"_sobrescribir": "2"})

    assert respuesta.status_code == 409
    caso.refresh_from_db()
    assert caso.asunto == "Ana 2"


def test_changing_only_an_activity_bumps_the_case_version(ana, beto, caso):
    fila = caso.actividades.get()
    de_beto = datos_post(datos_de(caso), [fila_de(fila, descripcion="Beto")])
    cliente_de(ana).post(
        url_editar(caso), datos_post(datos_de(caso), [fila_de(fila, hora_fin="11:00")])
    )

    assert cliente_de(beto).post(url_editar(caso), de_beto).status_code == 409
    assert Actividad.objects.get().hora_fin.hour == 11


def test_a_bulk_follow_up_makes_open_editors_stale(ana, caso, grupos):
    coordinador = UserFactory(username="coord", grupos=["Coordinador"])
    cargado = datos_post(datos_de(caso, asunto="Editado"), [fila_de(caso.actividades.get())])
    cliente_de(coordinador).post("/casos/seguimiento/", {"casos": [caso.pk], "etapa": "retrasada"})

    assert cliente_de(ana).post(url_editar(caso), cargado).status_code == 409
    caso.refresh_from_db()
    assert caso.etapa == "retrasada"
    assert caso.asunto == "Servidor lento"


def test_a_missing_or_junk_version_is_treated_as_stale(ana, caso):
    datos = datos_post(datos_de(caso, asunto="Sin versión"), [fila_de(caso.actividades.get())])
    for version in ("", "abc", "-1"):
        respuesta = cliente_de(ana).post(url_editar(caso), datos | {"version": version})
        assert respuesta.status_code == 409
    caso.refresh_from_db()
    assert caso.asunto == "Servidor lento"


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_one_version_let_exactly_one_through(grupos):
    """Two threads (two connections, like two app processes) post the same version at once:
    the database's conditional UPDATE lets one win and refuses the other."""
    usuarios = [UserFactory(username=f"u{i}", grupos=["Soporte"]) for i in range(2)]
    caso = CasoFactory(asunto="Carrera")
    ejecutor = EjecutorFactory()
    fila = ActividadFactory(caso=caso, ejecutor=ejecutor)
    barrera = threading.Barrier(2)
    resultados = {}

    def guardar(i):
        try:
            client = cliente_de(usuarios[i])
            datos = datos_post(datos_de(caso, asunto=f"Guardado por {i}"), [fila_de(fila)])
            barrera.wait(timeout=10)
            resultados[i] = client.post(url_editar(caso), datos).status_code
        finally:
            connection.close()

    hilos = [threading.Thread(target=guardar, args=(i,)) for i in range(2)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(timeout=60)

    assert sorted(resultados.values()) == [302, 409]
    caso.refresh_from_db()
    ganador = next(i for i, codigo in resultados.items() if codigo == 302)
    assert caso.asunto == f"Guardado por {ganador}"
    assert caso.version == 2
    assert Caso.history.filter(id=caso.pk, asunto__startswith="Guardado por").count() == 1
