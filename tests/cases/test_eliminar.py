"""Deleting a case (/casos/<pk>/eliminar/): Coordinador only, with its activities."""

import pytest

from cases.models import Actividad, Caso
from tests.cases.datos import INICIO
from tests.factories import ActividadFactory, CasoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def caso(ejecutor):
    caso = CasoFactory(fecha_inicio=INICIO, ejecutor=ejecutor)
    ActividadFactory(caso=caso, ejecutor=ejecutor)
    return caso


def test_soporte_cannot_delete(cliente_soporte, caso):
    url = f"/casos/{caso.pk}/eliminar/"

    assert cliente_soporte.get(url).status_code == 403
    assert cliente_soporte.post(url).status_code == 403
    assert Caso.objects.filter(pk=caso.pk).exists()


def test_coordinador_deletes_the_case_and_its_activities(cliente_coordinador, caso):
    url = f"/casos/{caso.pk}/eliminar/"

    assert cliente_coordinador.get(url).status_code == 200
    response = cliente_coordinador.post(url)

    assert response.status_code == 302
    assert response["Location"] == "/casos/"
    assert not Caso.objects.filter(pk=caso.pk).exists()
    assert not Actividad.objects.filter(caso_id=caso.pk).exists()
