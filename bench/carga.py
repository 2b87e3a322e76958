"""`make carga`: two instances of the app behind nginx, under a crowd of people, with a rolling
restart in the middle (SPEC "Deployment at scale"; issue 14).

1. A fresh PostgreSQL database (CARGA_DB, dropped first) with the demo data plus CARGA_CASOS
   cases (default 50,000), CARGA_EJECUTORES ejecutores and artículos (40) and CARGA_CLIENTES
   clients (2,000), and CARGA_PERSONAS users ``carga01``… of the Soporte group, each
   with a session already open (people arrive logged in; see bench/locustfile.py).
2. Two gunicorn instances (deploy/gunicorn.conf.py, GUNICORN_INSTANCIAS=2) on 127.0.0.1:8101
   and :8102, and nginx from Debian's package on 127.0.0.1:8100 with the production site's
   upstream block and its shared rules (deploy/nginx/efactory.conf, efactory-comun.conf).
3. Locust, headless (bench/locustfile.py): CARGA_PERSONAS people (default 50) for
   CARGA_SEGUNDOS (default 120) listing, filtering, searching, opening and saving cases with a
   new activity row, some on the same case at once.
4. At 40 % of the run, the first instance gets SIGTERM (as systemd stops it in a rolling
   deploy); once it has exited, it is started again.
5. Afterwards, the database is checked: every save answered as done (302) is in the case's
   history with its Asunto, and its activity row exists; every save answered 409 wrote
   nothing, and the case holds the last save that was answered as done.

It ends with one line, ``carga: <N> solicitudes, <E> errores 5xx, <L> escrituras perdidas, p95
<X> ms``, and exits 1 when E or L is not 0 (the p95 is reported against its 300 ms target,
not asserted: timings on a shared machine are noisy).

Environment: CARGA_PERSONAS, CARGA_SEGUNDOS, CARGA_CASOS, CARGA_EJECUTORES, CARGA_CLIENTES,
CARGA_DB (default efactory_carga),
CARGA_PG (default postgres://postgres@127.0.0.1:5432), CARGA_PUERTO (nginx's port, default
8100; the instances take the next two), CARGA_CONSERVAR=1 (keep the database and the logs).
"""

import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PERSONAS = int(os.environ.get("CARGA_PERSONAS", "50"))
SEGUNDOS = int(os.environ.get("CARGA_SEGUNDOS", "120"))
CASOS = int(os.environ.get("CARGA_CASOS", "50000"))
# Lookup tables of a real team, not the demo's dozen (README: 40–400 ejecutores).
EJECUTORES = int(os.environ.get("CARGA_EJECUTORES", "40"))
CLIENTES = int(os.environ.get("CARGA_CLIENTES", "2000"))
DB = os.environ.get("CARGA_DB", "efactory_carga")
PG = os.environ.get("CARGA_PG", "postgres://postgres@127.0.0.1:5432")
URL = f"{PG}/{DB}"
PUERTO = int(os.environ.get("CARGA_PUERTO", "8100"))
INSTANCIAS = [PUERTO + 1, PUERTO + 2]
OBJETIVO_P95_MS = 300

ENTORNO = {
    **os.environ,
    "DATABASE_URL": URL,
    "DJANGO_SECRET_KEY": "carga-" + secrets.token_urlsafe(40),  # shared by both instances
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_PROXIES": "1",
    "GUNICORN_INSTANCIAS": str(len(INSTANCIAS)),
    "PYTHONUNBUFFERED": "1",
}


def paso(texto):
    print(f"\n== {texto}", flush=True)


def manage(*args):
    subprocess.run([str(BIN / "python"), "manage.py", *args], check=True, cwd=RAIZ, env=ENTORNO)


def preparar_base():
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    manage("migrate", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    inicio = time.perf_counter()
    manage(
        "demo",
        *("--casos", str(CASOS), "--ejecutores", str(EJECUTORES)),
        *("--articulos", str(EJECUTORES), "--clientes", str(CLIENTES), "-v", "0"),
    )
    print(f"demo + {CASOS:,} casos: {time.perf_counter() - inicio:.0f} s", flush=True)
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def django_listo():
    os.environ.update({k: ENTORNO[k] for k in ("DATABASE_URL", "DJANGO_SECRET_KEY")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "efactory.settings.base")
    sys.path.insert(0, str(RAIZ))
    import django

    django.setup()


def crear_personas(carpeta: Path) -> dict:
    """The users of the crowd, the cases' keys for the locustfile, the ejecutores to filter."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    from cases.models import Caso, Ejecutor

    soporte = Group.objects.get(name="Soporte")
    sesiones = []
    for n in range(1, PERSONAS + 1):
        usuario, _ = User.objects.get_or_create(username=f"carga{n:02d}")
        usuario.set_unusable_password()  # they never log in with a password here
        usuario.save()
        usuario.groups.add(soporte)
        # What django.contrib.auth.login() stores: the person arrives logged in.
        sesion = SessionStore()
        sesion[SESSION_KEY] = str(usuario.pk)
        sesion[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        sesion[HASH_SESSION_KEY] = usuario.get_session_auth_hash()
        sesion.create()
        sesiones.append(sesion.session_key)
    (carpeta / "sesiones.txt").write_text("\n".join(sesiones))
    # Open cases whose ejecutor is active: a new row takes the case's ejecutor, which must be.
    casos = list(
        Caso.objects.filter(ejecutor__estatus="activo")
        .exclude(etapa="completada")
        .order_by("-pk")
        .values_list("pk", flat=True)[:20000]
    )
    (carpeta / "casos.txt").write_text("\n".join(map(str, casos)))
    ejecutores = list(Ejecutor.objects.filter(estatus="activo").values_list("pk", flat=True))
    return {
        "CARGA_CASOS_PK": str(carpeta / "casos.txt"),
        "CARGA_EJECUTORES": ",".join(map(str, ejecutores)),
        "CARGA_SESIONES": str(carpeta / "sesiones.txt"),
        "CARGA_REGISTRO": str(carpeta / "guardados.jsonl"),
    }


class Instancia:
    """One gunicorn instance on 127.0.0.1:<puerto>, as deploy/systemd/efactory@.service."""

    def __init__(self, puerto: int, carpeta: Path):
        self.puerto = puerto
        self.log = open(carpeta / f"gunicorn-{puerto}.log", "ab")  # noqa: SIM115
        self.proceso = None

    def iniciar(self):
        self.proceso = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                *("-c", str(RAIZ / "deploy" / "gunicorn.conf.py")),
                *("--bind", f"127.0.0.1:{self.puerto}"),
                "efactory.wsgi:application",
            ],
            cwd=RAIZ,
            env={**ENTORNO, "GUNICORN_ACCESSLOG": os.devnull},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        esperar_salud(f"http://127.0.0.1:{self.puerto}/salud/")

    def detener(self, espera=60) -> float:
        """SIGTERM, as systemd stops a unit: gunicorn's graceful stop. Returns the seconds
        it took to exit."""
        inicio = time.perf_counter()
        self.proceso.send_signal(signal.SIGTERM)
        self.proceso.wait(espera)
        return time.perf_counter() - inicio


def esperar_salud(url: str, limite=60):
    fin = time.monotonic() + limite
    while time.monotonic() < fin:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} no responde")


def configurar_nginx(
    carpeta: Path, puerto=PUERTO, instancias=INSTANCIAS, estaticos=RAIZ / "staticfiles"
) -> Path:
    """nginx.conf for loopback: the production site's upstream block (ports moved to the
    instances of this run) and its shared rules, included unchanged. Checked with nginx -t."""
    for sub in ("cuerpos", "proxy", "fastcgi", "uwsgi", "scgi"):
        (carpeta / sub).mkdir(exist_ok=True)
    sitio = (RAIZ / "deploy" / "nginx" / "efactory.conf").read_text()
    upstream = re.search(r"^upstream efactory \{.*?^\}", sitio, re.S | re.M).group(0)
    upstream = upstream.replace("127.0.0.1:8001", f"127.0.0.1:{instancias[0]}")
    upstream = upstream.replace("127.0.0.1:8002", f"127.0.0.1:{instancias[1]}")
    usuario = "user root;" if os.geteuid() == 0 else ""
    conf = carpeta / "nginx.conf"
    conf.write_text(
        f"""{usuario}
worker_processes 1;
daemon off;
pid {carpeta}/nginx.pid;
error_log {carpeta}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format carga '$status $request_time $msec $upstream_status "$request"';
    access_log {carpeta}/nginx-access.log carga;
    client_body_temp_path {carpeta}/cuerpos;
    proxy_temp_path {carpeta}/proxy;
    fastcgi_temp_path {carpeta}/fastcgi;
    uwsgi_temp_path {carpeta}/uwsgi;
    scgi_temp_path {carpeta}/scgi;
    {upstream}
    server {{
        listen 127.0.0.1:{puerto};
        server_name localhost;
        set $efactory_static {estaticos};
        include {RAIZ}/deploy/nginx/efactory-comun.conf;
    }}
}}
"""
    )
    subprocess.run(["nginx", "-t", "-q", "-c", str(conf), "-p", str(carpeta)], check=True)
    return conf


def reinicio_a_mitad(instancia: Instancia, eventos: list):
    """The rolling deploy: SIGTERM at 40 % of the run, then start again."""
    time.sleep(SEGUNDOS * 0.4)
    eventos.append(f"SIGTERM a :{instancia.puerto} a los {SEGUNDOS * 0.4:.0f} s")
    segundos = instancia.detener()
    codigo = instancia.proceso.returncode
    eventos.append(f":{instancia.puerto} terminó en {segundos:.1f} s (código {codigo})")
    time.sleep(2)
    instancia.iniciar()
    eventos.append(f":{instancia.puerto} de nuevo en servicio")


def correr_locust(carpeta: Path, entorno: dict) -> None:
    subprocess.run(
        [
            str(BIN / "locust"),
            *("-f", str(RAIZ / "bench" / "locustfile.py")),
            "--headless",
            *("-u", str(PERSONAS), "-r", str(max(1, PERSONAS // 5))),
            *("-t", f"{SEGUNDOS}s", "--stop-timeout", "15"),
            *("--host", f"http://127.0.0.1:{PUERTO}"),
            *("--csv", str(carpeta / "locust"), "--only-summary"),
            *("--loglevel", "WARNING"),
        ],
        cwd=RAIZ,
        env={**entorno, **os.environ, "PYTHONUNBUFFERED": "1"},
        check=False,  # Locust exits 1 when any request failed: the line below says which
    )


LINEA_NGINX = re.compile(r'^(\d+) ([\d.]+) [\d.]+ (.*?) "')


def estadisticas(carpeta: Path) -> dict:
    """From nginx's access log (what the people got): requests, 5xx, p95 in ms, and how many
    were passed on to the other instance (``$upstream_status`` lists two answers)."""
    tiempos, errores, reintentos, codigos = [], 0, 0, {}
    for linea in (carpeta / "nginx-access.log").read_text().splitlines():
        estado, segundos, aguas_arriba = LINEA_NGINX.match(linea).groups()
        codigos[estado] = codigos.get(estado, 0) + 1
        tiempos.append(float(segundos) * 1000)
        errores += estado.startswith("5")
        reintentos += "," in aguas_arriba
    tiempos.sort()
    p95 = tiempos[int(0.95 * (len(tiempos) - 1))] if tiempos else 0.0
    return {
        "solicitudes": len(tiempos),
        "errores": errores,
        "reintentos": reintentos,
        "p95": p95,
        "p50": statistics.median(tiempos) if tiempos else 0.0,
        "codigos": dict(sorted(codigos.items())),
    }


def comprobar_guardados(registro: Path) -> dict:
    """Every save answered as done is in the database; every 409 wrote nothing; each case
    holds the last save answered as done."""
    from cases.models import Actividad, Caso

    Historico = Caso.history.model
    guardados = [json.loads(linea) for linea in registro.read_text().splitlines()]
    hechos = [g for g in guardados if g["estado"] == 302]
    rechazados = [g for g in guardados if g["estado"] == 409]
    tokens = [g["token"] for g in guardados]
    en_historial = {}
    for caso_id, asunto, fecha in Historico.objects.filter(asunto__startswith="carga-").values_list(
        "id", "asunto", "history_date"
    ):
        en_historial[asunto.split(" ", 1)[0]] = (caso_id, fecha)
    filas = set(
        Actividad.objects.filter(descripcion__in=tokens).values_list("descripcion", flat=True)
    )
    perdidos = [g for g in hechos if g["token"] not in en_historial or g["token"] not in filas]
    fantasmas = [g for g in rechazados if g["token"] in en_historial or g["token"] in filas]
    # The case holds the last save of its history, which was one answered as done (or one
    # whose answer was lost with a connection, never a 409).
    hechos_tokens = {g["token"] for g in hechos}
    sin_respuesta = {g["token"] for g in guardados if g["estado"] not in (200, 302, 409)}
    pisados = 0
    for caso in Caso.objects.filter(pk__in={g["caso"] for g in hechos}).only("asunto"):
        token = caso.asunto.split(" ", 1)[0]
        if token not in hechos_tokens and token not in sin_respuesta:
            pisados += 1
    return {
        "guardados": len(guardados),
        "hechos": len(hechos),
        "conflictos": len(rechazados),
        "con_errores": sum(1 for g in guardados if g["estado"] == 200),
        "otros": len(guardados)
        - len(hechos)
        - len(rechazados)
        - sum(1 for g in guardados if g["estado"] == 200),
        "perdidos": len(perdidos) + len(fantasmas) + pisados,
        "detalle": {"sin_guardar": perdidos[:5], "fantasmas": fantasmas[:5], "pisados": pisados},
        "motivos": sorted({g["errores"] for g in guardados if g["estado"] == 200})[:5],
    }


def informe(carpeta: Path, entorno: dict) -> tuple[dict, dict, str]:
    """Check the database, print the details and return the figures and the SPEC's line."""
    paso("Comprobación en la base de datos")
    medidas = estadisticas(carpeta)
    guardados = comprobar_guardados(Path(entorno["CARGA_REGISTRO"]))
    print(f"  respuestas por código: {medidas['codigos']}")
    print(f"  pasadas a la otra instancia por nginx: {medidas['reintentos']}")
    print(
        f"  guardados: {guardados['guardados']} ({guardados['hechos']} hechos, "
        f"{guardados['conflictos']} con 409, {guardados['con_errores']} rechazados por el "
        f"formulario, {guardados['otros']} sin respuesta)"
    )
    if guardados["motivos"]:
        print(f"  motivos de rechazo: {guardados['motivos']}")
    if guardados["perdidos"]:
        print(f"  escrituras perdidas: {guardados['detalle']}")
    print(f"  p50 {medidas['p50']:.0f} ms; p95 objetivo ≤ {OBJETIVO_P95_MS} ms")
    linea = (
        f"carga: {medidas['solicitudes']} solicitudes, {medidas['errores']} errores 5xx, "
        f"{guardados['perdidos']} escrituras perdidas, p95 {medidas['p95']:.0f} ms"
    )
    return medidas, guardados, linea


def main():
    if not shutil.which("nginx"):
        sys.exit("make carga necesita nginx: apt-get install nginx-light")
    carpeta = Path(tempfile.mkdtemp(prefix="efactory-carga-"))
    if os.geteuid() == 0:
        os.chmod(carpeta, 0o755)
    paso(f"Base de datos {DB}: demo + {CASOS:,} casos, {PERSONAS} personas")
    preparar_base()
    django_listo()
    entorno = crear_personas(carpeta)
    from django.db import connections

    connections.close_all()

    instancias = [Instancia(p, carpeta) for p in INSTANCIAS]
    nginx = None
    try:
        paso(f"2 instancias de gunicorn ({', '.join(map(str, INSTANCIAS))}) y nginx ({PUERTO})")
        for instancia in instancias:
            instancia.iniciar()
        conf = configurar_nginx(carpeta)
        nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(carpeta)])
        esperar_salud(f"http://127.0.0.1:{PUERTO}/salud/")
        (carpeta / "nginx-access.log").write_text("")  # count the crowd's requests only
        subprocess.run(["nginx", "-c", str(conf), "-p", str(carpeta), "-s", "reopen"], check=True)

        paso(f"Locust: {PERSONAS} personas, {SEGUNDOS} s; SIGTERM a :{INSTANCIAS[0]} a mitad")
        eventos: list[str] = []
        hilo = threading.Thread(target=reinicio_a_mitad, args=(instancias[0], eventos))
        hilo.start()
        correr_locust(carpeta, entorno)
        hilo.join()
        for evento in eventos:
            print(f"  {evento}")
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait(10)
        for instancia in instancias:
            if instancia.proceso and instancia.proceso.poll() is None:
                instancia.detener()

    medidas, guardados, linea = informe(carpeta, entorno)
    if os.environ.get("CARGA_CONSERVAR") == "1":
        print(f"  registros en {carpeta}; base de datos {DB}")
    else:
        from django.db import connections

        connections.close_all()
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        shutil.rmtree(carpeta, ignore_errors=True)
    print(linea, flush=True)
    return 1 if medidas["errores"] or guardados["perdidos"] else 0


if __name__ == "__main__":
    sys.exit(main())
