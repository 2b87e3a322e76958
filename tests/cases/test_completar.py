"""Completing a case and the fields that follow from others (Caso.aplicar_derivados).

Etapa Completada sets avance 100 and records completado_en (cleared when the case is
reopened); a chosen ejecutor fills an empty Grupo and Depto.; a chosen interno client ticks
Caso interno. Every write path applies it: the editor, quick add, the bulk follow-up and the
Django admin (tests/test_admin_casos.py). The data migration fills completado_en of the cases
completed before.
"""

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from cases.models import Caso, Etapa
from tests.cases.datos import datos_caso, datos_de, datos_post, url_editar
from tests.factories import (
    CasoFactory,
    ClienteFactory,
    DepartamentoFactory,
    EjecutorFactory,
    GrupoFactory,
)

pytestmark = pytest.mark.django_db

MIGRACION = importlib.import_module("cases.migrations.0008_completado_en")
HACE_UN_RATO = datetime.timedelta(minutes=5)


@pytest.fixture
def infra():
    return GrupoFactory(nombre="Infraestructura")


@pytest.fixture
def soporte_tecnico():
    return DepartamentoFactory(nombre="Soporte Técnico")


@pytest.fixture
def ana(infra, soporte_tecnico):
    """An ejecutor with a grupo and a departamento."""
    return EjecutorFactory(nombre="Ana Pérez", grupo=infra, departamento=soporte_tecnico)


@pytest.fixture
def rrhh():
    """An internal client: a department of the company."""
    return ClienteFactory(nombre="Dpto. de Recursos Humanos", interno=True)


def reciente(momento) -> bool:
    return momento is not None and timezone.now() - HACE_UN_RATO < momento <= timezone.now()


def guardado(caso) -> Caso:
    return Caso.objects.get(pk=caso.pk)


# --- The rule itself ------------------------------------------------------------------------


def test_completing_sets_avance_100_and_records_the_moment():
    caso = guardado(CasoFactory(etapa=Etapa.EN_PROGRESO, avance=30))
    momento = timezone.now()

    caso.etapa = Etapa.COMPLETADA
    cambiados = caso.aplicar_derivados(ahora=momento)

    assert (caso.avance, caso.completado_en) == (100, momento)
    assert cambiados == {"avance", "completado_en"}


def test_a_completed_case_keeps_the_moment_it_was_completed():
    antes = timezone.now() - datetime.timedelta(days=3)
    caso = guardado(CasoFactory(etapa=Etapa.COMPLETADA, avance=100, completado_en=antes))

    assert caso.aplicar_derivados() == set()
    assert caso.completado_en == antes


def test_reopening_clears_completado_en_and_completing_again_records_a_new_moment():
    caso = guardado(CasoFactory(etapa=Etapa.COMPLETADA, avance=100, completado_en=timezone.now()))

    caso.etapa = Etapa.EN_PROGRESO
    assert caso.aplicar_derivados() == {"completado_en"}
    assert caso.completado_en is None
    assert caso.avance == 100  # reopening does not guess a new avance

    caso.etapa = Etapa.COMPLETADA
    otra_vez = timezone.now() + datetime.timedelta(hours=1)
    caso.aplicar_derivados(ahora=otra_vez)
    assert caso.completado_en == otra_vez


def test_a_chosen_ejecutor_fills_only_the_empty_grupo_and_departamento(ana, infra):
    otro_grupo = GrupoFactory(nombre="Mesa de ayuda")
    caso = guardado(CasoFactory(grupo=otro_grupo))

    caso.ejecutor = ana
    assert caso.aplicar_derivados() == {"departamento"}
    assert (caso.grupo, caso.departamento) == (otro_grupo, ana.departamento)


def test_the_same_ejecutor_does_not_refill_a_grupo_the_user_cleared(ana):
    caso = guardado(CasoFactory(ejecutor=ana, grupo=ana.grupo, departamento=ana.departamento))

    caso.grupo = None
    assert caso.aplicar_derivados() == set()
    assert caso.grupo is None


def test_a_chosen_interno_client_ticks_caso_interno_once(rrhh):
    caso = guardado(CasoFactory())

    caso.cliente = rrhh
    assert caso.aplicar_derivados() == {"interno"}
    assert caso.interno is True
    caso.save()

    # Unticked later, with the same client: a deliberate choice, kept.
    caso = guardado(caso)
    caso.interno = False
    assert caso.aplicar_derivados() == set()
    assert caso.interno is False


def test_a_client_that_is_not_interno_leaves_caso_interno_alone():
    caso = guardado(CasoFactory(interno=True))

    caso.cliente = ClienteFactory(interno=False)
    caso.aplicar_derivados()
    assert caso.interno is True


# --- The editor -----------------------------------------------------------------------------


def test_the_editor_completes_a_new_case_sent_with_avance_30(cliente_soporte):
    cliente = ClienteFactory()

    response = cliente_soporte.post(
        "/casos/nuevo/", datos_post(datos_caso(cliente, etapa="completada", avance="30"), [])
    )

    assert response.status_code == 302
    caso = Caso.objects.get()
    assert caso.avance == 100
    assert reciente(caso.completado_en)


def test_the_editor_completes_and_reopens_a_stored_case(cliente_soporte):
    caso = CasoFactory(etapa=Etapa.EN_PROGRESO, avance=30)

    cliente_soporte.post(url_editar(caso), datos_post(datos_de(caso, etapa="completada"), []))
    caso = guardado(caso)
    assert (caso.avance, reciente(caso.completado_en)) == (100, True)
    completado = caso.completado_en

    # Saving it again, still completed, keeps the moment.
    cliente_soporte.post(url_editar(caso), datos_post(datos_de(caso, asunto="Otro"), []))
    assert guardado(caso).completado_en == completado

    cliente_soporte.post(
        url_editar(caso), datos_post(datos_de(guardado(caso), etapa="retrasada"), [])
    )
    caso = guardado(caso)
    assert (caso.etapa, caso.completado_en) == (Etapa.RETRASADA, None)
    assert caso.history.first().completado_en is None


def test_the_editor_fills_grupo_departamento_and_interno_left_empty(cliente_soporte, ana, rrhh):
    response = cliente_soporte.post(
        "/casos/nuevo/", datos_post(datos_caso(rrhh, ejecutor=ana.pk), [])
    )

    assert response.status_code == 302
    caso = Caso.objects.get()
    assert (caso.grupo, caso.departamento, caso.interno) == (ana.grupo, ana.departamento, True)


def test_the_editor_keeps_a_grupo_the_user_chose(cliente_soporte, ana):
    mesa = GrupoFactory(nombre="Mesa de ayuda")

    cliente_soporte.post(
        "/casos/nuevo/",
        datos_post(datos_caso(ClienteFactory(), ejecutor=ana.pk, grupo=mesa.pk), []),
    )

    caso = Caso.objects.get()
    assert (caso.grupo, caso.departamento) == (mesa, ana.departamento)


def test_the_case_page_shows_when_it_was_completed(cliente_soporte):
    momento = timezone.make_aware(datetime.datetime(2026, 3, 20, 16, 45))
    caso = CasoFactory(etapa=Etapa.COMPLETADA, avance=100, completado_en=momento)
    abierto = CasoFactory(etapa=Etapa.EN_PROGRESO)

    html = cliente_soporte.get(caso.get_absolute_url()).content.decode()
    assert "Completado</dt>" in html
    assert 'data-campo="completado_en">20/03/2026 16:45</dd>' in html
    html = cliente_soporte.get(abierto.get_absolute_url()).content.decode()
    assert 'data-campo="completado_en">—</dd>' in html


# --- Quick add ------------------------------------------------------------------------------


def test_quick_add_applies_the_same_rules(cliente_soporte, ana, rrhh):
    response = cliente_soporte.post(
        "/casos/rapido/",
        {
            "asunto": "Cuenta de correo para la nueva analista",
            "fecha": "2026-03-02",
            "prioridad": "media",
            "nivel": "0",
            "cliente": rrhh.pk,
            "ejecutor": ana.pk,
            "etapa": "completada",
        },
    )

    assert response.status_code == 302
    caso = Caso.objects.get()
    assert (caso.avance, caso.interno) == (100, True)
    assert (caso.grupo, caso.departamento) == (ana.grupo, ana.departamento)
    assert reciente(caso.completado_en)


# --- Bulk follow-up -------------------------------------------------------------------------


def test_bulk_completion_sets_avance_100_and_completado_en_with_history(cliente_coordinador):
    casos = [CasoFactory(etapa=Etapa.EN_PROGRESO, avance=40) for _ in range(2)]

    cliente_coordinador.post(
        "/casos/seguimiento/", {"casos": [c.pk for c in casos], "etapa": "completada"}
    )

    for caso in casos:
        caso = guardado(caso)
        assert caso.avance == 100
        assert reciente(caso.completado_en)
        ultimo = caso.history.first()
        assert (ultimo.avance, ultimo.completado_en) == (100, caso.completado_en)


def test_bulk_reopening_clears_completado_en(cliente_coordinador):
    caso = CasoFactory(etapa=Etapa.COMPLETADA, avance=100, completado_en=timezone.now())

    cliente_coordinador.post("/casos/seguimiento/", {"casos": [caso.pk], "etapa": "en_progreso"})

    caso = guardado(caso)
    assert (caso.etapa, caso.completado_en, caso.avance) == (Etapa.EN_PROGRESO, None, 100)


def test_a_bulk_new_ejecutor_fills_empty_grupo_and_departamento(cliente_coordinador, ana):
    mesa = GrupoFactory(nombre="Mesa de ayuda")
    vacio = CasoFactory()
    con_grupo = CasoFactory(grupo=mesa)

    cliente_coordinador.post(
        "/casos/seguimiento/", {"casos": [vacio.pk, con_grupo.pk], "ejecutor": ana.pk}
    )

    assert (guardado(vacio).grupo, guardado(vacio).departamento) == (
        ana.grupo,
        ana.departamento,
    )
    assert (guardado(con_grupo).grupo, guardado(con_grupo).departamento) == (
        mesa,
        ana.departamento,
    )


def test_bulk_derived_fields_cost_no_query_per_case(consultas, cliente_coordinador, ana):
    def completar(n) -> int:
        casos = [CasoFactory(etapa=Etapa.EN_PROGRESO) for _ in range(n)]
        datos = {"casos": [c.pk for c in casos], "etapa": "completada", "ejecutor": ana.pk}
        sql = consultas(cliente_coordinador, "post", "/casos/seguimiento/", datos)
        assert all(guardado(c).completado_en for c in casos)
        return len(sql)

    assert completar(2) == completar(6)


# --- The data migration ---------------------------------------------------------------------


def historial(caso, *filas):
    """Replace the case's history with rows (etapa, when), oldest first."""
    caso.history.all().delete()
    Historico = caso.history.model
    for etapa, cuando in filas:
        Historico.objects.create(
            **{
                campo.attname: getattr(caso, campo.attname)
                for campo in Caso._meta.concrete_fields
                if campo.attname not in ("busqueda", "actualizado_en")
            }
            | {"etapa": etapa, "completado_en": None},
            history_date=cuando,
            history_type="~",
        )


def migrar():
    MIGRACION.rellenar_completado_en(apps, None)


def dia(n, hora=10):
    return timezone.make_aware(datetime.datetime(2026, 3, n, hora))


def test_the_migration_takes_the_start_of_the_latest_completed_run_of_the_history():
    caso = CasoFactory(etapa=Etapa.COMPLETADA, avance=100)
    historial(
        caso,
        (Etapa.EN_PROGRESO, dia(1)),
        (Etapa.COMPLETADA, dia(2)),  # completed…
        (Etapa.RETRASADA, dia(3)),  # …reopened…
        (Etapa.COMPLETADA, dia(4)),  # …completed again: this is the moment
        (Etapa.COMPLETADA, dia(5)),  # (edited later, still completed)
    )

    migrar()

    assert guardado(caso).completado_en == dia(4)


def test_the_migration_uses_actualizado_en_without_history():
    caso = CasoFactory(etapa=Etapa.COMPLETADA, avance=100)
    caso.history.all().delete()
    Caso.objects.filter(pk=caso.pk).update(actualizado_en=dia(9, 15))

    migrar()

    assert guardado(caso).completado_en == dia(9, 15)


def test_the_migration_uses_actualizado_en_when_the_history_ends_open():
    """Completed after its last history row (e.g. written without history)."""
    caso = CasoFactory(etapa=Etapa.COMPLETADA, avance=100)
    historial(caso, (Etapa.COMPLETADA, dia(2)), (Etapa.EN_PROGRESO, dia(3)))
    Caso.objects.filter(pk=caso.pk).update(actualizado_en=dia(7))

    migrar()

    assert guardado(caso).completado_en == dia(7)


def test_the_migration_leaves_open_cases_and_sets_avance_100_of_completed_ones():
    abierto = CasoFactory(etapa=Etapa.EN_PROGRESO, avance=30)
    completado = CasoFactory(etapa=Etapa.COMPLETADA, avance=30)
    ya_tenia = CasoFactory(etapa=Etapa.COMPLETADA, avance=100, completado_en=dia(1))

    migrar()

    assert (guardado(abierto).completado_en, guardado(abierto).avance) == (None, 30)
    assert guardado(completado).avance == 100
    assert guardado(completado).completado_en is not None
    assert guardado(ya_tenia).completado_en == dia(1)
