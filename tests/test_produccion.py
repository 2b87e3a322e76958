"""The production setup of deploy/ (issue 14): the client's address behind nginx, gunicorn's
settings, a stopping instance that loses no queued request, and nginx's static files, gzip and
body size, each through the real program."""

import contextlib
import importlib.util
import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import RequestFactory

from efactory.red import ip_del_cliente

RAIZ = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _carga():
    """bench/carga.py as a module (its nginx configuration is the one tested here)."""
    spec = importlib.util.spec_from_file_location("carga", RAIZ / "bench" / "carga.py")
    modulo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(modulo)
    return modulo


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _escucha(puerto: int, segundos: float = 10) -> bool:
    """Whether something accepts connections on 127.0.0.1:``puerto`` within ``segundos``."""
    fin = time.monotonic() + segundos
    while time.monotonic() < fin:
        try:
            socket.create_connection(("127.0.0.1", puerto), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


# --- The client's address ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "reenviada", "esperada"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the header is ignored
        (1, "203.0.113.9", "203.0.113.9"),  # nginx appended the client it saw
        (1, "10.6.6.6, 203.0.113.9", "203.0.113.9"),  # the left part came from the client
        (2, "203.0.113.9, 10.0.0.2", "203.0.113.9"),  # a balancer, then nginx
        (1, "", "127.0.0.1"),  # not through the proxy
    ],
)
def test_the_clients_address_is_the_one_the_trusted_proxy_saw(
    settings, proxies, reenviada, esperada
):
    settings.PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=reenviada)
    assert ip_del_cliente(request) == esperada


@pytest.mark.django_db
def test_behind_nginx_one_persons_failed_logins_do_not_lock_out_another(
    settings, client, django_user_model
):
    """Everybody reaches the app from nginx's 127.0.0.1: login throttling must count per
    client address, or five mistakes of one person would lock out the whole office."""
    settings.AXES_ENABLED = True
    settings.PROXIES = 1
    django_user_model.objects.create_user("ana", password="clave-correcta-1")
    for _ in range(5):
        respuesta = client.post(
            "/cuentas/login/",
            {"username": "ana", "password": "mal"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    assert respuesta.status_code == 429  # locked out at that address
    otra = client.post(
        "/cuentas/login/",
        {"username": "ana", "password": "clave-correcta-1"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert otra.status_code == 302  # the same account from another desk still logs in


# --- gunicorn -------------------------------------------------------------------------------


def test_gunicorn_takes_its_share_of_the_cores_per_instance(monkeypatch):
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 8)
    monkeypatch.setenv("GUNICORN_INSTANCIAS", "2")
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    conf = runpy.run_path(str(RAIZ / "deploy" / "gunicorn.conf.py"))
    assert conf["workers"] == 8  # (2 × 8 + 1) // 2
    assert conf["worker_class"] == "efactory.trabajador.Trabajador"
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["control_socket_disable"] is True  # two instances would share one path
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    assert runpy.run_path(str(RAIZ / "deploy" / "gunicorn.conf.py"))["workers"] == 3


def _pedir(puerto: int, metodo: str) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", puerto), timeout=10)
    s.sendall(
        f"{metodo} /cuentas/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    return s


def _respuesta(s: socket.socket) -> str:
    datos = b""
    while chunk := s.recv(65536):
        datos += chunk
    s.close()
    return datos.split(b"\r\n", 1)[0].decode()


@contextlib.contextmanager
def gunicorn(tmp_path, **entorno_extra):
    """A real gunicorn with deploy/gunicorn.conf.py and one worker, on a free port, answering
    /salud/; yields (master process, port). Test settings: static files from the finders,
    no collectstatic needed."""
    puerto = _puerto_libre()
    entorno = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "efactory.settings.test",
        "GUNICORN_ACCESSLOG": os.devnull,
        **entorno_extra,
    }
    registro = tmp_path / "gunicorn.log"
    maestro = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            *("-c", str(RAIZ / "deploy" / "gunicorn.conf.py")),
            *("--bind", f"127.0.0.1:{puerto}", "--workers", "1"),
            "efactory.wsgi:application",
        ],
        cwd=RAIZ,
        env=entorno,
        stdout=registro.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        if not _escucha(puerto):
            pytest.fail(f"gunicorn did not start: {registro.read_text()[-2000:]}")
        yield maestro, puerto
    finally:
        if maestro.poll() is None:
            maestro.kill()
            maestro.wait()


def test_a_stopping_instance_serves_the_writes_queued_and_sends_reads_elsewhere(tmp_path):
    """SIGTERM (a rolling deploy) while requests wait unaccepted in the socket's queue: the
    POST is served (here CSRF's 403: it reached Django) instead of reset, which nginx could
    not retry; the GET gets the 503 that nginx retries on another instance."""
    with gunicorn(tmp_path) as (maestro, puerto):
        with urllib.request.urlopen(f"http://127.0.0.1:{puerto}/salud/", timeout=10) as r:
            assert r.status == 200
        trabajador = int(subprocess.check_output(["pgrep", "-P", str(maestro.pid)]).split()[0])
        os.kill(trabajador, signal.SIGSTOP)  # busy: what arrives now waits in the queue
        escritura, lectura = _pedir(puerto, "POST"), _pedir(puerto, "GET")
        time.sleep(0.2)
        maestro.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the master has closed its copy of the socket and told the worker
        os.kill(trabajador, signal.SIGCONT)
        assert _respuesta(escritura) == "HTTP/1.1 403 Forbidden"
        assert _respuesta(lectura) == "HTTP/1.1 503 Service Unavailable"
        assert maestro.wait(15) == 0


def test_behind_a_tls_proxy_the_app_trusts_its_x_forwarded_proto(tmp_path):
    """DJANGO_HTTPS=1 behind nginx: a request nginx received over HTTPS (X-Forwarded-Proto:
    https, as efactory-comun.conf sets it) is served; one that came over plain HTTP is sent
    to HTTPS, with HSTS on the secure answer. Through the real gunicorn and its settings."""
    with gunicorn(tmp_path, DJANGO_HTTPS="1") as (_maestro, puerto):

        def pedir(proto):
            peticion = urllib.request.Request(
                f"http://127.0.0.1:{puerto}/salud/",
                headers={"X-Forwarded-Proto": proto, "Host": "casos.example.com"},
            )
            abridor = urllib.request.build_opener(_SinRedirecciones)
            try:
                with abridor.open(peticion, timeout=10) as r:
                    return r.status, r.headers
            except urllib.error.HTTPError as error:
                return error.code, error.headers

        estado, cabeceras = pedir("https")
        assert estado == 200
        assert "max-age=31536000" in cabeceras["Strict-Transport-Security"]
        estado, cabeceras = pedir("http")
        assert estado == 301
        assert cabeceras["Location"] == "https://casos.example.com/salud/"


class _SinRedirecciones(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_stopping_worker_waits_for_the_imports_it_runs():
    """What efactory.trabajador.Trabajador sends as it stops reaches the imports' threads."""
    import threading

    from cases import tareas
    from efactory.trabajador import Trabajador, deteniendose

    fin = threading.Event()
    hilo = threading.Thread(target=fin.wait, args=(5,))
    tareas._hilos.add(hilo)
    hilo.start()
    respuestas = deteniendose.send(sender=Trabajador, segundos=0.1)
    assert [quedan for _, quedan in respuestas] == [1]  # still running after the time given
    threading.Timer(0.2, fin.set).start()
    inicio = time.monotonic()
    assert [quedan for _, quedan in deteniendose.send(sender=Trabajador, segundos=5)] == [0]
    assert time.monotonic() - inicio < 2


# --- nginx ----------------------------------------------------------------------------------


@pytest.fixture
def nginx(tmp_path):
    """Debian's nginx with the site's shared rules, over a folder of static files; its
    upstreams are closed ports (nothing but static files is served)."""
    if not shutil.which("nginx"):
        pytest.fail("nginx is not installed (apt-get install nginx-light; .ci/run does)")
    estaticos = tmp_path / "static"
    (estaticos / "css").mkdir(parents=True)
    (estaticos / "css" / "app.0123456789ab.css").write_text("body { color: #123456; }\n" * 200)
    (estaticos / "css" / "app.css").write_text("body { color: #123456; }\n" * 200)
    carpeta = tmp_path / "nginx"
    carpeta.mkdir()
    puerto = _puerto_libre()
    conf = _carga().configurar_nginx(carpeta, puerto, [_puerto_libre(), _puerto_libre()], estaticos)
    proceso = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(carpeta)])
    assert _escucha(puerto), "nginx did not start"
    yield f"http://127.0.0.1:{puerto}"
    proceso.terminate()
    proceso.wait(10)


def _get(url, **cabeceras):
    with urllib.request.urlopen(urllib.request.Request(url, headers=cabeceras)) as r:
        return r.status, r.headers, r.read()


def test_nginx_serves_hashed_static_files_for_a_year_and_compressed(nginx):
    estado, cabeceras, cuerpo = _get(
        f"{nginx}/static/css/app.0123456789ab.css", **{"Accept-Encoding": "gzip"}
    )
    assert estado == 200
    assert cabeceras["Cache-Control"] == "public, max-age=31536000, immutable"
    assert cabeceras["Content-Encoding"] == "gzip"
    assert len(cuerpo) < 1000  # 5 KB of CSS, compressed
    _, cabeceras, _ = _get(f"{nginx}/static/css/app.css")
    assert cabeceras["Cache-Control"] == "max-age=3600"  # unhashed: an hour


def test_nginx_takes_an_import_file_of_10_mb_and_refuses_bigger(nginx):
    def enviar(tamano):
        peticion = urllib.request.Request(f"{nginx}/casos/importar/", data=b"x" * tamano)
        try:
            with urllib.request.urlopen(peticion) as r:
                return r.status
        except urllib.error.HTTPError as error:
            return error.code

    # 10 MB reaches the app (here no instance runs: 502); 13 MB is refused by nginx itself.
    assert enviar(10 * 1024 * 1024 + 50_000) == 502
    assert enviar(13 * 1024 * 1024) == 413


# --- make carga's check of the saves ------------------------------------------------------


@pytest.mark.django_db
def test_the_load_tests_check_finds_a_lost_save_and_a_409_that_wrote(tmp_path):
    """bench/carga.py's verdict: a save answered 302 must be in the history with its row;
    a save answered 409 must have written nothing; the case holds the last save done."""
    import json

    from tests.factories import ActividadFactory, CasoFactory

    caso = CasoFactory(asunto="carga-hecho Asunto")
    ActividadFactory(caso=caso, descripcion="carga-hecho")
    registro = tmp_path / "guardados.jsonl"

    def escribir(*guardados):
        registro.write_text(
            "".join(
                json.dumps({"token": t, "caso": caso.pk, "estado": e, "errores": ""}) + "\n"
                for t, e in guardados
            )
        )

    comprobar = _carga().comprobar_guardados
    escribir(("carga-hecho", 302), ("carga-rechazado", 409))
    assert comprobar(registro)["perdidos"] == 0

    escribir(("carga-hecho", 302), ("carga-perdido", 302))  # answered done, not stored
    assert comprobar(registro)["perdidos"] == 1

    caso.asunto = "carga-rechazado Asunto"  # a 409 that wrote after all
    caso.save()
    escribir(("carga-hecho", 302), ("carga-rechazado", 409))
    resultado = comprobar(registro)
    assert resultado["detalle"]["fantasmas"] and resultado["detalle"]["pisados"] == 1
    assert resultado["perdidos"] == 2
