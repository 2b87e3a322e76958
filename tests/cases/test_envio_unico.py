"""One submission, one save: a page posted twice (double click, resubmit after Back, a retry
on a slow network) creates one case, whatever the browser does.

Each editor and quick-add page carries a one-time token (``envio``); the first save records
it under a unique index in its own transaction, a second one is sent to the saved case.
"""

import re
import threading
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from cases.models import Caso, EnvioFormulario
from tests.cases.datos import datos_caso, datos_de, datos_post, url_editar
from tests.factories import CasoFactory, ClienteFactory, EjecutorFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="envio" value="([0-9a-f-]{36})"')


def token_de(respuesta) -> str:
    encontrado = TOKEN.search(respuesta.content.decode())
    assert encontrado, "the page carries no one-time token"
    return encontrado.group(1)


@pytest.fixture
def cliente():
    return ClienteFactory(nombre="Ferretería Ñandú")


def cuerpo_nuevo(cliente, token, **cambios) -> dict:
    return datos_post(datos_caso(cliente, envio=token, **cambios), [])


def cuerpo_rapido(cliente, token, **cambios) -> dict:
    datos = {
        "envio": token,
        "fecha": "2026-03-02",
        "prioridad": "media",
        "nivel": "0",
        "cliente": cliente.pk,
        "asunto": "Impresora atascada",
        "etapa": "",
    }
    datos.update(cambios)
    return datos


@pytest.mark.parametrize("url", ["/casos/nuevo/", "/casos/rapido/"])
def test_every_page_gets_its_own_token(cliente_soporte, url):
    primero = token_de(cliente_soporte.get(url))
    segundo = token_de(cliente_soporte.get(url))

    assert primero != segundo
    uuid.UUID(primero)


def test_posting_the_new_case_page_twice_creates_one_case(cliente_soporte, cliente):
    token = token_de(cliente_soporte.get("/casos/nuevo/"))
    antes = Caso.objects.count()

    primera = cliente_soporte.post("/casos/nuevo/", cuerpo_nuevo(cliente, token))
    segunda = cliente_soporte.post("/casos/nuevo/", cuerpo_nuevo(cliente, token), follow=True)

    assert Caso.objects.count() == antes + 1
    caso = Caso.objects.latest("pk")
    assert primera.status_code == 302
    assert primera["Location"] == f"/casos/{caso.pk}/"
    assert segunda.redirect_chain == [(f"/casos/{caso.pk}/", 302)]
    assert "ya se había guardado" in segunda.content.decode()
    assert caso.documento in segunda.content.decode()


def test_posting_quick_add_twice_creates_one_case(cliente_soporte, cliente):
    token = token_de(cliente_soporte.get("/casos/rapido/"))
    antes = Caso.objects.count()

    primera = cliente_soporte.post("/casos/rapido/", cuerpo_rapido(cliente, token))
    segunda = cliente_soporte.post("/casos/rapido/", cuerpo_rapido(cliente, token))

    assert Caso.objects.count() == antes + 1
    assert primera.status_code == segunda.status_code == 302
    assert primera["Location"] == segunda["Location"]


def test_guardar_y_agregar_otro_gives_the_next_page_a_new_token(cliente_soporte, cliente):
    token = token_de(cliente_soporte.get("/casos/rapido/"))

    respuesta = cliente_soporte.post(
        "/casos/rapido/", {**cuerpo_rapido(cliente, token), "_otro": "1"}, follow=True
    )

    assert token_de(respuesta) != token
    otro = cliente_soporte.post(
        "/casos/rapido/", cuerpo_rapido(cliente, token_de(respuesta), asunto="Segundo")
    )
    assert otro.status_code == 302
    assert Caso.objects.filter(asunto="Segundo").count() == 1


def test_an_invalid_page_keeps_its_token_and_the_corrected_save_goes_through(
    cliente_soporte, cliente
):
    token = token_de(cliente_soporte.get("/casos/nuevo/"))

    refusal = cliente_soporte.post("/casos/nuevo/", cuerpo_nuevo(cliente, token, asunto=""))
    assert refusal.status_code == 200
    assert token_de(refusal) == token
    assert not EnvioFormulario.objects.filter(token=token).exists()

    bien = cliente_soporte.post("/casos/nuevo/", cuerpo_nuevo(cliente, token))
    assert bien.status_code == 302
    assert EnvioFormulario.objects.get(token=token).caso == Caso.objects.latest("pk")


def test_saving_an_edit_twice_is_not_a_conflict_with_oneself(cliente_soporte):
    caso = CasoFactory(asunto="Antes")
    token = token_de(cliente_soporte.get(url_editar(caso)))
    datos = datos_post(datos_de(caso, asunto="Después", envio=token), [])

    primera = cliente_soporte.post(url_editar(caso), datos)
    segunda = cliente_soporte.post(url_editar(caso), datos)

    assert primera.status_code == 302
    assert segunda.status_code == 302, "a double click is not a 409"
    assert segunda["Location"] == f"/casos/{caso.pk}/"
    caso.refresh_from_db()
    assert (caso.asunto, caso.version) == ("Después", 2)
    assert caso.history.count() == 2  # created + one save


@pytest.mark.parametrize("token", ["", "no-es-un-uuid", "1" * 500])
def test_a_missing_or_junk_token_still_saves(cliente_soporte, cliente, token):
    """Clients that post the fields without the page (scripts, old pages) still work."""
    respuesta = cliente_soporte.post("/casos/nuevo/", cuerpo_nuevo(cliente, token))

    assert respuesta.status_code == 302
    assert not EnvioFormulario.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/casos/nuevo/", "/casos/rapido/"])
def test_two_simultaneous_posts_of_one_page_create_one_case(grupos, url):
    """A double click that reaches two app processes at the same moment (two connections)."""
    usuario = UserFactory(username="doble", grupos=["Soporte"])
    cliente = ClienteFactory()
    EjecutorFactory()
    token = str(uuid.uuid4())
    cuerpo = (
        cuerpo_nuevo(cliente, token) if url == "/casos/nuevo/" else cuerpo_rapido(cliente, token)
    )
    barrera = threading.Barrier(2)
    destinos = {}

    def enviar(i):
        try:
            client = Client()
            client.force_login(usuario)
            barrera.wait(timeout=10)
            respuesta = client.post(url, cuerpo)
            destinos[i] = (respuesta.status_code, respuesta.get("Location"))
        finally:
            connection.close()

    hilos = [threading.Thread(target=enviar, args=(i,)) for i in range(2)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(timeout=60)

    assert Caso.objects.count() == 1
    caso = Caso.objects.get()
    assert destinos[0] == destinos[1] == (302, f"/casos/{caso.pk}/")


def test_purgar_envios_deletes_only_old_tokens(cliente):
    caso = CasoFactory()
    viejo = EnvioFormulario.objects.create(token=uuid.uuid4(), caso=caso)
    EnvioFormulario.objects.filter(pk=viejo.pk).update(
        creado_en=timezone.now() - timedelta(days=31)
    )
    nuevo = EnvioFormulario.objects.create(token=uuid.uuid4(), caso=caso)
    salida = StringIO()

    call_command("purgar_envios", stdout=salida)

    assert list(EnvioFormulario.objects.values_list("pk", flat=True)) == [nuevo.pk]
    assert "Se borraron 1 tokens" in salida.getvalue()
