"""`make bench`: eFactory Casos at scale on PostgreSQL, measured against Django admin.

Builds (or reuses) a PostgreSQL database with BENCH_CASOS cases (default 1,000,000, about 3
activities each) through the bulk path of ``manage.py demo``, then measures in one run, with
warm-up and BENCH_REPETICIONES repetitions (default 20), the server time (p50, p95: the Django
request cycle in this process, no network) and the query count of each page, the raw SQL time
of each page's main query (EXPLAIN ANALYZE), Django admin's changelist on the same data, the
streamed exports and the import (bench/importar.py: time and peak RSS, each in a process of
its own) and, with BENCH_CARGA=1
(default), throughput under gunicorn with wrk at 8 concurrent clients.

Every page is measured at each lookup size of BENCH_TAMANOS, a comma-separated list of
``EJECUTORES[/ARTICULOS]:CLIENTES`` (default ``40:5000,400:50000``: 40 ejecutores and 40
artículos with 5,000 clients, then 400 and 400 with 50,000; ``40:500,400:5000`` below 100,000
cases). The cases are seeded once, at the first size; each further size is a copy of that
database (CREATE DATABASE … TEMPLATE, ``<BENCH_DB>_<e>_<a>_<c>``, dropped once measured)
topped up with ``manage.py demo --ejecutores --articulos --clientes``, so the cases stay the
same and only the lookups grow. The report has a column per size and the ratio of the last to
the first; the exports and the import are measured at the first size only, and the
import's validation again at the last (it must not grow with the lookup tables either).

It prints Markdown tables and saves them under bench/results/. No thresholds are asserted
here: the targets are in the tables' last column and in the README.

Environment: BENCH_CASOS, BENCH_TAMANOS; or, for one size only, BENCH_EJECUTORES,
BENCH_ARTICULOS (default: as many as ejecutores) and BENCH_CLIENTES (a size is
``BENCH_EJECUTORES/BENCH_ARTICULOS:BENCH_CLIENTES``, unset parts from the first default size;
BENCH_TAMANOS wins when both are set); BENCH_DB (default efactory_bench_<N>),
BENCH_REPETICIONES, BENCH_CARGA (0 to skip gunicorn + wrk), BENCH_IMPORTAR (cases of the
import's file, default N/10 up to 10,000), BENCH_IMPORTAR_COMANDO (cases through
manage.py importar_casos; 100,000 from 1,000,000 cases, else none), BENCH_ANOS (years of history
of the seeded cases; 3 from 100,000 cases, else 1), BENCH_ACTIVIDADES (the last size is topped
up to this many activities, where the reports are measured; 3 × BENCH_CASOS from 100,000
cases, else none), BENCH_CONSERVAR=1 (keep the last size's copy), BENCH_PG (default
postgres://postgres@127.0.0.1:5432), BENCH_SOLO=busqueda (only the list's text searches and
their plans, at the first size: a quick before/after), BENCH_SOLO=paginas (the pages and the
load test at every size, without the exports and the import).
"""

import datetime
import gc
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

RAIZ = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_CASOS", "1000000"))


def tamanos(texto: str) -> list[tuple[int, int, int]]:
    """``"40:5000,400/300:50000"`` → [(40, 40, 5000), (400, 300, 50000)]: (ejecutores,
    artículos, clientes) of each lookup size."""
    resultado = []
    for parte in texto.split(","):
        busca, _, clientes = parte.strip().partition(":")
        ejecutores, _, articulos = busca.partition("/")
        resultado.append((int(ejecutores), int(articulos or ejecutores), int(clientes)))
    return resultado


TAMANOS_POR_DEFECTO = "40:5000,400:50000" if N >= 100_000 else "40:500,400:5000"
_primero = tamanos(TAMANOS_POR_DEFECTO)[0]
if "BENCH_TAMANOS" not in os.environ and any(
    k in os.environ for k in ("BENCH_EJECUTORES", "BENCH_ARTICULOS", "BENCH_CLIENTES")
):
    _ejecutores = int(os.environ.get("BENCH_EJECUTORES", _primero[0]))
    TAMANOS = [
        (
            _ejecutores,
            int(os.environ.get("BENCH_ARTICULOS", _ejecutores)),
            int(os.environ.get("BENCH_CLIENTES", _primero[2])),
        )
    ]
else:
    TAMANOS = tamanos(os.environ.get("BENCH_TAMANOS", TAMANOS_POR_DEFECTO))
REPS = max(int(os.environ.get("BENCH_REPETICIONES", "20")), 1)
# Years of history of the seeded cases, and the activities the last size is topped up to
# (the reports are measured there): a team of 400 over 3 years logs about 3 per case.
ANOS = int(os.environ.get("BENCH_ANOS", "3" if N >= 100_000 else "1"))
ACTIVIDADES = int(os.environ.get("BENCH_ACTIVIDADES", str(3 * N) if N >= 100_000 else "0"))
CARGA = os.environ.get("BENCH_CARGA", "1") == "1"
SOLO_BUSQUEDA = os.environ.get("BENCH_SOLO") == "busqueda"
SOLO_PAGINAS = os.environ.get("BENCH_SOLO") == "paginas"
# The list's text searches: a word of asuntos, a word of client names only (5,000 clients,
# ~1 in 17 named so), one word of each. Each must be served by the trigram indexes.
BUSQUEDAS = {
    "Lista, búsqueda de texto": "migracion",
    "Lista, búsqueda por cliente": "canaima",
    "Lista, búsqueda asunto + cliente": "migracion canaima",
}
BUSQUEDA_PLAN = "migracion canaima"  # its plan shows every branch of the search
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", f"efactory_bench_{N}")
URL = f"{PG}/{DB}"  # the database of the size being measured (main() moves it on)
FILAS_EXPORT = min(100_000, N)
# The import (issue 13): a file of this many cases (with their activities) validated and
# imported; and, through manage.py importar_casos, a file of BENCH_IMPORTAR_COMANDO cases.
CASOS_IMPORTAR = int(os.environ.get("BENCH_IMPORTAR", str(min(10_000, N // 10))))
CASOS_COMANDO = int(os.environ.get("BENCH_IMPORTAR_COMANDO", "100000" if N >= 1_000_000 else "0"))
PYTHON = sys.executable

os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "efactory.settings.base")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
sys.path.insert(0, str(RAIZ))


def paso(texto):
    print(f"\n== {texto}", flush=True)


def manage(*args):
    env = {**os.environ, "DATABASE_URL": URL}
    subprocess.run([PYTHON, str(RAIZ / "manage.py"), *args], check=True, cwd=RAIZ, env=env)


def base_de(tamano, indice):
    """The database of the ``indice``-th size: the seeded one, then a copy per size."""
    return DB if indice == 0 else f"{DB}_{tamano[0]}_{tamano[1]}_{tamano[2]}"


def preparar_base(db, tamano, plantilla=None, actividades=0):
    """Create ``db`` (empty, or a copy of ``plantilla``) if needed, migrate, top it up to N
    cases and to the lookup size ``tamano``, refresh statistics; point URL (and Django, if
    set up) at it. Returns the seconds ``manage.py demo`` took."""
    import psycopg

    global URL
    URL = f"{PG}/{db}"
    os.environ["DATABASE_URL"] = URL
    if plantilla:
        from django.db import connections

        connections.close_all()  # a template must have no other session
        connections["default"].settings_dict["NAME"] = db
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if plantilla:
            # A fresh copy each run: the seeded database may have changed since the last.
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
            conn.execute(f'CREATE DATABASE "{db}" TEMPLATE "{plantilla}"')
        elif not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
            conn.execute(f'CREATE DATABASE "{db}"')
    manage("migrate", "--noinput", "-v", "0")
    if not plantilla:
        manage("collectstatic", "--noinput", "-v", "0")  # production static storage (manifest)
    ejecutores, articulos, clientes = tamano
    inicio = time.perf_counter()
    manage(
        "demo",
        *("--casos", str(N), "--clientes", str(clientes)),
        *("--ejecutores", str(ejecutores), "--articulos", str(articulos), "-v", "0"),
        *("--anos", str(ANOS)),
        *(("--actividades", str(actividades)) if actividades else ()),
    )
    carga = time.perf_counter() - inicio
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # Write out what loading the data dirtied now, not while the pages are timed.
        conn.execute("CHECKPOINT")
    return carga


def soltar_base(db):
    """Drop a copy made for a further size (it can be several GB)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}"')


def miles(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def percentil(valores, p):
    ordenados = sorted(valores)
    k = (len(ordenados) - 1) * p / 100
    f = int(k)
    c = min(f + 1, len(ordenados) - 1)
    return ordenados[f] + (ordenados[c] - ordenados[f]) * (k - f)


class Medidor:
    def __init__(self):
        from django.test import Client

        self.Client = Client
        self.filas = []

    def medir(self, nombre, peticion, objetivo="", sql_principal=True, reps=REPS, preparar=None):
        """Warm up, then time ``reps`` calls; count queries and EXPLAIN ANALYZE the main one.

        With ``preparar``, each call is ``peticion(preparar())`` and only ``peticion`` is
        timed (a save's POST body is built before the clock starts, as a browser has it).
        """
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def llamar():
            return peticion(preparar()) if preparar else peticion()

        sql_de_la_peticion = []

        def cronometrar_sql(execute, sql, params, many, context):
            inicio = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                sql_de_la_peticion[-1] += (time.perf_counter() - inicio) * 1000

        def cronometrar():
            argumento = preparar() if preparar else None
            sql_de_la_peticion.append(0.0)
            inicio = time.perf_counter()
            with connection.execute_wrapper(cronometrar_sql):
                respuesta = peticion(argumento) if preparar else peticion()
            return respuesta, (time.perf_counter() - inicio) * 1000

        for _ in range(3):
            respuesta = llamar()
            assert respuesta.status_code in (200, 302), (nombre, respuesta.status_code)
        tiempos = []
        for _ in range(reps):
            respuesta, ms = cronometrar()
            tiempos.append(ms)
            if hasattr(respuesta, "streaming_content"):
                for _trozo in respuesta.streaming_content:
                    pass
        # The size of the HTML a page sends (a save answers with a redirect: no size).
        kb = None
        if respuesta.status_code == 200 and not hasattr(respuesta, "streaming_content"):
            kb = len(respuesta.content) / 1024
        argumento = preparar() if preparar else None  # its queries are not the page's
        with CaptureQueriesContext(connection) as consultas:
            peticion(argumento) if preparar else peticion()
        sql_ms = None
        if sql_principal:
            # The main query is the slowest SELECT as the database itself measures it.
            tiempos_sql = [explain_ms(q["sql"]) for q in consultas.captured_queries]
            sql_ms = max((t for t in tiempos_sql if t is not None), default=None)
        fila = {
            "pagina": nombre,
            "p50": statistics.median(tiempos),
            "p95": percentil(tiempos, 95),
            "consultas": len(consultas.captured_queries),
            "kb": kb,
            "sql_ms": sql_ms,
            # Every query of the request, wall time as the app waits for it (driver and
            # round trip included, as debug-toolbar's SQL panel counts it): median per call.
            "sql_pagina_ms": statistics.median(sql_de_la_peticion),
            "objetivo": objetivo,
        }
        self.filas.append(fila)
        print(
            f"  {nombre}: p50 {fila['p50']:.1f} ms, p95 {fila['p95']:.1f} ms, "
            f"{fila['consultas']} consultas, {kb or 0:.0f} KB, SQL principal {sql_ms or 0:.1f} ms, "
            f"SQL de la página {fila['sql_pagina_ms']:.1f} ms",
            flush=True,
        )
        return fila


def paginas_comparadas(caso_pk, ejecutor):
    """The pages compared between lookup sizes (issue 11, goal 1): name → (user, URL)."""
    return {
        "Lista, primera página": ("coordinador", "/casos/"),
        "Lista filtrada (etapa + ejecutor)": (
            "coordinador",
            f"/casos/?etapa=retrasada&ejecutor={ejecutor}",
        ),
        "Lista, búsqueda de texto": (
            "coordinador",
            f"/casos/?q={BUSQUEDAS['Lista, búsqueda de texto']}",
        ),
        "Lista ordenada por cliente": ("coordinador", "/casos/?orden=cliente"),
        "Editor GET (500 actividades)": ("coordinador", f"/casos/{caso_pk}/editar/"),
        "Próximos Casos a Ejecutar": ("coordinador", "/casos/proximos/"),
        "Inicio (coordinador)": ("coordinador", "/"),
        "Inicio (equipo)": ("admin", "/"),
        "Actividades (semana actual)": ("coordinador", "/actividades/"),
        "Alta rápida (GET)": ("coordinador", "/casos/rapido/"),
    }


def comparar_intercalado(bases: list[dict]) -> list[dict]:
    """Each page on every lookup size, the sizes taking turns: a few requests on one
    database, then on the next, round after round, so that whatever else the machine does
    meanwhile (another process, PostgreSQL writing out the copy it just made) weighs on
    every size alike. Measured one size after the other, minutes apart, the same unchanged
    page differed by up to 2× between the sizes on this shared machine.

    ``bases``: {"db", "etiqueta", "caso_pk", "ejecutor"} per size. Returns a row per page:
    the median of every timed request on each size, and the HTML size on each.
    """
    from django.contrib.auth import get_user_model
    from django.db import connections

    rondas = 5 if REPS >= 10 else 2
    por_ronda = max(REPS // 4, 3)
    clientes = []
    for base in bases:
        usar_base(base["db"])
        porquien = {}
        for usuario in ("coordinador", "admin"):
            porquien[usuario] = Medidor().Client()
            porquien[usuario].force_login(get_user_model().objects.get(username=usuario))
        clientes.append(porquien)
    primeras = paginas_comparadas(bases[0]["caso_pk"], bases[0]["ejecutor"])
    filas = []
    for nombre in primeras:
        tiempos = [[] for _ in bases]
        kb = [None for _ in bases]
        for ronda in range(rondas):
            # Every other round the other size goes first; each block starts after a full
            # garbage collection, so that neither size inherits the other's garbage.
            orden = list(enumerate(bases))
            for i, base in orden if ronda % 2 == 0 else orden[::-1]:
                usuario, ruta = paginas_comparadas(base["caso_pk"], base["ejecutor"])[nombre]
                cliente = clientes[i][usuario]
                usar_base(base["db"])
                for _ in range(2):  # reconnect and warm up, untimed
                    respuesta = cliente.get(ruta)
                    assert respuesta.status_code == 200, (nombre, base["db"])
                gc.collect()
                for _ in range(por_ronda):
                    inicio = time.perf_counter()
                    respuesta = cliente.get(ruta)
                    tiempos[i].append((time.perf_counter() - inicio) * 1000)
                kb[i] = len(respuesta.content) / 1024
        filas.append(
            {
                "pagina": nombre,
                "p50": [statistics.median(t) for t in tiempos],
                "kb": kb,
            }
        )
        p50 = " / ".join(f"{statistics.median(t):.1f}" for t in tiempos)
        print(f"  {nombre}: p50 {p50} ms", flush=True)
    connections.close_all()
    return filas


def usar_base(db):
    """Point Django's default connection at ``db`` (reconnecting on the next query)."""
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = db


def tabla_intercalada(bases, filas) -> list[str]:
    encabezado = " | ".join(f"{b['etiqueta']}: p50 ms (KB)" for b in bases)
    lineas = [
        "",
        "Cada página con cada tamaño, por turnos (la misma ventana de tiempo para todos los "
        "tamaños; objetivo: ≤ 10 % de diferencia):",
        "",
        f"| página | {encabezado} | último ÷ primero |",
        "|---|" + "---:|" * (len(bases) + 1),
    ]
    for fila in filas:
        celdas = " | ".join(
            f"{p50:.1f} ({kb:.0f} KB)" for p50, kb in zip(fila["p50"], fila["kb"], strict=True)
        )
        razon = fila["p50"][-1] / fila["p50"][0]
        lineas.append(f"| {fila['pagina']} | {celdas} | {razon:.2f}× |")
    return lineas


def explain_ms(sql):
    """Execution time of one query, from EXPLAIN (ANALYZE) (median of 3)."""
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return None
    tiempos = []
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            tiempos.append(plan[0]["Execution Time"])
    return statistics.median(tiempos)


def plan_busqueda(consulta="migracion"):
    """The plan of the list's text search (its count): it must use the trigram index."""
    from django.db import connection

    from cases.models import Caso

    qs = Caso.objects.buscar(consulta).order_by().values("pk")[:10001]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(fila[0] for fila in cursor.fetchall())


def caso_de_500():
    """A case with 500 activities (created once, then reused)."""
    from cases.models import Actividad, Caso, Ejecutor, minutos_entre
    from customers.models import Cliente

    asunto = "Banco de pruebas: caso con 500 actividades"
    caso = Caso.objects.filter(asunto=asunto).first()
    if caso and caso.actividades.count() == 500:
        return caso
    if caso:
        caso.delete()
    ejecutor = Ejecutor.objects.filter(estatus="activo").order_by("pk").first()
    caso = Caso.objects.create(
        asunto=asunto,
        cliente=Cliente.objects.order_by("pk").first(),
        ejecutor=ejecutor,
        fecha_inicio=datetime.date(2025, 1, 1),
        fecha_cierre=datetime.date(2026, 12, 31),
    )
    filas = []
    for i in range(500):
        fecha = datetime.date(2025, 1, 1) + datetime.timedelta(days=i)
        # After the demo's working day (it ends at 19:00): the ejecutor is not busy in
        # another case then (the database refuses overlapping activities).
        ini, fin = datetime.time(19, 30), datetime.time(21, 0)
        filas.append(
            Actividad(
                caso=caso,
                fecha=fecha,
                hora_inicio=ini,
                hora_fin=fin,
                descripcion=f"Actividad {i + 1}",
                ejecutor=ejecutor,
                facturable=i % 2 == 0,
                minutos=minutos_entre(ini, fin),
            )
        )
    Actividad.objects.bulk_create(filas)
    return caso


def datos_editor(caso, rep):
    """The editor's POST for ``caso`` with its 500 rows, the first one changed."""
    from django.forms.models import model_to_dict

    from cases.forms import CasoForm

    caso.refresh_from_db()
    datos = {}
    for nombre, valor in model_to_dict(caso, fields=list(CasoForm._meta.fields)).items():
        if valor is None or valor is False:
            continue
        datos[nombre] = (
            "on"
            if valor is True
            else (valor.isoformat() if hasattr(valor, "isoformat") else str(valor))
        )
    datos["version"] = str(caso.version)
    filas = list(caso.actividades.order_by("fecha", "hora_inicio", "pk"))
    datos.update(
        {
            "actividades-TOTAL_FORMS": str(len(filas)),
            "actividades-INITIAL_FORMS": str(len(filas)),
            "actividades-MIN_NUM_FORMS": "0",
            "actividades-MAX_NUM_FORMS": "2000",
        }
    )
    for i, a in enumerate(filas):
        p = f"actividades-{i}-"
        datos.update(
            {
                p + "id": str(a.pk),
                p + "caso": str(caso.pk),
                p + "fecha": a.fecha.isoformat(),
                p + "hora_inicio": a.hora_inicio.strftime("%H:%M"),
                p + "hora_fin": a.hora_fin.strftime("%H:%M"),
                p + "descripcion": a.descripcion if i else f"Actividad cambiada {rep}",
                p + "ejecutor": str(a.ejecutor_id),
                p + "articulo": str(a.articulo_id or ""),
            }
        )
        if a.facturable:
            datos[p + "facturable"] = "on"
    return datos


def exportar(formato):
    env = {**os.environ, "DATABASE_URL": URL}
    salida = subprocess.run(
        [PYTHON, str(RAIZ / "bench" / "exportar.py"), formato, str(FILAS_EXPORT)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=RAIZ,
    )
    return json.loads(salida.stdout.strip().splitlines()[-1])


def importaciones(tamano, solo_validar=False) -> list[dict]:
    """bench/importar.py, each run in a process of its own (time and peak RSS): validate and
    import a file of CASOS_IMPORTAR cases, and the command on CASOS_COMANDO cases; with
    ``solo_validar``, only the validation (at the last lookup size: the import's cost must not
    grow with the lookup tables either). Each result says its lookup size ``tamano``."""
    env = {**os.environ, "DATABASE_URL": URL}
    script = str(RAIZ / "bench" / "importar.py")

    def correr(*argumentos):
        salida = subprocess.run(
            [PYTHON, script, *argumentos], check=True, capture_output=True, text=True, env=env
        )
        return json.loads(salida.stdout.strip().splitlines()[-1])

    resultados = []
    pasos = ((CASOS_IMPORTAR, ("validar", "importar")), (CASOS_COMANDO, ("comando",)))
    if solo_validar:
        pasos = ((CASOS_IMPORTAR, ("validar",)),)
    for casos, modos in pasos:
        if not casos:
            continue
        archivo = Path(tempfile.gettempdir()) / f"bench-importar-{casos}.xlsx"
        correr("preparar", str(casos), str(archivo))
        for modo in modos:
            resultado = correr(modo, str(archivo))
            resultados.append({**resultado, "archivo_casos": casos, "tamano": etiqueta(tamano)})
            print(f"  {resultados[-1]}", flush=True)
        archivo.unlink()
    return resultados


def carga_con_wrk(cookie, caso_pk):
    """Requests/s and p95 under gunicorn with 8 concurrent clients (wrk), per page."""
    wrk = shutil.which("wrk")
    if not wrk:
        return None, "wrk no está instalado (apt-get install wrk)"
    workers = int(os.environ.get("BENCH_WORKERS", "3"))
    puerto = os.environ.get("BENCH_PUERTO", "8765")
    env = {**os.environ, "DATABASE_URL": URL}
    servidor = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "efactory.wsgi:application",
            "--bind",
            f"127.0.0.1:{puerto}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=RAIZ,
        env=env,
        start_new_session=True,
    )
    lua = RAIZ / "bench" / "p95.lua"
    resultados = []
    try:
        for _ in range(50):
            try:
                subprocess.run(
                    ["curl", "-sf", f"http://127.0.0.1:{puerto}/salud/"],
                    check=True,
                    capture_output=True,
                )
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        for nombre, ruta in (
            ("Vista mínima (/salud/)", "/salud/"),
            ("Lista, primera página", "/casos/"),
            ("Editor (GET, 500 actividades)", f"/casos/{caso_pk}/editar/"),
        ):
            salida = subprocess.run(
                [
                    wrk,
                    "-t2",
                    "-c8",
                    "-d10s",
                    "-s",
                    str(lua),
                    "-H",
                    f"Cookie: sessionid={cookie}",
                    f"http://127.0.0.1:{puerto}{ruta}",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", salida).group(1))
            p95 = float(re.search(r"p95_us (\d+)", salida).group(1)) / 1000
            errores = re.search(r"Non-2xx or 3xx responses: (\d+)", salida)
            resultados.append((nombre, rps, p95, int(errores.group(1)) if errores else 0))
            print(f"  {nombre}: {rps:.1f} req/s, p95 {p95:.1f} ms", flush=True)
    finally:
        os.killpg(servidor.pid, signal.SIGTERM)
        servidor.wait(timeout=20)
    return resultados, f"gunicorn {workers} workers (sync), wrk -t2 -c8 -d10s"


def etiqueta(tamano, conteo=None) -> str:
    """«40 ejecutores, 40 artículos, 5.000 clientes» (the counts found, when given)."""
    ejecutores, articulos, clientes = (
        (conteo["ejecutores"], conteo["articulos"], conteo["clientes"]) if conteo else tamano
    )
    return (
        f"{miles(ejecutores)} ejecutores, {miles(articulos)} artículos, {miles(clientes)} clientes"
    )


def kb(fila) -> str:
    return f"{fila['kb']:.0f}" if fila.get("kb") else "—"


def tabla_paginas(medidor):
    filas = {f["pagina"]: f for f in medidor.filas}
    admin = {k: v for k, v in filas.items() if k.startswith("Admin")}
    pares = {
        "Lista, primera página": "Admin changelist",
        "Lista filtrada (etapa + ejecutor)": "Admin changelist filtrado (etapa)",
        "Lista, búsqueda de texto": "Admin changelist con búsqueda",
    }
    lineas = [
        "| página | p50 ms | p95 ms | consultas | KB | SQL principal ms | SQL de la página ms | "
        "p50 ÷ SQL de la página | ÷ admin (p95) | objetivo |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for f in medidor.filas:
        ratio_sql = f"{f['p50'] / f['sql_pagina_ms']:.1f}×" if f["sql_pagina_ms"] else "—"
        par = pares.get(f["pagina"])
        ratio_admin = f"{f['p95'] / admin[par]['p95']:.2f}" if par and par in admin else "—"
        sql = f"{f['sql_ms']:.1f}" if f["sql_ms"] else "—"
        lineas.append(
            f"| {f['pagina']} | {f['p50']:.1f} | {f['p95']:.1f} | {f['consultas']} | "
            f"{kb(f)} | {sql} | {f['sql_pagina_ms']:.1f} | "
            f"{ratio_sql} | {ratio_admin} | {f['objetivo']} |"
        )
    return lineas


def tabla_tamanos(medidas):
    """Every page at every size: p50 / p95 and queries per size, last p95 ÷ first p95."""
    cabecera = "| página | " + " | ".join(
        f"{miles(m['conteo']['ejecutores'])} ej. / {miles(m['conteo']['articulos'])} art. / "
        f"{miles(m['conteo']['clientes'])} cli.: p50 / p95 ms (consultas; KB)"
        for m in medidas
    )
    lineas = [
        cabecera + " | p95 último ÷ primero |",
        "|---|" + "---:|" * len(medidas) + "---:|",
    ]
    for f in medidas[0]["medidor"].filas:
        celdas, p95 = [], []
        for m in medidas:
            g = next((g for g in m["medidor"].filas if g["pagina"] == f["pagina"]), None)
            celdas.append(
                f"{g['p50']:.1f} / {g['p95']:.1f} ({g['consultas']}; {kb(g)} KB)" if g else "—"
            )
            p95.append(g["p95"] if g else None)
        ratio = f"{p95[-1] / p95[0]:.2f}×" if p95[0] and p95[-1] else "—"
        lineas.append(f"| {f['pagina']} | " + " | ".join(celdas) + f" | {ratio} |")
    return lineas


OBJETIVOS_IMPORTACION = {
    "validar": "≤ 10 s, ≤ 200 MB (10.000 casos)",
    "importar": "≤ 20 s, ≤ 200 MB (10.000 casos)",
    "comando": "≤ 3 min (100.000 casos)",
}


def tabla_importacion(importados) -> str:
    if not importados:
        return ""
    lineas = [
        "",
        "Importación (XLSX exportado con cada Asunto y cada actividad cambiados; como la "
        "página y el comando, fuera de una transacción: validación en procesos aparte, uno por "
        "núcleo; importar y comando escriben de verdad y después se quitan los cambios):",
        "",
        "| paso | tablas de consulta | casos | actividades | segundos "
        "| CPU s (principal / procesos / PostgreSQL) | pico RSS MB "
        "| por proceso de validación MB | objetivo |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in importados:
        actividades = miles(r["actividades"]) if "actividades" in r else "—"
        trabajador = r.get("pico_rss_trabajador_mb")
        cpu = r.get("cpu") or {}
        cpu = " / ".join(
            f"{cpu[k]:.1f}" for k in ("principal", "trabajadores", "postgres") if k in cpu
        )
        lineas.append(
            f"| {r['modo']} | {r['tamano']} | {miles(r['archivo_casos'])} | {actividades} | "
            f"{r['segundos']:.1f} | {cpu or '—'} | {r['pico_rss_mb']:.0f} | "
            f"{f'{trabajador:.0f}' if trabajador else '—'} | {OBJETIVOS_IMPORTACION[r['modo']]} |"
        )
    return "\n".join(lineas) + "\n"


def tabla(medidas, exports, busqueda, tiempo_carga):
    conteo = medidas[0]["conteo"]
    ahora = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lineas = [
        f"### eFactory Casos — banco de pruebas ({miles(conteo['casos'])} casos, "
        f"{miles(conteo['actividades'])} actividades)",
        "",
        f"{ahora} · {platform.node()} · {os.cpu_count()} núcleos · Python "
        f"{platform.python_version()} · PostgreSQL {conteo['pg']} · {REPS} repeticiones tras 3 "
        f"de calentamiento · carga de datos {tiempo_carga:.0f} s",
    ]
    if len(medidas) > 1:
        lineas += ["", "Cada página con cada tamaño de los catálogos (los mismos casos):", ""]
        lineas += tabla_tamanos(medidas)
    for m in medidas:
        lineas += ["", f"#### {etiqueta(None, m['conteo'])}", ""]
        lineas += tabla_paginas(m["medidor"])
        carga, nota_carga = m["carga"], m["nota_carga"]
        if carga:
            lineas += [
                "",
                f"Carga: {nota_carga}",
                "",
                "| página | req/s | p95 ms | respuestas no 2xx/3xx |",
                "|---|---:|---:|---:|",
            ]
            for nombre, rps, p95, errores in carga:
                lineas.append(f"| {nombre} | {rps:.1f} | {p95:.1f} | {errores} |")
        elif nota_carga:
            lineas += ["", f"Carga: {nota_carga}"]
    lineas += [
        "",
        f"Exportaciones ({etiqueta(None, conteo)}):",
        "",
        "| exportación | filas | segundos | MB | pico RSS MB | objetivo |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for e in exports:
        objetivo = "≤ 6 s y ≤ 150 MB de pico" if e["formato"] == "xlsx" else "≤ 150 MB de pico"
        lineas.append(
            f"| {e['formato'].upper()} | {miles(e['filas'])} | {e['segundos']:.1f} | "
            f"{e['bytes'] / 1e6:.1f} | {e['pico_rss_mb']:.0f} | {objetivo} |"
        )
    usa = "caso_busqueda_trgm" in busqueda and "customers_cliente_nombre_trgm" in busqueda
    lineas += [
        "",
        f"Búsqueda de texto («{BUSQUEDA_PLAN}»): el plan {'usa' if usa else 'NO usa'} los "
        "índices trigram del caso (`caso_busqueda_trgm`) y del cliente:",
        "",
        "```",
        busqueda.strip(),
        "```",
    ]
    return "\n".join(lineas) + "\n"


def contar():
    from django.db import connection

    from cases.models import Actividad, Articulo, Caso, Ejecutor
    from customers.models import Cliente

    version = connection.cursor().connection.info.server_version
    return {
        "casos": Caso.objects.count(),
        "actividades": Actividad.objects.count(),
        "clientes": Cliente.objects.count(),
        "ejecutores": Ejecutor.objects.count(),
        "articulos": Articulo.objects.count(),
        "pg": f"{version // 10000}.{version % 100}",
    }


def ejecutor_filtrado() -> int:
    """The ejecutor of the filtered list: the second active one."""
    from cases.models import Ejecutor

    return Ejecutor.objects.filter(estatus="activo").order_by("pk").values_list("pk", flat=True)[1]


def medir_paginas(medidor, solo_busqueda=False):
    """Every page, on the database URL points at now."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    cliente = medidor.Client()
    cliente.force_login(User.objects.get(username="coordinador"))
    cliente_admin = medidor.Client()
    cliente_admin.force_login(User.objects.get(username="admin"))
    caso = caso_de_500()
    rutas = paginas_comparadas(caso.pk, ejecutor_filtrado())
    clientes = {"coordinador": cliente, "admin": cliente_admin}

    def pedir(nombre):
        """The GET of a page of paginas_comparadas(), by its name."""
        usuario, ruta = rutas[nombre]
        return lambda: clientes[usuario].get(ruta)

    objetivo_lista = "p95 ≤ 150 ms y ≤ ½ admin"
    for nombre in ("Lista, primera página", "Lista filtrada (etapa + ejecutor)"):
        medidor.medir(nombre, pedir(nombre), objetivo_lista)
    for nombre, q in BUSQUEDAS.items():
        medidor.medir(nombre, lambda q=q: cliente.get("/casos/", {"q": q}), objetivo_lista)
    if solo_busqueda:
        for q in BUSQUEDAS.values():
            print(f"\n  EXPLAIN q={q!r}\n{plan_busqueda(q)}", flush=True)
        return None, None
    medidor.medir("Lista ordenada por cliente", pedir("Lista ordenada por cliente"), "p95 ≤ 150 ms")
    medidor.medir(
        "Lista, página 2000", lambda: cliente.get("/casos/?page=2000"), "≤ 2× la página 1"
    )
    medidor.medir(
        "Editor GET (500 actividades)",
        pedir("Editor GET (500 actividades)"),
        "p95 ≤ 300 ms y ≤ 600 KB",
    )
    rep = iter(range(10_000))
    medidor.medir(
        "Editor: guardar 1 renglón cambiado de 500",
        # Sent as a browser sends this form: URL-encoded (the test client's default,
        # multipart, costs the server several times more to parse 4,000 fields).
        lambda cuerpo: cliente.post(
            f"/casos/{caso.pk}/editar/", cuerpo, content_type="application/x-www-form-urlencoded"
        ),
        "p95 ≤ 300 ms, ≤ 20 consultas",
        sql_principal=False,
        preparar=lambda: urlencode(datos_editor(caso, next(rep))),
    )
    medidor.medir("Próximos Casos a Ejecutar", pedir("Próximos Casos a Ejecutar"))
    # Inicio: a coordinator with an Ejecutor (their cases and hours, the counts by etapa),
    # and the team view of a user without one (the admin).
    for nombre in ("Inicio (coordinador)", "Inicio (equipo)", "Actividades (semana actual)"):
        medidor.medir(nombre, pedir(nombre), "p95 ≤ 150 ms")
    medidor.medir(
        "Horas del mes por ejecutor", lambda: cliente.get("/casos/horas/"), "p95 ≤ 500 ms"
    )
    medidor.medir(
        "Horas del mes: ejecutor × cliente",
        lambda: cliente.get("/casos/horas/", {"agrupar": ["ejecutor", "cliente"]}),
        "p95 ≤ 500 ms",
    )
    medidor.medir(
        "Horas del mes por cliente, columnas por semana",
        lambda: cliente.get("/casos/horas/", {"agrupar": "cliente", "columnas": "semana"}),
        "p95 ≤ 500 ms",
    )
    medidor.medir(
        "Gráficos (12 meses, por mes)", lambda: cliente.get("/casos/graficos/"), "p95 ≤ 1 s"
    )
    medidor.medir(
        "Actividades (30 días, etapa retrasada)",
        lambda: cliente.get(
            "/actividades/",
            {
                "desde": f"{datetime.date.today() - datetime.timedelta(days=30):%Y-%m-%d}",
                "etapa": "retrasada",
            },
        ),
        "p95 ≤ 150 ms",
    )
    medidor.medir("Alta rápida (GET)", pedir("Alta rápida (GET)"), sql_principal=False)
    medidor.medir("Lupa: buscar cliente", lambda: cliente.get("/buscar/clientes/?q=nandu"))
    medidor.medir("Admin changelist", lambda: cliente_admin.get("/admin/cases/caso/"))
    medidor.medir(
        "Admin changelist filtrado (etapa)",
        lambda: cliente_admin.get("/admin/cases/caso/?etapa__exact=retrasada"),
    )
    medidor.medir(
        "Admin changelist con búsqueda",
        lambda: cliente_admin.get("/admin/cases/caso/?q=migracion"),
    )
    cliente.get("/casos/")
    return cliente.cookies["sessionid"].value, caso.pk


def datos_masivos(indice, tamano, busqueda, exports, importados):
    """The search plan, the exports and the import at the first lookup size; the import's
    validation again at the last one."""
    if indice == 0:
        busqueda = plan_busqueda(BUSQUEDA_PLAN)
        paso(f"Exportaciones de {miles(FILAS_EXPORT)} filas")
        exports = [exportar("csv"), exportar("xlsx")]
        for e in exports:
            print(f"  {e}", flush=True)
        paso(f"Importación de {miles(CASOS_IMPORTAR)} casos")
        importados = importaciones(tamano)
    elif indice == len(TAMANOS) - 1:
        paso(f"Validación de {miles(CASOS_IMPORTAR)} casos con {etiqueta(tamano)}")
        importados = importados + importaciones(tamano, solo_validar=True)
    return busqueda, exports, importados


def main():
    tamano = TAMANOS[0]
    paso(f"Base de datos {DB}: {miles(N)} casos, {etiqueta(tamano)}")
    tiempo_carga = preparar_base(DB, tamano)

    import django

    django.setup()

    medidas, exports, busqueda, importados, bases = [], [], "", [], []
    for indice, tamano in enumerate(TAMANOS):
        if indice:
            db = base_de(tamano, indice)
            paso(f"Base de datos {db}: copia de {DB} con {etiqueta(tamano)}")
            ultimo = indice == len(TAMANOS) - 1
            preparar_base(db, tamano, plantilla=DB, actividades=ACTIVIDADES if ultimo else 0)
        conteo = contar()
        paso(f"Páginas (tiempo de servidor) con {etiqueta(None, conteo)}")
        medidor = Medidor()
        cookie, caso_pk = medir_paginas(medidor, solo_busqueda=SOLO_BUSQUEDA)
        if SOLO_BUSQUEDA:
            return
        if not SOLO_PAGINAS:
            busqueda, exports, importados = datos_masivos(
                indice, tamano, busqueda, exports, importados
            )
        carga, nota = (None, "omitida (BENCH_CARGA=0)")
        if CARGA:
            paso("Carga con gunicorn + wrk")
            carga, nota = carga_con_wrk(cookie, caso_pk)
        medidas.append({"conteo": conteo, "medidor": medidor, "carga": carga, "nota_carga": nota})
        bases.append(
            {
                "db": base_de(tamano, indice) if indice else DB,
                "etiqueta": etiqueta(tamano),
                "caso_pk": caso_pk,
                "ejecutor": ejecutor_filtrado(),
            }
        )

    intercalada = []
    if len(bases) > 1:
        paso("Páginas con cada tamaño, por turnos")
        intercalada = tabla_intercalada(bases, comparar_intercalado(bases))
    if os.environ.get("BENCH_CONSERVAR") != "1":
        for base in bases[1:]:
            soltar_base(base["db"])

    texto = (
        tabla(medidas, exports, busqueda, tiempo_carga)
        + "\n".join(intercalada)
        + tabla_importacion(importados)
    )
    destino = RAIZ / "bench" / "results" / f"bench-{N}-{datetime.date.today():%Y%m%d}.md"
    destino.parent.mkdir(parents=True, exist_ok=True)
    destino.write_text(texto, encoding="utf-8")
    paso(f"Resultado (guardado en {destino.relative_to(RAIZ)})")
    print(texto)


if __name__ == "__main__":
    main()
