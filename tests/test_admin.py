"""The Django admin works for every model: lists, search, filters, forms, autocomplete."""

import pytest
from django.contrib import admin
from django.urls import reverse

from cases.models import Caso
from tests.factories import ActividadFactory, ContactoFactory, UserFactory


@pytest.fixture
def cliente_admin(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_every_model_is_registered():
    registrados = {m._meta.label for m in admin.site._registry}
    assert {
        "customers.Cliente",
        "customers.Contacto",
        "cases.Ejecutor",
        "cases.Articulo",
        "cases.Clase",
        "cases.Grupo",
        "cases.Departamento",
        "cases.Caso",
        "cases.Actividad",
    } <= registrados


def test_changelists_and_forms_open_for_every_model(cliente_admin):
    actividad = ActividadFactory()
    ContactoFactory(cliente=actividad.caso.cliente)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"cases", "customers"}:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        lista = cliente_admin.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "a"})
        assert lista.status_code == 200, model
        if model_admin.has_add_permission(lista.wsgi_request):
            assert cliente_admin.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200
        obj = model.objects.first()
        if obj is not None:
            cambio = cliente_admin.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert cambio.status_code == 200, model


def test_case_change_page_shows_its_activities_inline(cliente_admin):
    actividad = ActividadFactory(descripcion="Revisión del respaldo nocturno")
    respuesta = cliente_admin.get(reverse("admin:cases_caso_change", args=[actividad.caso.pk]))
    assert "Revisión del respaldo nocturno" in respuesta.content.decode()


def test_case_list_filters_by_etapa(cliente_admin):
    ActividadFactory(caso__etapa="retrasada", caso__asunto="Caso retrasado")
    ActividadFactory(caso__etapa="completada", caso__asunto="Caso completado")
    respuesta = cliente_admin.get(reverse("admin:cases_caso_changelist"), {"etapa": "retrasada"})
    html = respuesta.content.decode()
    assert "Caso retrasado" in html
    assert "Caso completado" not in html


def test_autocomplete_finds_clients_for_the_case_form(cliente_admin):
    contacto = ContactoFactory(cliente__nombre="Ferretería Ñandú")
    respuesta = cliente_admin.get(
        "/admin/autocomplete/",
        {"app_label": "cases", "model_name": "caso", "field_name": "cliente", "term": "Ferre"},
    )
    assert respuesta.status_code == 200
    assert [r["text"] for r in respuesta.json()["results"]] == [str(contacto.cliente)]


def test_admin_sets_the_owner_of_a_new_case(cliente_admin):
    contacto = ContactoFactory()
    respuesta = cliente_admin.post(
        reverse("admin:cases_caso_add"),
        {
            "asunto": "Desde el admin",
            "prioridad": "media",
            "cliente": contacto.cliente.pk,
            "fecha_inicio": "01/03/2026",
            "etapa": "",
            "avance": "0",
            "origen": "",
            "estimado": "0",
            "complejidad": "",
            "nivel": "0",
            "actividades-TOTAL_FORMS": "0",
            "actividades-INITIAL_FORMS": "0",
        },
    )
    assert respuesta.status_code == 302, respuesta.content.decode()[:2000]
    caso = Caso.objects.get(asunto="Desde el admin")
    assert caso.propietario.username == "root"


def test_admin_refuses_an_activity_outside_the_case_dates(cliente_admin):
    contacto = ContactoFactory()
    ejecutor = ActividadFactory().ejecutor
    respuesta = cliente_admin.post(
        reverse("admin:cases_caso_add"),
        {
            "asunto": "Fechas del admin",
            "prioridad": "media",
            "cliente": contacto.cliente.pk,
            "fecha_inicio": "01/03/2026",
            "fecha_cierre": "31/03/2026",
            "etapa": "",
            "avance": "0",
            "origen": "",
            "estimado": "0",
            "complejidad": "",
            "nivel": "0",
            "actividades-TOTAL_FORMS": "1",
            "actividades-INITIAL_FORMS": "0",
            "actividades-0-fecha": "15/04/2026",
            "actividades-0-hora_inicio": "09:00",
            "actividades-0-hora_fin": "10:00",
            "actividades-0-descripcion": "Fuera de rango",
            "actividades-0-ejecutor": ejecutor.pk,
        },
    )
    assert respuesta.status_code == 200
    assert "La fecha debe estar entre el 01/03/2026 (F/Inicio) y el 31/03/2026" in (
        respuesta.content.decode()
    )
    assert not Caso.objects.filter(asunto="Fechas del admin").exists()
