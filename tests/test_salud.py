"""/salud/ (the load balancers' health check) and the home page."""

import pytest
from django.db import OperationalError, connections

pytestmark = pytest.mark.django_db


def test_salud_answers_ok_without_login(client):
    response = client.get("/salud/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_salud_answers_503_when_the_database_fails(client, monkeypatch):
    def cursor_roto(*args, **kwargs):
        raise OperationalError("la base de datos no responde")

    with monkeypatch.context() as m:
        m.setattr(connections["default"], "cursor", cursor_roto)
        response = client.get("/salud/")

    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_the_home_page_is_inicio(cliente_soporte):
    response = cliente_soporte.get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "cases/inicio.html"
