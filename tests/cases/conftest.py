"""Fixtures of the case page tests."""

import datetime

import pytest

from tests.cases.datos import INICIO, XSS
from tests.factories import ActividadFactory, CasoFactory, ClienteFactory, EjecutorFactory


@pytest.fixture
def cliente():
    return ClienteFactory(nombre="Ferretería El Tornillo")


@pytest.fixture
def ejecutor():
    return EjecutorFactory(nombre="Ana Pérez")


@pytest.fixture
def caso_con_filas(ejecutor):
    """A case open since INICIO with two activities, on the 5th and on the 10th of March."""
    caso = CasoFactory(fecha_inicio=INICIO, ejecutor=ejecutor)
    ActividadFactory(
        caso=caso, ejecutor=ejecutor, fecha=datetime.date(2026, 3, 5), descripcion="Primera"
    )
    ActividadFactory(
        caso=caso, ejecutor=ejecutor, fecha=datetime.date(2026, 3, 10), descripcion="Segunda"
    )
    return caso


@pytest.fixture
def caso_con_html(ejecutor):
    """A case with HTML typed into its texts and into its activity's."""
    caso = CasoFactory(asunto=XSS, comentario=XSS, comentario_solucion=XSS, ejecutor=ejecutor)
    ActividadFactory(caso=caso, ejecutor=ejecutor, descripcion=XSS)
    return caso
