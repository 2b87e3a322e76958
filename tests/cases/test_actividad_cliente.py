"""Actividad.cliente: the case's client copied onto each activity (the reports group by it
without joining the cases). It must always equal the case's, on every write path."""

import pytest
from django.db.models import F

from cases.models import Actividad, Caso
from tests.cases.datos import datos_caso, datos_de, datos_post, fila, fila_de, url_editar
from tests.factories import ActividadFactory, ClienteFactory, UserFactory

pytestmark = pytest.mark.django_db


def desalineadas() -> int:
    return Actividad.objects.exclude(cliente_id=F("caso__cliente_id")).count()


def test_el_editor_copia_el_cliente_en_las_filas_nuevas(cliente_soporte, cliente, ejecutor):
    datos = datos_post(datos_caso(cliente, ejecutor=ejecutor.pk), [fila(ejecutor)])

    assert cliente_soporte.post("/casos/nuevo/", datos).status_code == 302

    actividad = Actividad.objects.get()
    assert actividad.cliente_id == cliente.pk == actividad.caso.cliente_id


def test_cambiar_el_cliente_del_caso_en_el_editor_lo_cambia_en_sus_filas(
    cliente_soporte, caso_con_filas
):
    otro = ClienteFactory(nombre="Otro cliente")
    filas = [fila_de(a) for a in caso_con_filas.actividades.order_by("fecha")]
    datos = datos_post(datos_de(caso_con_filas, cliente=otro.pk, contacto=""), filas)

    respuesta = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert respuesta.status_code == 302
    assert set(caso_con_filas.actividades.values_list("cliente_id", flat=True)) == {otro.pk}
    assert desalineadas() == 0


def test_cambiar_el_cliente_en_el_admin_lo_cambia_en_sus_filas(client, caso_con_filas):
    client.force_login(UserFactory(username="jefe", is_staff=True, is_superuser=True))
    otro = ClienteFactory(nombre="Cliente del admin")
    caso = Caso.objects.get(pk=caso_con_filas.pk)
    caso.cliente = otro
    caso.contacto = None
    caso.save()

    assert set(caso.actividades.values_list("cliente_id", flat=True)) == {otro.pk}
    assert desalineadas() == 0


def test_guardar_sin_cambiar_el_cliente_no_toca_las_filas(caso_con_filas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    caso = Caso.objects.get(pk=caso_con_filas.pk)
    caso.asunto = "Otro asunto"
    with CaptureQueriesContext(connection) as consultas:
        caso.save(update_fields=["asunto"])
    assert not [q for q in consultas.captured_queries if "cases_actividad" in q["sql"]]


def test_cada_fila_nueva_lleva_el_cliente_de_su_caso():
    for _ in range(3):
        ActividadFactory()
    assert Actividad.objects.count() == 3
    assert desalineadas() == 0
