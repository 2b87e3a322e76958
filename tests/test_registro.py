"""What the log gets: a refused permission (403) is one warning line, not a traceback."""

import logging
import sys

import pytest

from efactory.registro import SinTrazaEn403

pytestmark = pytest.mark.django_db


def registros_403(caplog):
    return [r for r in caplog.records if getattr(r, "status_code", None) == 403]


def test_a_403_is_logged_as_one_line_without_traceback(client, sin_grupo, caplog):
    client.force_login(sin_grupo)

    with caplog.at_level(logging.WARNING):
        response = client.get("/casos/nuevo/")

    assert response.status_code == 403
    (registro,) = registros_403(caplog)
    assert registro.levelno == logging.WARNING
    assert registro.name == "django.request"
    assert registro.getMessage() == "Forbidden (Permission denied): /casos/nuevo/"
    assert registro.exc_info is None
    assert "Traceback" not in caplog.text


def test_a_csrf_refusal_is_one_line_too(client, soporte, caplog):
    client.handler.enforce_csrf_checks = True
    client.force_login(soporte)

    with caplog.at_level(logging.WARNING):
        response = client.post("/casos/rapido/", {})

    assert response.status_code == 403
    (registro,) = registros_403(caplog)
    assert registro.name == "django.security.csrf"
    assert registro.exc_info is None
    assert "Traceback" not in caplog.text


def test_the_filter_keeps_the_traceback_of_other_errors():
    filtro = SinTrazaEn403()
    try:
        raise ValueError("falla")
    except ValueError:
        info = sys.exc_info()
    error = logging.LogRecord("django.request", logging.ERROR, "", 0, "Error", (), info)
    error.status_code = 500

    assert filtro.filter(error) is True
    assert error.exc_info == info
