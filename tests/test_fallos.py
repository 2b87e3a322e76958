"""Pulling the database out from under the app and plugging it back loses nothing.

These tests talk HTTP to pytest-django's ``live_server``: a real server thread, with the real
request cycle (request_started/request_finished close old connections), in this process. The
server's connections use the production settings of efactory/settings/base.py (persistent
connections with health checks on PostgreSQL), not the test settings.

Every test runs on both databases and branches on the vendor inside:

* PostgreSQL: the outage is real. The server's backends are terminated with
  ``pg_terminate_backend`` from another connection, or the server is pointed at a port where
  nothing listens.
* SQLite has no server to take away. The outage is what SQLite itself raises when its file
  cannot be opened, or when it aborts a statement (``sqlite3.OperationalError``).
"""

import contextlib
import http.client
import importlib.util
import re
import socket
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from cases.models import Actividad, Caso, Secuencia
from tests.cases.datos import URL_NUEVO, datos_caso, datos_post, fila
from tests.factories import ClienteFactory, EjecutorFactory

CLAVE = "clave-segura-123"  # the password of tests.factories.UserFactory
ESPERA = 5.0  # seconds: the longest any bounded wait of this module waits
BASE_PY = Path(__file__).resolve().parent.parent / "efactory" / "settings" / "base.py"


def es_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- an HTTP client -----------------------------------------------------------------------


@dataclass
class Respuesta:
    status: int
    headers: Message
    texto: str


class _ConexionHTTP(http.client.HTTPConnection):
    """Counts how many times it opened a socket."""

    aperturas = 0

    def connect(self):
        self.aperturas += 1
        super().connect()


class Navegador:
    """A browser without JavaScript: cookies, and one keep-alive HTTP connection.

    Keep-alive matters: the live server serves each HTTP connection in a thread of its own
    and closes that thread's database connections when the HTTP connection ends. Over one
    keep-alive connection, consecutive requests share the server thread, so its persistent
    database connection really is reused from one request to the next, as in production.
    """

    def __init__(self, url_base: str):
        partes = urllib.parse.urlsplit(url_base)
        self.http = _ConexionHTTP(partes.hostname, partes.port, timeout=ESPERA * 2)
        self.cookies: dict[str, str] = {}

    def pedir(self, metodo: str, ruta: str, datos: dict | None = None) -> Respuesta:
        cabeceras = {"Accept-Language": "es"}
        if self.cookies:
            cabeceras["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        cuerpo = None
        if datos is not None:
            cuerpo = urllib.parse.urlencode(datos, doseq=True)
            cabeceras["Content-Type"] = "application/x-www-form-urlencoded"
        self.http.request(metodo, ruta, body=cuerpo, headers=cabeceras)
        respuesta = self.http.getresponse()
        texto = respuesta.read().decode()
        for valor in respuesta.headers.get_all("Set-Cookie") or []:
            for nombre, galleta in SimpleCookie(valor).items():
                if galleta.value:
                    self.cookies[nombre] = galleta.value
                else:
                    self.cookies.pop(nombre, None)
        return Respuesta(respuesta.status, respuesta.headers, texto)

    def get(self, ruta: str) -> Respuesta:
        return self.pedir("GET", ruta)

    def enviar(self, ruta: str, datos: dict) -> Respuesta:
        """Open the page of a form and post ``datos`` with the page's CSRF token."""
        pagina = self.get(ruta)
        assert pagina.status == 200, ruta
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', pagina.texto)
        assert token, f"{ruta} has no CSRF token"
        return self.pedir("POST", ruta, {**datos, "csrfmiddlewaretoken": token.group(1)})

    def entrar(self, usuario):
        """Log in through the real login form."""
        respuesta = self.enviar(
            "/cuentas/login/", {"username": usuario.username, "password": CLAVE, "next": ""}
        )
        assert respuesta.status == 302
        assert respuesta.headers["Location"] == "/"

    def cerrar(self):
        self.http.close()


def assert_pagina_de_caida(respuesta: Respuesta):
    """The Spanish "the database does not answer" page, never a 500 or a traceback."""
    assert respuesta.status == 503
    assert respuesta.headers["Retry-After"] == "30"
    assert '<html lang="es">' in respuesta.texto
    assert "La base de datos no responde" in respuesta.texto
    assert "Traceback" not in respuesta.texto


# --- the database, as the tests see it ----------------------------------------------------


def conexiones_del_servidor() -> set[int]:
    """PostgreSQL: the pids of the other client backends of the test database.

    Only this process uses the test database, so they are the live server's connections.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return {pid for (pid,) in cursor.fetchall()}


def terminar_conexiones_del_servidor() -> set[int]:
    """PostgreSQL: kill the server's backends, from this test's own connection.

    With a timeout, pg_terminate_backend (PostgreSQL 14+) waits until the backend is really
    gone, so the next request cannot race with a backend still shutting down. Returns the
    pids it terminated (a backend that ended by itself meanwhile is not one of them).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, pg_terminate_backend(pid, %s) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'",
            [int(ESPERA * 1000)],
        )
        return {pid for pid, terminada in cursor.fetchall() if terminada}


@contextlib.contextmanager
def base_de_datos_inalcanzable():
    """While inside, a new connection to the database cannot be opened.

    The server opens its connections from the same settings dict as this test's connection
    (Django shares it between the threads' connection wrappers), so changing it here points
    every new server connection elsewhere; this test's own, already open, connection is
    untouched, and the dict is put back on the way out.

    * PostgreSQL: the port becomes one where nothing listens (a socket bound but not
      listening: the kernel refuses connections to it, at once), and the server's open
      backends are terminated, so it must reconnect, and cannot.
    * SQLite: the file becomes one in a folder that does not exist; sqlite3 answers
      "unable to open database file", an OperationalError, like for a lost volume.
    """
    ajustes = connection.settings_dict
    with contextlib.ExitStack() as pila, pytest.MonkeyPatch.context() as m:
        if es_postgresql():
            cerrado = pila.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            cerrado.bind(("127.0.0.1", 0))
            m.setitem(ajustes, "HOST", "127.0.0.1")
            m.setitem(ajustes, "PORT", str(cerrado.getsockname()[1]))
            terminar_conexiones_del_servidor()
        else:
            carpeta = pila.enter_context(tempfile.TemporaryDirectory())
            m.setitem(ajustes, "NAME", str(Path(carpeta) / "no-existe" / "efactory.sqlite3"))
        yield


@pytest.fixture
def conexiones_de_produccion(transactional_db):
    """The server's connections get CONN_MAX_AGE and CONN_HEALTH_CHECKS of base.py.

    The test settings turn both off; base.py is read again, apart, for its own values (60 s
    and health checks on PostgreSQL; 0 and health checks on SQLite). Connections read these
    when they connect, and every connection of the live server is opened during the test.
    """
    especificacion = importlib.util.spec_from_file_location("_ajustes_de_produccion", BASE_PY)
    produccion = importlib.util.module_from_spec(especificacion)
    especificacion.loader.exec_module(produccion)
    valores = {
        clave: produccion.DATABASES[DEFAULT_DB_ALIAS][clave]
        for clave in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")
    }
    with pytest.MonkeyPatch.context() as m:
        for clave, valor in valores.items():
            m.setitem(connection.settings_dict, clave, valor)
        yield valores


@pytest.fixture
def abrir_navegador(live_server, conexiones_de_produccion):
    """Opens Navegadores on the live server; closes them, and their server connections, after."""
    abiertos = []

    def abrir() -> Navegador:
        abiertos.append(Navegador(live_server.url))
        return abiertos[-1]

    yield abrir
    for navegador in abiertos:
        navegador.cerrar()
    if es_postgresql():
        # A server thread closes its connection once it sees its HTTP connection end. Wait
        # for that (bounded) so that nothing is left connected to the test database, which
        # PostgreSQL would refuse to drop; kill whatever is left after that.
        limite = time.monotonic() + ESPERA
        while conexiones_del_servidor() and time.monotonic() < limite:
            time.sleep(0.01)
        terminar_conexiones_del_servidor()


@pytest.fixture
def navegador(abrir_navegador):
    return abrir_navegador()


# --- between requests ---------------------------------------------------------------------


def test_the_app_reconnects_by_itself_when_the_database_drops_it_between_requests(
    grupos, soporte, navegador
):
    ajenas = conexiones_del_servidor() if es_postgresql() else set()
    navegador.entrar(soporte)
    assert navegador.get("/casos/").status == 200

    if es_postgresql():
        servidor = conexiones_del_servidor() - ajenas
        assert servidor, "the server keeps its connection between requests (CONN_MAX_AGE)"
        assert servidor <= terminar_conexiones_del_servidor()
        aperturas = navegador.http.aperturas
        primera = navegador.get("/casos/")
        # Same HTTP connection, so same server thread: the request found its dead connection.
        assert navegador.http.aperturas == aperturas
    else:
        with base_de_datos_inalcanzable():
            primera = navegador.get("/casos/")
        assert_pagina_de_caida(primera)

    # Health checks make PostgreSQL reconnect at once (200); at worst one 503 page, then 200.
    respuestas = [primera]
    if primera.status == 503:
        assert_pagina_de_caida(primera)
        respuestas.append(navegador.get("/casos/"))
    estados = [respuesta.status for respuesta in respuestas]
    assert estados in ([200], [503, 200])
    assert "Casos" in respuestas[-1].texto
    if es_postgresql():
        nuevas = conexiones_del_servidor() - ajenas
        assert nuevas, "the server has connected again"
        assert not nuevas & servidor
    # And it stays up.
    assert navegador.get("/casos/").status == 200


# --- during a request ---------------------------------------------------------------------


@pytest.fixture
def corte_en_la_segunda_fila(monkeypatch):
    """Saving the second activity row of a request cuts the database off, once.

    Actividad.save runs in the live server's thread (same process): by then the case row and
    the first activity row (with their history rows) are written in the open transaction.

    * PostgreSQL: another connection terminates this connection's backend and waits until
      it is gone; the row's INSERT then fails with OperationalError, and so does the
      ROLLBACK, after which Django drops the connection.
    * SQLite: a progress handler makes SQLite abort every statement ("interrupted", an
      sqlite3.OperationalError) while the row is saved; it is removed before the rollback.

    Returns what was seen at the cut: one dict per cut.
    """
    guardar = Actividad.save
    llamadas = []
    cortes = []

    def save(self, *args, **kwargs):
        llamadas.append(self)
        if cortes or len(llamadas) != 2:
            return guardar(self, *args, **kwargs)
        cortes.append(
            {
                "caso_escrito": Caso.objects.filter(pk=self.caso_id).exists(),
                "filas_escritas": Actividad.objects.filter(caso_id=self.caso_id).count(),
            }
        )
        if connection.vendor == "postgresql":
            pid = connection.connection.info.backend_pid
            otra = connections.create_connection(DEFAULT_DB_ALIAS)
            try:
                with otra.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s, %s)", [pid, int(ESPERA * 1000)])
                    cortes[-1]["terminada"] = cursor.fetchone()[0]
            finally:
                otra.close()
            return guardar(self, *args, **kwargs)
        sqlite = connection.connection
        sqlite.set_progress_handler(lambda: 1, 1)
        try:
            return guardar(self, *args, **kwargs)
        finally:
            sqlite.set_progress_handler(None, 1)

    monkeypatch.setattr(Actividad, "save", save)
    return cortes


def ultimo_numero() -> int:
    return Secuencia.objects.filter(nombre="caso").values_list("valor", flat=True).first() or 0


def test_a_save_cut_off_halfway_answers_503_leaves_nothing_and_the_retry_saves_it_whole(
    grupos, soporte, navegador, corte_en_la_segunda_fila
):
    cliente = ClienteFactory()
    ejecutor = EjecutorFactory()
    datos = datos_post(
        datos_caso(cliente, ejecutor=ejecutor.pk),
        [
            fila(ejecutor, hora_inicio="08:00", hora_fin="09:00", descripcion="Diagnóstico"),
            fila(ejecutor, hora_inicio="10:00", hora_fin="11:00", descripcion="Reparación"),
            fila(ejecutor, hora_inicio="12:00", hora_fin="12:30", descripcion="Pruebas"),
        ],
    )
    numero_antes = ultimo_numero()
    navegador.entrar(soporte)

    respuesta = navegador.enviar(URL_NUEVO, datos)

    esperado = {"caso_escrito": True, "filas_escritas": 1}
    if es_postgresql():
        esperado["terminada"] = True
    assert corte_en_la_segunda_fila == [esperado]
    assert_pagina_de_caida(respuesta)
    assert not Caso.objects.exists()
    assert not Actividad.objects.exists()
    assert not Caso.history.model.objects.exists()
    assert not Actividad.history.model.objects.exists()
    assert ultimo_numero() == numero_antes, "the document number was given back"

    assert navegador.get("/casos/").status == 200
    otra_vez = navegador.enviar(URL_NUEVO, datos)

    caso = Caso.objects.get()
    assert otra_vez.status == 302
    assert otra_vez.headers["Location"] == f"/casos/{caso.pk}/"
    assert caso.numero == numero_antes + 1
    assert caso.propietario == soporte
    assert list(caso.actividades.order_by("hora_inicio").values_list("descripcion", "minutos")) == [
        ("Diagnóstico", 60),
        ("Reparación", 60),
        ("Pruebas", 30),
    ]
    assert Caso.history.model.objects.filter(id=caso.pk).count() == 1
    assert Actividad.history.model.objects.filter(caso_id=caso.pk).count() == 3
    assert len(corte_en_la_segunda_fila) == 1
    assert navegador.get(f"/casos/{caso.pk}/").status == 200


# --- the health check ---------------------------------------------------------------------


def test_salud_answers_503_while_the_database_is_unreachable_and_200_once_it_is_back(
    grupos, soporte, navegador, abrir_navegador
):
    # The load balancer asks without cookies; the user's browser, logged in, keeps working on
    # pages in the meantime. Each has its own HTTP connection, hence its own server thread
    # and its own persistent database connection.
    balanceador = abrir_navegador()
    navegador.entrar(soporte)
    antes = balanceador.get("/salud/")
    assert antes.status == 200
    assert antes.headers["Content-Type"] == "application/json"
    assert antes.texto == '{"status": "ok"}'
    assert navegador.get("/casos/").status == 200

    with base_de_datos_inalcanzable():
        salud = balanceador.get("/salud/")
        pagina = navegador.get("/casos/")
        salud_con_sesion = navegador.get("/salud/")
        salud_otra_vez = balanceador.get("/salud/")

    assert salud.status == 503
    assert salud.headers["Content-Type"] == "application/json"
    assert salud.texto == '{"status": "error", "database": "unavailable"}'
    assert salud_otra_vez.status == 503
    assert salud_otra_vez.texto == salud.texto
    assert_pagina_de_caida(pagina)
    # With a session cookie the session is read (LoginRequiredMiddleware asks for the user
    # before it looks at @login_not_required), so the answer is the 503 page, not the JSON.
    assert salud_con_sesion.status == 503

    despues = balanceador.get("/salud/")
    assert despues.status == 200
    assert despues.texto == '{"status": "ok"}'
    assert navegador.get("/casos/").status == 200
    assert navegador.get("/salud/").status == 200
