"""The import in a background thread (cases/tareas.py), for real: the page follows it."""

import datetime
import time

import pytest
from django.utils import timezone

from cases.models import Caso, Importacion
from tests.cases.test_importacion import libro
from tests.cases.test_importar_vistas import subir
from tests.factories import ClienteFactory, UserFactory

HILO = pytest.mark.django_db(transaction=True, databases=["default", "progreso"])


@pytest.fixture
def en_segundo_plano(settings):
    settings.IMPORTACION_EN_SEGUNDO_PLANO = True


def esperar(client, importacion, estados, segundos=60):
    """Poll the progress URL as the page does until the run leaves ``estados``."""
    fin = time.monotonic() + segundos
    while time.monotonic() < fin:
        respuesta = client.get(f"/casos/importar/{importacion.pk}/progreso/")
        assert respuesta.status_code == 200
        if respuesta.get("HX-Refresh") == "true":
            importacion.refresh_from_db()
            assert importacion.estado not in estados
            return respuesta
        assert "filas de casos" in respuesta.content.decode()
        time.sleep(0.1)
    raise AssertionError("la importación no terminó")


@HILO
def test_validate_and_import_run_in_a_thread_while_the_page_polls(grupos, client, en_segundo_plano):
    coordinador = UserFactory(username="coord-hilo", grupos=["Coordinador"])
    client.force_login(coordinador)
    ClienteFactory(codigo="ACME")
    filas = [[None, f"Caso {n}", "Alta", "", "ACME", "", "", "", "02/03/2026"] for n in range(1200)]

    respuesta = subir(client, libro(filas))

    importacion = Importacion.objects.get()
    assert respuesta["Location"] == f"/casos/importar/{importacion.pk}/"
    esperar(client, importacion, Importacion.EN_CURSO)
    assert importacion.estado == Importacion.Estado.VALIDADA
    assert (importacion.creados, importacion.procesadas, importacion.total) == (1200, 1200, 1200)
    assert Caso.objects.count() == 0

    client.post(f"/casos/importar/{importacion.pk}/", {"accion": "importar"})
    esperar(client, importacion, Importacion.EN_CURSO)
    assert importacion.estado == Importacion.Estado.IMPORTADA
    assert importacion.importado_por == coordinador
    assert Caso.objects.count() == 1200 == importacion.casos.count()
    pagina = client.get(f"/casos/importar/{importacion.pk}/").content.decode()
    assert "Importación terminada: 1.200 casos creados y 0 actualizados." in pagina


@pytest.mark.django_db
def test_a_run_that_stopped_reporting_is_shown_interrupted_and_can_start_again(
    cliente_coordinador, coordinador
):
    ClienteFactory(codigo="ACME")
    importacion = Importacion.objects.create(
        usuario=coordinador,
        nombre="casos.xlsx",
        archivo=libro([[None, "Uno", "Alta", "", "ACME", "", "", "", "02/03/2026"]]),
        estado=Importacion.Estado.IMPORTANDO,
        latido=timezone.now() - datetime.timedelta(minutes=45),  # SQLite waits 30
    )

    pagina = cliente_coordinador.get(f"/casos/importar/{importacion.pk}/").content.decode()
    assert "El proceso se interrumpió" in pagina
    assert "Importar</button>" not in pagina
    # Importing again straight away is refused: validate first.
    cliente_coordinador.post(f"/casos/importar/{importacion.pk}/", {"accion": "importar"})
    assert Caso.objects.count() == 0

    cliente_coordinador.post(f"/casos/importar/{importacion.pk}/", {"accion": "validar"})
    importacion.refresh_from_db()
    assert importacion.estado == Importacion.Estado.VALIDADA and importacion.creados == 1


@pytest.mark.django_db
def test_a_running_validation_shows_its_progress(cliente_coordinador, coordinador):
    importacion = Importacion.objects.create(
        usuario=coordinador,
        nombre="casos.xlsx",
        archivo=b"",
        estado=Importacion.Estado.VALIDANDO,
        latido=timezone.now(),
        procesadas=4500,
        total=10000,
    )

    pagina = cliente_coordinador.get(f"/casos/importar/{importacion.pk}/").content.decode()

    assert "Validando…" in pagina
    assert "4.500 de 10.000 filas de casos (45 %)." in pagina
    assert 'hx-trigger="every 1s"' in pagina
    assert '<meta http-equiv="refresh" content="3">' in pagina
