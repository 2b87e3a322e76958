"""Seguimiento de casos (POST /casos/seguimiento/): bulk changes from the case list."""

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, models

from cases.models import Caso, CasoQuerySet, Etapa, Prioridad
from efactory.estatus import Estatus
from efactory.masivo import HistorialMasivo
from tests.factories import CasoFactory, EjecutorFactory

pytestmark = pytest.mark.django_db

URL = "/casos/seguimiento/"
LISTA = "/casos/"


def estado(*casos) -> list[tuple]:
    """What the list shows of each case (re-read from the database), plus its version."""
    filas = Caso.objects.filter(pk__in=[c.pk for c in casos]).order_by("pk")
    return [
        (c.etapa, c.prioridad, c.ejecutor_id, c.coordinador_id, c.version, c.actualizado_en)
        for c in filas
    ]


def mensajes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def ana():
    return EjecutorFactory(nombre="Ana")


@pytest.fixture
def beto():
    return EjecutorFactory(nombre="Beto")


@pytest.fixture
def tres(ana):
    """Three open cases of Ana, media priority, en progreso."""
    return [
        CasoFactory(etapa=Etapa.EN_PROGRESO, prioridad=Prioridad.MEDIA, ejecutor=ana)
        for _ in range(3)
    ]


def test_a_coordinador_changes_the_etapa_of_the_selected_cases(cliente_coordinador, tres):
    primero, segundo, tercero = tres
    antes_tercero = estado(tercero)

    response = cliente_coordinador.post(
        URL, {"casos": [primero.pk, segundo.pk], "etapa": "retrasada", "next": LISTA}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain == [(LISTA, 302)]
    assert "2 casos actualizados (de 2 seleccionados)." in response.content.decode()
    assert [c.etapa for c in Caso.objects.filter(pk__in=[primero.pk, segundo.pk])] == [
        Etapa.RETRASADA
    ] * 2
    assert estado(tercero) == antes_tercero
    lista = cliente_coordinador.get(LISTA, {"etapa": "retrasada"})
    assert {c.pk for c in lista.context["object_list"]} == {primero.pk, segundo.pk}


@pytest.mark.parametrize(
    ("datos", "campo", "esperado"),
    [
        ({"etapa": "completada"}, "etapa", Etapa.COMPLETADA),
        ({"etapa": "blanco"}, "etapa", Etapa.EN_BLANCO),
        ({"prioridad": "alta"}, "prioridad", Prioridad.ALTA),
        ({"prioridad": "baja"}, "prioridad", Prioridad.BAJA),
        ({"ejecutor": "beto"}, "ejecutor_id", "beto"),
        ({"coordinador": "beto"}, "coordinador_id", "beto"),
    ],
)
def test_each_field_can_be_changed_in_bulk(cliente_coordinador, tres, beto, datos, campo, esperado):
    pks = {"beto": beto.pk}
    datos = {k: pks.get(v, v) for k, v in datos.items()}
    esperado = pks.get(esperado, esperado)

    response = cliente_coordinador.post(URL, {"casos": [c.pk for c in tres], **datos})

    assert response.status_code == 302
    assert mensajes(response) == ["3 casos actualizados (de 3 seleccionados)."]
    for caso in tres:
        caso_nuevo = Caso.objects.get(pk=caso.pk)
        assert getattr(caso_nuevo, campo) == esperado
        assert caso_nuevo.version == caso.version + 1


def test_all_four_fields_change_in_one_post(cliente_coordinador, tres, ana, beto):
    primero, segundo, tercero = tres

    cliente_coordinador.post(
        URL,
        {
            "casos": [primero.pk, tercero.pk],
            "etapa": "pendiente_datos",
            "prioridad": "alta",
            "ejecutor": beto.pk,
            "coordinador": ana.pk,
        },
    )

    for caso in (primero, tercero):
        caso.refresh_from_db()
        assert (caso.etapa, caso.prioridad, caso.ejecutor, caso.coordinador) == (
            Etapa.PENDIENTE_DATOS,
            Prioridad.ALTA,
            beto,
            ana,
        )
        assert caso.version == 2
    segundo.refresh_from_db()
    assert (segundo.etapa, segundo.prioridad, segundo.ejecutor, segundo.coordinador) == (
        Etapa.EN_PROGRESO,
        Prioridad.MEDIA,
        ana,
        None,
    )
    assert segundo.version == 1


def test_cases_that_already_have_the_values_are_counted_out(cliente_coordinador, tres):
    primero, segundo, tercero = tres
    ya_retrasado = CasoFactory(etapa=Etapa.RETRASADA)
    antes = estado(ya_retrasado)

    response = cliente_coordinador.post(
        URL, {"casos": [primero.pk, ya_retrasado.pk], "etapa": "retrasada"}
    )

    assert mensajes(response) == ["1 caso actualizado (de 2 seleccionados)."]
    assert estado(ya_retrasado) == antes  # not written: same version, same actualizado_en
    primero.refresh_from_db()
    assert (primero.etapa, primero.version) == (Etapa.RETRASADA, 2)


def test_nothing_changed_says_zero(cliente_coordinador, tres):
    antes = estado(*tres)

    response = cliente_coordinador.post(
        URL, {"casos": [c.pk for c in tres], "etapa": "en_progreso", "prioridad": "media"}
    )

    assert mensajes(response) == ["0 casos actualizados (de 3 seleccionados)."]
    assert estado(*tres) == antes


def test_the_change_is_recorded_in_each_cases_history(cliente_coordinador, coordinador, tres):
    primero, segundo, _ = tres

    cliente_coordinador.post(URL, {"casos": [primero.pk, segundo.pk], "etapa": "retrasada"})

    for caso in (primero, segundo):
        ultimo = caso.history.order_by("-history_id").first()
        assert ultimo.etapa == Etapa.RETRASADA
        assert ultimo.history_user == coordinador
        assert ultimo.history_change_reason == "Seguimiento de casos"
        pagina = cliente_coordinador.get(f"/casos/{caso.pk}/historial/").content.decode()
        assert "Retrasada" in pagina
        assert "En progreso" in pagina


# --- Where it goes back to ------------------------------------------------------------------


def test_it_goes_back_to_the_filtered_list_it_came_from(cliente_coordinador, tres):
    volver = "/casos/?etapa=en_progreso&orden=-nivel&page=2"

    response = cliente_coordinador.post(
        URL, {"casos": [tres[0].pk], "prioridad": "alta", "next": volver}
    )

    assert response.status_code == 302
    assert response["Location"] == volver


@pytest.mark.parametrize(
    "volver",
    [
        "https://evil.example/casos/",
        "//evil.example/casos/",
        "http://evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        "casos/",
        "",
    ],
)
def test_an_outside_next_is_refused(cliente_coordinador, tres, volver):
    response = cliente_coordinador.post(
        URL, {"casos": [tres[0].pk], "prioridad": "alta", "next": volver}
    )

    assert response.status_code == 302
    assert response["Location"] == LISTA
    assert Caso.objects.get(pk=tres[0].pk).prioridad == Prioridad.ALTA


def test_without_next_it_goes_to_the_list(cliente_coordinador, tres):
    response = cliente_coordinador.post(URL, {"casos": [tres[0].pk], "prioridad": "alta"})

    assert response["Location"] == LISTA


# --- Refusals ------------------------------------------------------------------------------


def test_soporte_gets_403_and_nothing_changes(cliente_soporte, tres):
    antes = estado(*tres)

    response = cliente_soporte.post(URL, {"casos": [c.pk for c in tres], "etapa": "completada"})

    assert response.status_code == 403
    assert estado(*tres) == antes


def test_anonymous_users_are_sent_to_login(client, tres):
    antes = estado(*tres)

    response = client.post(URL, {"casos": [c.pk for c in tres], "etapa": "completada"})

    assert response.status_code == 302
    assert response["Location"].startswith("/cuentas/login/")
    assert estado(*tres) == antes


def test_get_is_not_allowed(cliente_coordinador):
    assert cliente_coordinador.get(URL).status_code == 405


@pytest.mark.parametrize(
    ("datos", "mensaje"),
    [
        ({"etapa": "completada"}, "Seleccione al menos un caso."),
        ({"casos": [], "etapa": "completada"}, "Seleccione al menos un caso."),
        ({"casos": "{pk}"}, "Elija al menos un cambio: etapa, ejecutor, coord. o prioridad."),
        (
            {"casos": "{pk}", "etapa": "", "prioridad": "", "ejecutor": "", "coordinador": ""},
            "Elija al menos un cambio: etapa, ejecutor, coord. o prioridad.",
        ),
        (
            {"casos": "999999", "etapa": "completada"},
            "Uno de los casos seleccionados ya no existe.",
        ),
        ({"casos": "abc", "etapa": "completada"}, "Selección de casos no válida."),
        ({"casos": "9" * 25, "etapa": "completada"}, "Selección de casos no válida."),
    ],
)
def test_no_selection_or_no_change_is_an_error_and_nothing_changes(
    cliente_coordinador, tres, datos, mensaje
):
    antes = estado(*tres)
    datos = {k: v.format(pk=tres[0].pk) if isinstance(v, str) else v for k, v in datos.items()}

    response = cliente_coordinador.post(URL, {**datos, "next": "/casos/?etapa=en_progreso"})

    assert response.status_code == 302
    assert response["Location"] == "/casos/?etapa=en_progreso"
    assert mensajes(response) == [mensaje]
    assert estado(*tres) == antes
    pagina = cliente_coordinador.get(response["Location"])
    assert pagina.status_code == 200


def test_the_error_is_shown_on_the_list(cliente_coordinador, tres):
    response = cliente_coordinador.post(URL, {"etapa": "completada"}, follow=True)

    contenido = response.content.decode()
    assert 'class="alert alert-danger' in contenido
    assert "Seleccione al menos un caso." in contenido


@pytest.mark.parametrize(
    "datos",
    [
        {"etapa": "zzz"},
        {"prioridad": "urgentisima"},
        {"ejecutor": "abc"},
        {"ejecutor": "999999"},
        {"coordinador": "inactivo"},
    ],
)
def test_bad_values_are_refused_and_nothing_changes(cliente_coordinador, tres, datos):
    inactivo = EjecutorFactory(nombre="Ido", estatus=Estatus.INACTIVO)
    datos = {k: inactivo.pk if v == "inactivo" else v for k, v in datos.items()}
    antes = estado(*tres)

    response = cliente_coordinador.post(URL, {"casos": [c.pk for c in tres], **datos})

    assert response.status_code == 302
    assert response["Location"] == LISTA
    assert len(mensajes(response)) == 1
    assert "actualizado" not in mensajes(response)[0]
    assert estado(*tres) == antes


# --- All or nothing -------------------------------------------------------------------------


@pytest.fixture
def falla_a_mitad_del_lote(monkeypatch):
    """bulk_update writes the first case, then the database refuses the rest."""
    bulk_update = models.QuerySet.bulk_update

    def falla(self, objs, fields, **kwargs):
        objs = list(objs)
        bulk_update(self, objs[:1], fields, **kwargs)
        raise IntegrityError("fallo simulado a mitad del lote")

    monkeypatch.setattr(CasoQuerySet, "bulk_update", falla, raising=False)


@pytest.fixture
def falla_el_historial(monkeypatch):
    """The cases are all written, then recording their history fails."""

    def falla(self, *args, **kwargs):
        raise IntegrityError("fallo simulado al guardar el historial")

    monkeypatch.setattr(HistorialMasivo, "bulk_history_create", falla)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("falla", ["falla_a_mitad_del_lote", "falla_el_historial"])
def test_a_failure_mid_way_changes_nothing(grupos, client, coordinador, ana, request, falla):
    tres = [CasoFactory(etapa=Etapa.EN_PROGRESO, ejecutor=ana) for _ in range(3)]
    antes = estado(*tres)
    historia_antes = sum(c.history.count() for c in tres)
    request.getfixturevalue(falla)
    client.force_login(coordinador)
    client.raise_request_exception = False

    response = client.post(URL, {"casos": [c.pk for c in tres], "etapa": "retrasada"})

    assert response.status_code == 500
    assert estado(*tres) == antes
    assert sum(c.history.count() for c in tres) == historia_antes
