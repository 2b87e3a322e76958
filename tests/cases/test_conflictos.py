"""Stale edits are refused, not overwritten: optimistic locking on the case's version."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cases import views
from cases.models import Actividad, Caso
from tests.cases import datos
from tests.cases.datos import datos_de, datos_post, fila_de, url_editar
from tests.factories import ActividadFactory, CasoFactory, EjecutorFactory, UserFactory
from tests.formularios import cuerpo_de_la_pagina
from tests.test_admin_casos import datos_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(grupos):
    return UserFactory(username="ana", first_name="Ana", last_name="Pérez", grupos=["Soporte"])


@pytest.fixture
def beto(grupos):
    return UserFactory(username="beto", grupos=["Soporte"])


def cliente_de(usuario) -> Client:
    client = Client()
    client.force_login(usuario)
    return client


@pytest.fixture
def caso():
    caso = CasoFactory(asunto="Servidor lento", comentario="Revisar discos")
    ActividadFactory(caso=caso, descripcion="Diagnóstico")
    return caso


def test_the_editor_carries_the_version_the_page_was_loaded_with(ana, caso):
    respuesta = cliente_de(ana).get(url_editar(caso))
    assert f'name="version" value="{caso.version}"' in respuesta.content.decode()


def test_a_stale_save_writes_nothing_and_says_who_changed_what(ana, beto, caso):
    fila = caso.actividades.get()
    # Both load the page at version 1; Ana saves first.
    cargado_por_beto = datos_post(
        datos_de(caso, asunto="Servidor lento (Beto)"),
        [fila_de(fila, descripcion="Beto cambió la fila")],
    )
    de_ana = datos_post(datos_de(caso, comentario="Discos cambiados por Ana"), [fila_de(fila)])
    assert cliente_de(ana).post(url_editar(caso), de_ana).status_code == 302

    respuesta = cliente_de(beto).post(url_editar(caso), cargado_por_beto)

    assert respuesta.status_code == 409
    caso.refresh_from_db()
    assert caso.asunto == "Servidor lento"  # Beto's change was not written
    assert caso.comentario == "Discos cambiados por Ana"  # Ana's is intact
    assert caso.version == 2
    assert Actividad.objects.get().descripcion == "Diagnóstico"
    html = respuesta.content.decode()
    assert "Otra persona guardó este caso" in html
    assert "Ana Pérez" in html  # who
    assert "Asunto" in html and "Comentario" in html  # which fields differ
    assert "difiere en Actividad" in html  # which rows differ
    assert 'value="Servidor lento (Beto)"' in html  # Beto's input is kept
    assert "Beto cambió la fila" in html
    assert 'name="_sobrescribir" value="2"' in html


def test_overwrite_saves_mine_knowingly(ana, beto, caso):
    fila = caso.actividades.get()
    de_beto = datos_post(datos_de(caso, asunto="Lo de Beto"), [fila_de(fila)])
    cliente_de(ana).post(
        url_editar(caso), datos_post(datos_de(caso, asunto="Lo de Ana"), [fila_de(fila)])
    )
    assert cliente_de(beto).post(url_editar(caso), de_beto).status_code == 409

    respuesta = cliente_de(beto).post(url_editar(caso), de_beto | {"_sobrescribir": "2"})

    assert respuesta.status_code == 302
    caso.refresh_from_db()
    assert caso.asunto == "Lo de Beto"
    assert caso.version == 3


def test_overwrite_is_refused_again_if_someone_saved_in_between(ana, beto, caso):
    fila = caso.actividades.get()
    de_beto = datos_post(datos_de(caso, asunto="Lo de Beto"), [fila_de(fila)])
    for asunto in ("Ana 1", "Ana 2"):
        caso.refresh_from_db()
        cliente_de(ana).post(
            url_editar(caso), datos_post(datos_de(caso, asunto=asunto), [fila_de(fila)])
        )

    respuesta = cliente_de(beto).post(url_editar(caso), de_beto | {"_sobrescribir": "2"})

    assert respuesta.status_code == 409
    caso.refresh_from_db()
    assert caso.asunto == "Ana 2"


def test_changing_only_an_activity_bumps_the_case_version(ana, beto, caso):
    fila = caso.actividades.get()
    de_beto = datos_post(datos_de(caso), [fila_de(fila, descripcion="Beto")])
    cliente_de(ana).post(
        url_editar(caso), datos_post(datos_de(caso), [fila_de(fila, hora_fin="11:00")])
    )

    assert cliente_de(beto).post(url_editar(caso), de_beto).status_code == 409
    assert Actividad.objects.get().hora_fin.hour == 11


def test_a_bulk_follow_up_makes_open_editors_stale(ana, caso, grupos):
    coordinador = UserFactory(username="coord", grupos=["Coordinador"])
    cargado = datos_post(datos_de(caso, asunto="Editado"), [fila_de(caso.actividades.get())])
    cliente_de(coordinador).post("/casos/seguimiento/", {"casos": [caso.pk], "etapa": "retrasada"})

    assert cliente_de(ana).post(url_editar(caso), cargado).status_code == 409
    caso.refresh_from_db()
    assert caso.etapa == "retrasada"
    assert caso.asunto == "Servidor lento"


def test_a_missing_or_junk_version_is_treated_as_stale(ana, caso):
    datos = datos_post(datos_de(caso, asunto="Sin versión"), [fila_de(caso.actividades.get())])
    for version in ("", "abc", "-1"):
        respuesta = cliente_de(ana).post(url_editar(caso), datos | {"version": version})
        assert respuesta.status_code == 409
    caso.refresh_from_db()
    assert caso.asunto == "Servidor lento"


def test_the_save_takes_the_version_in_one_conditional_update(ana, caso, consultas):
    """The UPDATE … WHERE version = … is the check and the lock: no query is added for it."""
    http = cliente_de(ana)
    datos = datos_post(datos_de(caso, asunto="Otro"), [fila_de(caso.actividades.get())])
    http.get(url_editar(caso))

    sql = consultas(http, "post", url_editar(caso), datos)
    tomas = [q for q in sql if q.startswith('UPDATE "cases_caso"')]
    assert len(tomas) == 2, "\n".join(tomas)  # the conditional UPDATE, then the row's save
    assert f'"version" = {caso.version})' in tomas[0]
    assert not [q for q in sql if "FOR UPDATE" in q]


def test_a_case_deleted_while_its_page_was_open_answers_404(ana, caso, monkeypatch):
    """The service raises the domain error (ConflictoDeVersion, nothing stored): the view
    answers 404, not a 500."""
    guardar = views.guardar_caso

    def borrar_y_guardar(**kwargs):
        Caso.objects.filter(pk=caso.pk).delete()
        return guardar(**kwargs)

    monkeypatch.setattr(views, "guardar_caso", borrar_y_guardar)
    datos = datos_post(datos_de(caso, asunto="Tarde"), [fila_de(caso.actividades.get())])

    assert cliente_de(ana).post(url_editar(caso), datos).status_code == 404


def test_an_activity_deleted_in_the_admin_makes_open_editors_stale(ana, staff, caso):
    fila = caso.actividades.get()
    cargado = datos_post(datos_de(caso, asunto="Editado"), [fila_de(fila)])
    respuesta = cliente_de(staff).post(
        reverse("admin:cases_actividad_delete", args=[fila.pk]), {"post": "yes"}
    )
    assert respuesta.status_code == 302

    respuesta = cliente_de(ana).post(url_editar(caso), cargado)

    assert respuesta.status_code == 409
    # The row is named as the user has it on the page (it is no longer stored).
    assert (
        f"{fila}: otra persona eliminó esta actividad mientras usted la tenía en pantalla"
        in respuesta.content.decode()
    )


def test_a_deleted_row_that_cannot_be_named_is_named_by_its_number(ana, staff, caso):
    """Beto had cleared the row's times: it cannot be shown as «fecha horas texto»."""
    fila = caso.actividades.get()
    cargado = datos_post(datos_de(caso), [fila_de(fila, hora_inicio="", hora_fin="")])
    cliente_de(staff).post(reverse("admin:cases_actividad_delete", args=[fila.pk]), {"post": "yes"})

    respuesta = cliente_de(ana).post(url_editar(caso), cargado)

    assert respuesta.status_code == 409
    assert "Renglón 1: otra persona eliminó esta actividad" in respuesta.content.decode()


# --- The Django admin --------------------------------------------------------------------


@pytest.fixture
def caso_admin():
    """A case without activities: the admin posts in datos_admin() carry no rows."""
    return CasoFactory(asunto="Servidor lento")


def test_the_admin_form_carries_the_version(staff, caso_admin):
    html = cliente_de(staff).get(reverse("admin:cases_caso_change", args=[caso_admin.pk]))
    assert f'name="version" value="{caso_admin.version}"' in html.content.decode()


def test_the_admin_saves_a_current_page_and_takes_the_next_version(staff, caso_admin):
    respuesta = cliente_de(staff).post(
        reverse("admin:cases_caso_change", args=[caso_admin.pk]),
        datos_admin(caso_admin, asunto="Desde el admin"),
    )

    assert respuesta.status_code == 302, respuesta.content.decode()[:2000]
    caso_admin.refresh_from_db()
    assert (caso_admin.asunto, caso_admin.version) == ("Desde el admin", 2)


def test_the_admin_refuses_a_stale_save_and_says_who_saved(ana, staff, caso_admin):
    cargado = datos_admin(caso_admin, asunto="Lo del admin")
    cliente_de(ana).post(
        url_editar(caso_admin), datos_post(datos_de(caso_admin, asunto="Lo de Ana"), [])
    )

    respuesta = cliente_de(staff).post(
        reverse("admin:cases_caso_change", args=[caso_admin.pk]), cargado
    )

    assert respuesta.status_code == 200
    html = respuesta.content.decode()
    assert "No se guardó nada: Ana Pérez guardó estos datos el" in html
    assert 'value="Lo del admin"' in html  # what the user typed is still there
    caso_admin.refresh_from_db()
    assert (caso_admin.asunto, caso_admin.version) == ("Lo de Ana", 2)


@pytest.mark.parametrize("version", ["", "abc", None])
def test_the_admin_refuses_a_save_without_a_version(staff, caso_admin, version):
    datos = datos_admin(caso_admin, asunto="Sin versión", version=version)
    if version is None:
        del datos["version"]

    respuesta = cliente_de(staff).post(
        reverse("admin:cases_caso_change", args=[caso_admin.pk]), datos
    )

    assert respuesta.status_code == 200
    assert "No se guardó nada: Otra persona guardó estos datos" in respuesta.content.decode()
    caso_admin.refresh_from_db()
    assert (caso_admin.asunto, caso_admin.version) == ("Servidor lento", 1)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_one_version_let_exactly_one_through(grupos):
    """Two threads (two connections, like two app processes) post the same version at once:
    the database's conditional UPDATE lets one win and refuses the other."""
    usuarios = [UserFactory(username=f"u{i}", grupos=["Soporte"]) for i in range(2)]
    caso = CasoFactory(asunto="Carrera")
    ejecutor = EjecutorFactory()
    fila = ActividadFactory(caso=caso, ejecutor=ejecutor)
    barrera = threading.Barrier(2)
    resultados = {}

    def guardar(i):
        try:
            client = cliente_de(usuarios[i])
            datos = datos_post(datos_de(caso, asunto=f"Guardado por {i}"), [fila_de(fila)])
            barrera.wait(timeout=10)
            resultados[i] = client.post(url_editar(caso), datos).status_code
        finally:
            connection.close()

    hilos = [threading.Thread(target=guardar, args=(i,)) for i in range(2)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(timeout=60)

    assert sorted(resultados.values()) == [302, 409]
    caso.refresh_from_db()
    ganador = next(i for i, codigo in resultados.items() if codigo == 302)
    assert caso.asunto == f"Guardado por {ganador}"
    assert caso.version == 2
    assert Caso.history.filter(id=caso.pk, asunto__startswith="Guardado por").count() == 1


def _ana_agrega_una_fila(ana, caso, fila):
    return cliente_de(ana).post(
        url_editar(caso),
        datos_post(
            datos_de(caso),
            [fila_de(fila), datos.fila(fila.ejecutor, hora_inicio="14:00", hora_fin="15:00")],
        ),
    )


def test_a_save_between_reading_the_case_and_its_rows_is_a_conflict_not_a_tampered_page(
    ana, beto, caso, monkeypatch
):
    """Ana adds a row after Beto's post read the case (version 1) and before his formset
    read the rows: Beto's page lacks her row. He gets the conflict page, nothing is written."""
    fila = caso.actividades.get()
    de_beto = datos_post(datos_de(caso, asunto="Lo de Beto"), [fila_de(fila)])
    clase = views.CasoEditorView.formset_class
    intercalado = []

    def ana_guarda_antes(vista):
        if vista.request.user == beto and not intercalado:
            intercalado.append(_ana_agrega_una_fila(ana, caso, fila).status_code)
        return clase(vista)

    monkeypatch.setattr(views.CasoEditorView, "formset_class", ana_guarda_antes)

    respuesta = cliente_de(beto).post(url_editar(caso), de_beto)

    assert intercalado == [302]
    assert respuesta.status_code == 409
    html = respuesta.content.decode()
    assert "Otra persona guardó este caso" in html
    assert "llegaron alterados" not in html
    caso.refresh_from_db()
    assert (caso.asunto, caso.version, caso.actividades.count()) == ("Servidor lento", 2, 2)


def test_a_row_someone_added_joins_the_conflict_page_and_overwriting_keeps_it(ana, beto, caso):
    fila = caso.actividades.get()
    de_beto = datos_post(
        datos_de(caso, asunto="Lo de Beto"),
        [
            fila_de(fila),
            datos.fila(
                fila.ejecutor,
                hora_inicio="16:00",
                hora_fin="17:00",
                descripcion="Fila nueva de Beto",
            ),
        ],
    )
    assert _ana_agrega_una_fila(ana, caso, fila).status_code == 302
    de_ana = caso.actividades.get(hora_inicio="14:00")

    conflicto = cliente_de(beto).post(url_editar(caso), de_beto)

    assert conflicto.status_code == 409
    html = conflicto.content.decode()
    assert "la agregó otra persona; ya aparece entre sus actividades" in html
    assert "llegaron alterados" not in html
    assert f'value="{de_ana.pk}"' in html  # Ana's row is on the page, as a stored row
    assert "Fila nueva de Beto</textarea>" in html  # Beto's new row is kept too
    assert 'value="Lo de Beto"' in html
    # "Sobrescribir" posts the page as it is now.
    cuerpo = cuerpo_de_la_pagina(html, "editor-caso") | {"_sobrescribir": "2"}

    respuesta = cliente_de(beto).post(url_editar(caso), cuerpo)

    assert respuesta.status_code == 302, respuesta.content.decode()[-3000:]
    caso.refresh_from_db()
    assert (caso.asunto, caso.version) == ("Lo de Beto", 3)
    assert sorted(a.descripcion for a in caso.actividades.all()) == [
        "Diagnóstico",
        "Fila nueva de Beto",
        "Revisión del equipo",
    ]


def test_a_row_someone_deleted_stays_on_the_conflict_page_as_a_new_row(ana, beto, caso):
    """Ana deletes the row Beto is changing: his 409 page keeps what he typed, as a new row
    (not a "ya no existe" error); "Sobrescribir" writes it again, unless he removes it."""
    fila = caso.actividades.get()
    otra = ActividadFactory(
        caso=caso,
        ejecutor=fila.ejecutor,
        hora_inicio=datetime.time(14),
        hora_fin=datetime.time(15),
        descripcion="Otra",
    )
    caso.refresh_from_db()
    de_beto = datos_post(
        datos_de(caso, asunto="Lo de Beto"),
        [fila_de(fila), fila_de(otra, descripcion="Beto la completó")],
    )
    de_ana = datos_post(datos_de(caso), [fila_de(fila), fila_de(otra, DELETE=True)])
    assert cliente_de(ana).post(url_editar(caso), de_ana).status_code == 302
    caso.refresh_from_db()

    conflicto = cliente_de(beto).post(url_editar(caso), de_beto)

    assert conflicto.status_code == 409
    html = conflicto.content.decode()
    assert "sigue en su pantalla como renglón nuevo" in html
    assert "ya no existe" not in html
    assert "Beto la completó</textarea>" in html
    cuerpo = cuerpo_de_la_pagina(html, "editor-caso") | {"_sobrescribir": str(caso.version)}
    assert cuerpo["actividades-INITIAL_FORMS"] == "1"
    nueva = next(k for k, v in cuerpo.items() if v == "Beto la completó")
    assert (
        f"{nueva.rsplit('-', 1)[0]}-id" not in cuerpo or not cuerpo[f"{nueva.rsplit('-', 1)[0]}-id"]
    )

    quitada = cliente_de(beto).post(
        url_editar(caso), cuerpo | {nueva.replace("-descripcion", "-DELETE"): "on"}
    )
    assert quitada.status_code == 302
    assert sorted(caso.actividades.values_list("descripcion", flat=True)) == ["Diagnóstico"]
    caso.refresh_from_db()
    cuerpo["_sobrescribir"] = str(caso.version)

    respuesta = cliente_de(beto).post(url_editar(caso), cuerpo)

    assert respuesta.status_code == 302, respuesta.content.decode()[-2000:]
    assert sorted(caso.actividades.values_list("descripcion", flat=True)) == [
        "Beto la completó",
        "Diagnóstico",
    ]
