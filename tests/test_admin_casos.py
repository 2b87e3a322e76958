"""The Django admin's Caso pages: the app's search, the Documento column, completing a case."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Caso, Etapa
from tests.factories import (
    CasoFactory,
    ClienteFactory,
    DepartamentoFactory,
    EjecutorFactory,
    GrupoFactory,
)

pytestmark = pytest.mark.django_db

LISTA = reverse("admin:cases_caso_changelist")


@pytest.fixture
def cliente_admin(client, staff):
    client.force_login(staff)
    return client


def documentos(html: str) -> list[str]:
    """The Documento column of the changelist, top to bottom."""
    return re.findall(r'<th class="field-documento"><a href="[^"]*">([^<]*)</a></th>', html)


def datos_admin(caso, **cambios) -> dict:
    """The admin change form of ``caso`` as the browser posts it back (no activities)."""

    def pk(valor):
        return "" if valor is None else str(valor)

    datos = {
        "asunto": caso.asunto,
        "prioridad": caso.prioridad,
        "cliente": pk(caso.cliente_id),
        "contacto": pk(caso.contacto_id),
        "coordinador": pk(caso.coordinador_id),
        "fecha_inicio": caso.fecha_inicio.strftime("%d/%m/%Y"),
        "fecha_cierre": "",
        "etapa": caso.etapa,
        "avance": str(caso.avance),
        "ejecutor": pk(caso.ejecutor_id),
        "departamento": pk(caso.departamento_id),
        "grupo": pk(caso.grupo_id),
        "articulo": "",
        "clase": "",
        "origen": caso.origen,
        "comentario": caso.comentario,
        "estimado": str(caso.estimado),
        "complejidad": caso.complejidad,
        "nivel": str(caso.nivel),
        "revisor": "",
        "comentario_solucion": "",
        # The version the page was loaded with (a stale save is refused).
        "version": str(caso.version),
        "actividades-TOTAL_FORMS": "0",
        "actividades-INITIAL_FORMS": "0",
    }
    if caso.interno:
        datos["interno"] = "on"
    datos.update(cambios)
    return datos


def test_the_search_ignores_accents_like_the_app(cliente_admin):
    nandu = CasoFactory(cliente=ClienteFactory(nombre="Ferretería Ñandú"))
    CasoFactory(cliente=ClienteFactory(nombre="Papelería Norte"))

    html = cliente_admin.get(LISTA, {"q": "nandu"}).content.decode()

    assert documentos(html) == [nandu.documento]


def test_the_search_finds_a_document_as_shown(cliente_admin):
    casos = [CasoFactory() for _ in range(3)]

    html = cliente_admin.get(LISTA, {"q": casos[1].documento}).content.decode()

    assert documentos(html) == [casos[1].documento]


def test_documento_is_zero_padded_and_sorts_by_number(cliente_admin):
    primero, segundo = CasoFactory(), CasoFactory()

    por_defecto = documentos(cliente_admin.get(LISTA).content.decode())
    ascendente = documentos(cliente_admin.get(LISTA, {"o": "1"}).content.decode())

    assert por_defecto == [segundo.documento, primero.documento]
    assert ascendente == [primero.documento, segundo.documento]
    assert len(primero.documento) == 8 and primero.documento.startswith("0")


def test_the_change_form_completes_a_case_sent_with_avance_30(cliente_admin):
    caso = CasoFactory(etapa=Etapa.EN_PROGRESO, avance=30)

    response = cliente_admin.post(
        reverse("admin:cases_caso_change", args=[caso.pk]),
        datos_admin(caso, etapa="completada", avance="30"),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    caso.refresh_from_db()
    assert caso.avance == 100
    assert caso.completado_en is not None
    assert caso.completado_en <= timezone.now()
    html = cliente_admin.get(reverse("admin:cases_caso_change", args=[caso.pk])).content.decode()
    assert "Completado en" in html
    assert caso.documento in html


def test_the_change_form_reopens_and_fills_from_the_ejecutor_and_client(cliente_admin):
    ana = EjecutorFactory(grupo=GrupoFactory(), departamento=DepartamentoFactory())
    interno = ClienteFactory(interno=True)
    caso = CasoFactory(etapa=Etapa.COMPLETADA, avance=100, completado_en=timezone.now())

    response = cliente_admin.post(
        reverse("admin:cases_caso_change", args=[caso.pk]),
        datos_admin(caso, etapa="en_progreso", ejecutor=str(ana.pk), cliente=str(interno.pk)),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    caso = Caso.objects.get(pk=caso.pk)
    assert caso.completado_en is None
    assert (caso.grupo, caso.departamento, caso.interno) == (ana.grupo, ana.departamento, True)
