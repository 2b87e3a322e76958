"""The login-throttling records (django-axes) in the admin, under Spanish names."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.urls import reverse

from efactory.acceso.models import FalloDeAcceso, IntentoFallido, RegistroDeAcceso

pytestmark = pytest.mark.django_db


@pytest.fixture
def cliente_admin(client, staff):
    client.force_login(staff)
    return client


def test_the_admin_index_names_the_section_and_its_models_in_spanish(cliente_admin):
    html = cliente_admin.get(reverse("admin:index")).content.decode()

    for texto in (
        "Inicios de sesión",
        "Intentos fallidos",
        "Fallos de inicio de sesión",
        "Registros de acceso",
    ):
        assert texto in html
    for ingles in ("Axes", "Access attempts", "Access failures", "Access logs"):
        assert ingles not in html


def test_axes_models_are_shown_only_through_the_spanish_proxies():
    registrados = set(admin.site._registry)

    assert {IntentoFallido, FalloDeAcceso, RegistroDeAcceso} <= registrados
    assert not {AccessAttempt, AccessFailureLog, AccessLog} & registrados


def test_the_records_open_in_the_admin(cliente_admin):
    intento = AccessAttempt.objects.create(
        username="soporte",
        ip_address="10.0.0.7",
        user_agent="Firefox",
        http_accept="*/*",
        path_info="/cuentas/login/",
        get_data="",
        post_data="username=soporte",
        failures_since_start=3,
    )

    lista = cliente_admin.get(reverse("admin:acceso_intentofallido_changelist"))
    cambio = cliente_admin.get(reverse("admin:acceso_intentofallido_change", args=[intento.pk]))

    assert lista.status_code == cambio.status_code == 200
    assert "10.0.0.7" in lista.content.decode()
    for modelo in ("fallodeacceso", "registrodeacceso"):
        assert cliente_admin.get(reverse(f"admin:acceso_{modelo}_changelist")).status_code == 200
