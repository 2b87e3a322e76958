"""The read replica (efactory/replica.py): reports, charts and exports read from it, nothing
else does, and the pages still answer (from the primary) when it is unreachable or dies.

The router's rules and the fallback run on SQLite and PostgreSQL. On PostgreSQL a session
fixture builds a real streaming replica of the test server on this machine (``pg_basebackup``
into a second cluster on a free port) and the tests pause its replay, stop it mid-run and
start it again.
"""

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission, User
from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import horas as modulo_horas
from cases.models import Actividad, Caso
from efactory import replica as modulo_replica
from efactory.replica import REPLICA, Lectura, RouterDeReplica, elegir_lectura, leer_de
from tests.cases.datos import datos_caso, datos_post, fila
from tests.factories import ActividadFactory, CasoFactory, EjecutorFactory, UserFactory

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PAGINAS = ["/casos/horas/", "/casos/graficos/", "/actividades/"]
# Reports read from all dates, so the rows' dates do not matter.
HORAS_CSV = "/casos/horas/?formato=csv&desde=&hasta="
ACTIVIDADES_CSV = "/actividades/?formato=csv&desde=&hasta="
EXPORTAR_CSV = "/casos/exportar/?formato=csv"

SOLO_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a streaming replica of PostgreSQL"
)


def puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def frescura(html: str) -> str:
    """The page's freshness line, as one line of text."""
    encontrado = re.search(r"<p[^>]*data-frescura=\"(\w+)\"[^>]*>(.*?)</p>", html, re.S)
    assert encontrado, "the page has no freshness line"
    return " ".join(encontrado.group(2).split())


def descargar(client, url) -> str:
    respuesta = client.get(url)
    assert respuesta.status_code == 200
    return b"".join(respuesta.streaming_content).decode()


@contextlib.contextmanager
def alias_replica(**cambios):
    """The ``replica`` alias, added at run time: the default's settings with ``cambios``.

    Added after the test's database setup, so Django's per-test guard does not wrap it;
    closed and removed afterwards, with any remembered failure forgotten.
    """
    base = connections[DEFAULT_DB_ALIAS].settings_dict
    django_settings.DATABASES[REPLICA] = {
        **base,
        "ENGINE": "django.db.backends.postgresql",
        "OPTIONS": {"connect_timeout": 2},
        "CONN_MAX_AGE": 0,
        "TEST": {**base["TEST"], "MIRROR": DEFAULT_DB_ALIAS},
        **cambios,
    }
    modulo_replica.olvidar_caida()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            connections[REPLICA].close()
        with contextlib.suppress(AttributeError):
            del connections[REPLICA]
        django_settings.DATABASES.pop(REPLICA, None)
        modulo_replica.olvidar_caida()


@pytest.fixture
def medidas(monkeypatch):
    """How many times a request asked the replica how far behind it is."""
    llamadas = []
    original = modulo_replica.medir_retraso

    def contar(conexion):
        llamadas.append(conexion.alias)
        return original(conexion)

    monkeypatch.setattr(modulo_replica, "medir_retraso", contar)
    return llamadas


# --- the router, without a replica (SQLite and PostgreSQL) ---------------------------------


def test_without_a_replica_everything_reads_default():
    assert REPLICA not in django_settings.DATABASES
    assert router.db_for_read(Caso) == DEFAULT_DB_ALIAS
    with leer_de(REPLICA):
        assert router.db_for_read(Caso) == DEFAULT_DB_ALIAS


def test_a_view_that_asks_for_the_replica_reads_it_once_configured():
    with alias_replica():
        assert router.db_for_read(Caso) == DEFAULT_DB_ALIAS
        with leer_de(REPLICA):
            assert router.db_for_read(Caso) == REPLICA
            assert router.db_for_read(Actividad) == REPLICA
        assert router.db_for_read(Caso) == DEFAULT_DB_ALIAS


def test_logins_sessions_and_writes_never_go_to_the_replica():
    with alias_replica(), leer_de(REPLICA):
        assert router.db_for_read(User) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Permission) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Caso) == DEFAULT_DB_ALIAS
        leido = Caso(pk=1)
        leido._state.db = REPLICA
        assert router.db_for_write(Caso, instance=leido) == DEFAULT_DB_ALIAS


def test_the_replica_is_never_migrated():
    assert RouterDeReplica().allow_migrate(REPLICA, "cases") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases")
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "auth")


def test_rows_of_the_replica_and_of_the_primary_may_be_related():
    caso, actividad = Caso(pk=1), Actividad(pk=2)
    caso._state.db, actividad._state.db = REPLICA, DEFAULT_DB_ALIAS
    assert RouterDeReplica().allow_relation(caso, actividad) is True


@pytest.mark.django_db
def test_without_a_replica_choosing_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        lectura = elegir_lectura()
    assert (lectura.alias, lectura.origen, lectura.al_dia) == (DEFAULT_DB_ALIAS, "principal", True)


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGINAS)
def test_report_pages_say_their_data_is_up_to_date(cliente_coordinador, url):
    respuesta = cliente_coordinador.get(url)

    assert respuesta.status_code == 200
    assert frescura(respuesta.content.decode()) == "Datos al día."


@pytest.mark.django_db
def test_downloads_carry_no_freshness_line(cliente_coordinador):
    for url in (HORAS_CSV, ACTIVIDADES_CSV, EXPORTAR_CSV):
        contenido = b"".join(cliente_coordinador.get(url).streaming_content).decode()
        assert "Datos" not in contenido


def test_the_freshness_line_says_how_far_behind_the_replica_is():
    def linea(lectura):
        return frescura(render_to_string("includes/_frescura.html", {"lectura": lectura}))

    assert linea(Lectura(REPLICA, "replica")) == "Datos de la réplica, al día."
    assert linea(Lectura(REPLICA, "replica", 1234.4)) == (
        "Datos de la réplica, con 1.234 s de retraso."
    )
    assert linea(Lectura(REPLICA, "replica", float("inf"))) == "Datos de la réplica, con retraso."
    assert linea(modulo_replica.RESPALDO) == (
        "Datos del servidor principal (réplica no disponible)."
    )


# --- an unreachable replica (SQLite and PostgreSQL) --------------------------------------
# A test whose requests connect to the replica alias must list it in ``databases``, so the
# alias exists before the test's database setup: a class-scoped fixture adds it. Such tests
# are transactional, since a TestCase would open a transaction on every alias it lists.


@pytest.fixture(scope="class")
def replica_inalcanzable():
    """The ``replica`` alias pointing at a port nothing listens on."""
    with alias_replica(HOST="127.0.0.1", PORT=str(puerto_libre())):
        yield


@pytest.fixture
def sin_caidas_recordadas():
    modulo_replica.olvidar_caida()
    yield
    modulo_replica.olvidar_caida()


@pytest.mark.usefixtures("replica_inalcanzable", "sin_caidas_recordadas")
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
class TestReplicaInalcanzable:
    def test_it_falls_back_and_leaves_the_replica_alone_for_a_while(
        self, grupos, cliente_coordinador, medidas, settings
    ):
        settings.REPLICA_ESPERA_TRAS_FALLO = 30
        caso = CasoFactory(asunto="Visible desde el principal")
        ActividadFactory(caso=caso)
        inicio = time.monotonic()
        primera = cliente_coordinador.get("/casos/horas/")
        assert len(medidas) == 1

        # Within the window no request tries the replica again.
        segunda = cliente_coordinador.get("/casos/graficos/")
        exportado = descargar(cliente_coordinador, EXPORTAR_CSV)
        assert len(medidas) == 1
        assert time.monotonic() - inicio < 10

        modulo_replica.olvidar_caida()  # the window is over
        tercera = cliente_coordinador.get("/actividades/")
        assert len(medidas) == 2

        for respuesta in (primera, segunda, tercera):
            assert respuesta.status_code == 200
            assert frescura(respuesta.content.decode()) == (
                "Datos del servidor principal (réplica no disponible)."
            )
        assert "Visible desde el principal" in exportado

    def test_pages_that_are_not_reports_never_ask_the_replica(
        self, grupos, cliente_coordinador, medidas
    ):
        caso = CasoFactory()
        for url in ("/", "/casos/", "/casos/proximos/", f"/casos/{caso.pk}/editar/"):
            assert cliente_coordinador.get(url).status_code == 200
        assert cliente_coordinador.get("/buscar/clientes/", {"q": "a"}).status_code == 200
        assert medidas == []


# --- a real streaming replica (PostgreSQL) -----------------------------------------------


def como_postgres(*orden, **kwargs) -> subprocess.CompletedProcess:
    """Run a command as the OS user postgres (the server refuses to run as root)."""
    if os.geteuid() == 0:
        orden = ("runuser", "-u", "postgres", "--", *orden)
    return subprocess.run(orden, capture_output=True, text=True, timeout=120, **kwargs)


def se_puede_construir() -> str | None:
    """Why a replica cannot be built here (None: it can)."""
    if not (PG_BIN / "pg_basebackup").exists():
        return f"no PostgreSQL binaries in {PG_BIN}"
    try:
        usuario = pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user"
    if os.geteuid() not in (0, usuario.pw_uid):
        return "building a cluster needs root or the postgres user"
    return None


def conectar(**parametros):
    return psycopg.connect(autocommit=True, connect_timeout=5, **parametros)


def permitir_replicacion(principal: dict):
    """Make the test server accept replication connections from 127.0.0.1 (a fresh
    machine's pg_hba.conf has no replication line)."""
    with conectar(**principal) as c:
        reglas = c.execute(
            "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host'"
            " AND 'replication' = ANY(database) AND address = '127.0.0.1'"
        ).fetchone()[0]
        if reglas:
            return
        hba = Path(c.execute("SHOW hba_file").fetchone()[0])
        with hba.open("a") as archivo:
            archivo.write(
                "\n# efactory tests/test_replica.py: streaming replicas on this machine\n"
            )
            archivo.write("host    replication     all             127.0.0.1/32            trust\n")
        c.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)  # the postmaster rereads the file on its own time


@dataclass
class Replica:
    """A hot standby of the test server: its own cluster in ``directorio``, on ``puerto``."""

    directorio: Path
    puerto: int
    principal: dict  # psycopg connection parameters of the primary (the test database)

    @property
    def datos(self) -> Path:
        return self.directorio / "datos"

    @property
    def log(self) -> Path:
        return self.directorio / "replica.log"

    def pg_ctl(self, *argumentos):
        return como_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.datos), *argumentos)

    def construir(self):
        os.chown(self.directorio, pwd.getpwnam("postgres").pw_uid, -1)
        self.directorio.chmod(0o700)
        orden = [
            str(PG_BIN / "pg_basebackup"),
            *("-h", self.principal["host"], "-p", str(self.principal["port"])),
            *("-U", self.principal["user"], "-D", str(self.datos)),
            *("-R", "-X", "stream", "-c", "fast", "-N"),
        ]
        for intento in range(5):
            hecho = como_postgres(*orden)
            if hecho.returncode == 0:
                break
            shutil.rmtree(self.datos, ignore_errors=True)
            time.sleep(1 + intento)
        else:
            raise RuntimeError(f"pg_basebackup: {hecho.stderr}")
        self._configurar()
        self.arrancar()

    def _configurar(self):
        """A Debian cluster keeps its configuration in /etc: the copy needs its own. A hot
        standby needs these limits at least as high as its primary's."""
        with conectar(**self.principal) as c:
            limites = c.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections',"
                " 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions',"
                " 'max_locks_per_transaction')"
            ).fetchall()
        lineas = [
            f"port = {self.puerto}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.directorio}'",
            "hot_standby = on",
            "hot_standby_feedback = on",
            "shared_buffers = 32MB",
            "fsync = off",
            *(f"{nombre} = {valor}" for nombre, valor in limites),
        ]
        archivos = {
            "postgresql.conf": "\n".join(lineas) + "\n",
            "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            "pg_ident.conf": "",
        }
        usuario = pwd.getpwnam("postgres")
        for nombre, texto in archivos.items():
            ruta = self.datos / nombre
            ruta.write_text(texto)
            os.chown(ruta, usuario.pw_uid, usuario.pw_gid)

    def arrancar(self):
        hecho = self.pg_ctl("-l", str(self.log), "-o", f"-p {self.puerto}", "start", "-w")
        assert hecho.returncode == 0, hecho.stderr + self.log.read_text()

    def detener(self, modo="immediate"):
        self.pg_ctl("stop", "-m", modo, "-w")

    def en_marcha(self) -> bool:
        return self.pg_ctl("status").returncode == 0

    def conexion(self):
        return conectar(**{**self.principal, "port": self.puerto})

    def alcanzar(self, recibido=False, segundos=60):
        """Wait until the replica has replayed (``recibido``: received) what the primary has
        written so far."""
        with conectar(**self.principal) as c:
            lsn = c.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        funcion = "pg_last_wal_receive_lsn" if recibido else "pg_last_wal_replay_lsn"
        fin = time.monotonic() + segundos
        with self.conexion() as c:
            while time.monotonic() < fin:
                if c.execute(f"SELECT {funcion}() >= %s::pg_lsn", [lsn]).fetchone()[0]:
                    return
                time.sleep(0.05)
        raise AssertionError(f"the replica did not reach {lsn} in {segundos} s")

    def pausar(self):
        with self.conexion() as c:
            # From here on no record is applied ("pause requested" until it is "paused").
            c.execute("SELECT pg_wal_replay_pause()")

    def reanudar(self):
        with self.conexion() as c:
            c.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="session")
def replica_real(django_db_setup, django_db_blocker):
    """A streaming replica of the test server, built once for the session and removed."""
    motivo = se_puede_construir()
    if motivo:
        pytest.skip(motivo)
    ajustes = connections[DEFAULT_DB_ALIAS].settings_dict
    principal = {
        "host": ajustes["HOST"] or "127.0.0.1",
        "port": int(ajustes["PORT"] or 5432),
        "user": ajustes["USER"] or "postgres",
        "dbname": ajustes["NAME"],  # the test database, created before the copy
    }
    with django_db_blocker.unblock():
        permitir_replicacion(principal)
    directorio = Path(tempfile.mkdtemp(prefix="efactory-replica-"))
    copia = Replica(directorio, puerto_libre(), principal)
    try:
        copia.construir()
        yield copia
    finally:
        copia.detener("fast")
        shutil.rmtree(directorio, ignore_errors=True)


@pytest.fixture(scope="class")
def alias_de_la_replica_real(replica_real):
    with alias_replica(HOST="127.0.0.1", PORT=str(replica_real.puerto)):
        yield replica_real


@pytest.fixture
def replica(alias_de_la_replica_real, settings):
    """The real replica, running, replaying and caught up with no remembered failure; a
    failure is remembered for one second."""
    settings.REPLICA_ESPERA_TRAS_FALLO = 1
    replica = alias_de_la_replica_real
    if not replica.en_marcha():
        replica.arrancar()
    replica.reanudar()
    modulo_replica.olvidar_caida()
    yield replica
    with contextlib.suppress(Exception):
        connections[REPLICA].close()
    modulo_replica.olvidar_caida()


@pytest.fixture
def coordinador_hilo(grupos, client):
    """A Coordinador logged in, for transactional tests (committed, so replicated)."""
    client.force_login(UserFactory(username="coord-replica", grupos=["Coordinador"]))
    return client


def datos_iniciales():
    ana = EjecutorFactory(nombre="Ana Réplica")
    caso = CasoFactory(asunto="Caso anterior", ejecutor=ana)
    ActividadFactory(caso=caso, ejecutor=ana, fecha=timezone.localdate())
    return caso


def caso_nuevo():
    beto = EjecutorFactory(nombre="Beto Principal")
    caso = CasoFactory(asunto="Caso nuevo", ejecutor=beto, fecha_inicio=timezone.localdate())
    ActividadFactory(caso=caso, ejecutor=beto, fecha=timezone.localdate())
    return caso


@SOLO_POSTGRES
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
class TestReplicaReal:
    def test_reports_read_the_replica_and_the_editor_reads_the_primary(
        self, coordinador_hilo, replica
    ):
        client = coordinador_hilo
        datos_iniciales()
        replica.alcanzar()
        assert frescura(client.get("/casos/horas/").content.decode()).startswith(
            "Datos de la réplica"
        )

        # Replay paused: the replica has received the new case but not applied it.
        replica.pausar()
        try:
            nuevo = caso_nuevo()
            replica.alcanzar(recibido=True)

            exportado = descargar(client, EXPORTAR_CSV)
            horas = descargar(client, HORAS_CSV)
            actividades = descargar(client, ACTIVIDADES_CSV)
            assert "Caso anterior" in exportado and "Caso nuevo" not in exportado
            assert "Ana Réplica" in horas and "Beto Principal" not in horas
            assert "Ana Réplica" in actividades and "Beto Principal" not in actividades
            for url in PAGINAS:
                pagina = client.get(url).content.decode()
                assert re.fullmatch(
                    r"Datos de la réplica, con [\d.]+ s de retraso\.", frescura(pagina)
                )
            assert (
                "Beto Principal" not in client.get("/casos/horas/?desde=&hasta=").content.decode()
            )

            # The list and the editor read the primary.
            assert "Caso nuevo" in client.get("/casos/").content.decode()
            assert client.get(f"/casos/{nuevo.pk}/editar/").status_code == 200
        finally:
            replica.reanudar()

        replica.alcanzar()
        assert "Caso nuevo" in descargar(client, EXPORTAR_CSV)
        assert "Beto Principal" in descargar(client, HORAS_CSV)

    def test_a_report_runs_all_its_case_queries_on_the_replica(self, coordinador_hilo, replica):
        datos_iniciales()
        replica.alcanzar()
        for url in ("/casos/horas/?agrupar=cliente&agrupar=caso", "/casos/graficos/", HORAS_CSV):
            with (
                CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as principal,
                CaptureQueriesContext(connections[REPLICA]) as en_replica,
            ):
                respuesta = coordinador_hilo.get(url)
                if respuesta.streaming:
                    b"".join(respuesta.streaming_content)
            assert respuesta.status_code == 200
            tablas_en_principal = [q["sql"] for q in principal if '"cases_' in q["sql"]]
            assert tablas_en_principal == [], url  # only the session and the user's permissions
            assert any('"cases_actividad"' in q["sql"] for q in en_replica), url

    def test_saving_in_the_editor_never_touches_the_replica(self, coordinador_hilo, replica):
        client = coordinador_hilo
        ejecutor = EjecutorFactory()
        cliente = CasoFactory().cliente
        with CaptureQueriesContext(connections[REPLICA]) as en_replica:
            assert client.get("/casos/nuevo/").status_code == 200
            respuesta = client.post(
                "/casos/nuevo/",
                datos_post(datos_caso(cliente, ejecutor=ejecutor.pk), [fila(ejecutor)]),
            )
            assert respuesta.status_code == 302
            guardado = Caso.objects.get(asunto="Instalar impresora en contabilidad")
            assert client.get(f"/casos/{guardado.pk}/editar/").status_code == 200
            assert client.get("/casos/").status_code == 200
        assert len(en_replica) == 0
        assert guardado.actividades.count() == 1

    def test_reports_answer_from_the_primary_while_the_replica_is_down(
        self, coordinador_hilo, replica, medidas
    ):
        client = coordinador_hilo
        datos_iniciales()
        replica.alcanzar()
        assert frescura(client.get("/casos/graficos/").content.decode()).startswith("Datos de la")
        medidas.clear()

        replica.detener()
        caso_nuevo()  # only the primary has it
        inicio = time.monotonic()
        for url in PAGINAS:
            respuesta = client.get(url, {"desde": "", "hasta": ""})
            assert respuesta.status_code == 200
            assert frescura(respuesta.content.decode()) == (
                "Datos del servidor principal (réplica no disponible)."
            )
        assert "Beto Principal" in descargar(client, HORAS_CSV)
        assert "Caso nuevo" in descargar(client, EXPORTAR_CSV)
        assert time.monotonic() - inicio < 5  # no request waited for a timeout
        assert len(medidas) == 1  # the first request found it down; the others did not ask

        # Started again, it is used again once the remembered failure expires.
        replica.arrancar()
        replica.alcanzar()
        time.sleep(django_settings.REPLICA_ESPERA_TRAS_FALLO)
        pagina = client.get("/casos/horas/", {"desde": "", "hasta": ""}).content.decode()
        assert frescura(pagina).startswith("Datos de la réplica")
        assert "Beto Principal" in pagina  # replayed after the restart
        assert "Caso nuevo" in descargar(client, EXPORTAR_CSV)

    def test_a_report_still_answers_when_the_replica_dies_mid_request(
        self, coordinador_hilo, replica, monkeypatch
    ):
        client = coordinador_hilo
        datos_iniciales()
        replica.alcanzar()
        calcular = modulo_horas.Reporte.calcular
        muertes = []

        def morir_y_calcular(reporte):
            if not muertes:  # the replica answered the freshness check, then it dies
                muertes.append(replica.puerto)
                replica.detener()
            return calcular(reporte)

        monkeypatch.setattr(modulo_horas.Reporte, "calcular", morir_y_calcular)

        respuesta = client.get("/casos/horas/", {"desde": "", "hasta": ""})

        assert len(muertes) == 1
        assert respuesta.status_code == 200
        pagina = respuesta.content.decode()
        assert frescura(pagina) == "Datos del servidor principal (réplica no disponible)."
        assert "Ana Réplica" in pagina
        assert modulo_replica.replica_caida()
