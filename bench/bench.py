"""`make bench`: eFactory Casos at scale on PostgreSQL, measured against Django admin.

Builds (or reuses) a PostgreSQL database with BENCH_CASOS cases (default 1,000,000, about 3
activities each) and 5,000 clients through the bulk path of ``manage.py demo``, then measures
in one run, with warm-up and BENCH_REPETICIONES repetitions (default 20), the server time
(p50, p95: the Django request cycle in this process, no network) and the query count of each
page, the raw SQL time of each page's main query (EXPLAIN ANALYZE), Django admin's changelist
on the same data, the streamed exports (time and peak RSS, each in a process of its own) and,
with BENCH_CARGA=1 (default), throughput under gunicorn with wrk at 8 concurrent clients.

It prints a Markdown table and saves it under bench/results/. No thresholds are asserted here:
the targets are in the table's last column and in the README.

Environment: BENCH_CASOS, BENCH_DB (default efactory_bench_<N>), BENCH_REPETICIONES,
BENCH_CARGA (0 to skip gunicorn + wrk), BENCH_PG (default postgres://postgres@127.0.0.1:5432),
BENCH_SOLO=busqueda (only the list's text searches and their plans: a quick before/after).
"""

import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_CASOS", "1000000"))
CLIENTES = int(os.environ.get("BENCH_CLIENTES", "5000" if N >= 100_000 else "500"))
REPS = max(int(os.environ.get("BENCH_REPETICIONES", "20")), 1)
CARGA = os.environ.get("BENCH_CARGA", "1") == "1"
SOLO_BUSQUEDA = os.environ.get("BENCH_SOLO") == "busqueda"
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
URL = f"{PG}/{DB}"
FILAS_EXPORT = min(100_000, N)
PYTHON = sys.executable

os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "efactory.settings.base")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
sys.path.insert(0, str(RAIZ))


def paso(texto):
    print(f"\n== {texto}", flush=True)


def manage(*args):
    subprocess.run([PYTHON, str(RAIZ / "manage.py"), *args], check=True, cwd=RAIZ)


def preparar_base():
    """Create the database if needed, migrate, top it up to N cases, refresh statistics."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        existe = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone()
        if not existe:
            conn.execute(f'CREATE DATABASE "{DB}"')
    manage("migrate", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")  # production static storage (manifest)
    inicio = time.perf_counter()
    manage("demo", "--clientes", str(CLIENTES), "--casos", str(N), "-v", "0")
    carga = time.perf_counter() - inicio
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return carga


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

    def medir(self, nombre, peticion, objetivo="", sql_principal=True, reps=REPS):
        """Warm up, then time ``reps`` calls; count queries and EXPLAIN ANALYZE the main one."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for _ in range(3):
            respuesta = peticion()
            assert respuesta.status_code in (200, 302), (nombre, respuesta.status_code)
        tiempos = []
        for _ in range(reps):
            inicio = time.perf_counter()
            respuesta = peticion()
            tiempos.append((time.perf_counter() - inicio) * 1000)
            if hasattr(respuesta, "streaming_content"):
                for _trozo in respuesta.streaming_content:
                    pass
        with CaptureQueriesContext(connection) as consultas:
            peticion()
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
            "sql_ms": sql_ms,
            "objetivo": objetivo,
        }
        self.filas.append(fila)
        print(
            f"  {nombre}: p50 {fila['p50']:.1f} ms, p95 {fila['p95']:.1f} ms, "
            f"{fila['consultas']} consultas, SQL principal {sql_ms or 0:.1f} ms",
            flush=True,
        )
        return fila


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


def tabla(medidor, exports, carga, nota_carga, busqueda, tiempo_carga, conteo):
    filas = {f["pagina"]: f for f in medidor.filas}
    admin = {k: v for k, v in filas.items() if k.startswith("Admin")}
    pares = {
        "Lista, primera página": "Admin changelist",
        "Lista filtrada (etapa + ejecutor)": "Admin changelist filtrado (etapa)",
        "Lista, búsqueda de texto": "Admin changelist con búsqueda",
    }
    ahora = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lineas = [
        f"### eFactory Casos — banco de pruebas ({conteo['casos']:,} casos, "
        f"{conteo['actividades']:,} actividades, {conteo['clientes']:,} clientes)".replace(
            ",", "."
        ),
        "",
        f"{ahora} · {platform.node()} · {os.cpu_count()} núcleos · Python "
        f"{platform.python_version()} · PostgreSQL {conteo['pg']} · {REPS} repeticiones tras 3 "
        f"de calentamiento · carga de datos {tiempo_carga:.0f} s",
        "",
        "| página | p50 ms | p95 ms | consultas | SQL principal ms | p50 ÷ SQL | "
        "÷ admin (p95) | objetivo |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for f in medidor.filas:
        ratio_sql = f"{f['p50'] / f['sql_ms']:.1f}×" if f["sql_ms"] else "—"
        par = pares.get(f["pagina"])
        ratio_admin = f"{f['p95'] / admin[par]['p95']:.2f}" if par and par in admin else "—"
        sql = f"{f['sql_ms']:.1f}" if f["sql_ms"] else "—"
        lineas.append(
            f"| {f['pagina']} | {f['p50']:.1f} | {f['p95']:.1f} | {f['consultas']} | {sql} | "
            f"{ratio_sql} | {ratio_admin} | {f['objetivo']} |"
        )
    lineas += [
        "",
        "| exportación | filas | segundos | MB | pico RSS MB | objetivo |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for e in exports:
        lineas.append(
            f"| {e['formato'].upper()} | {e['filas']:,} | {e['segundos']:.1f} | "
            f"{e['bytes'] / 1e6:.1f} | {e['pico_rss_mb']:.0f} | ≤ 150 MB de pico |".replace(
                ",", "."
            )
        )
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


def main():
    paso(f"Base de datos {DB}: {N:,} casos".replace(",", "."))
    tiempo_carga = preparar_base()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cases.models import Actividad, Caso, Ejecutor
    from customers.models import Cliente

    conteo = {
        "casos": Caso.objects.count(),
        "actividades": Actividad.objects.count(),
        "clientes": Cliente.objects.count(),
        "pg": connection.cursor().connection.info.server_version,
    }
    conteo["pg"] = f"{conteo['pg'] // 10000}.{conteo['pg'] % 100}"
    User = get_user_model()
    coordinador = User.objects.get(username="coordinador")
    admin = User.objects.get(username="admin")
    medidor = Medidor()
    cliente = medidor.Client()
    cliente.force_login(coordinador)
    cliente_admin = medidor.Client()
    cliente_admin.force_login(admin)
    caso = caso_de_500()
    ejecutor = (
        Ejecutor.objects.filter(estatus="activo").order_by("pk").values_list("pk", flat=True)[1]
    )

    paso("Páginas (tiempo de servidor)")
    objetivo_lista = "p95 ≤ 150 ms y ≤ ½ admin"
    medidor.medir("Lista, primera página", lambda: cliente.get("/casos/"), objetivo_lista)
    medidor.medir(
        "Lista filtrada (etapa + ejecutor)",
        lambda: cliente.get(f"/casos/?etapa=retrasada&ejecutor={ejecutor}"),
        objetivo_lista,
    )
    for nombre, q in BUSQUEDAS.items():
        medidor.medir(nombre, lambda q=q: cliente.get("/casos/", {"q": q}), objetivo_lista)
    if SOLO_BUSQUEDA:
        for q in BUSQUEDAS.values():
            print(f"\n  EXPLAIN q={q!r}\n{plan_busqueda(q)}", flush=True)
        return
    medidor.medir(
        "Lista ordenada por cliente", lambda: cliente.get("/casos/?orden=cliente"), "p95 ≤ 150 ms"
    )
    medidor.medir(
        "Lista, página 2000", lambda: cliente.get("/casos/?page=2000"), "≤ 2× la página 1"
    )
    medidor.medir(
        "Editor GET (500 actividades)",
        lambda: cliente.get(f"/casos/{caso.pk}/editar/"),
        "≤ 500 ms",
    )
    rep = iter(range(10_000))
    medidor.medir(
        "Editor: guardar 1 renglón cambiado de 500",
        lambda: cliente.post(f"/casos/{caso.pk}/editar/", datos_editor(caso, next(rep))),
        "≤ 20 consultas",
        sql_principal=False,
    )
    medidor.medir("Próximos Casos a Ejecutar", lambda: cliente.get("/casos/proximos/"))
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
    busqueda = plan_busqueda(BUSQUEDA_PLAN)

    paso(f"Exportaciones de {FILAS_EXPORT:,} filas".replace(",", "."))
    exports = [exportar("csv"), exportar("xlsx")]
    for e in exports:
        print(f"  {e}", flush=True)

    carga, nota = (None, "omitida (BENCH_CARGA=0)")
    if CARGA:
        paso("Carga con gunicorn + wrk")
        cliente.get("/casos/")
        carga, nota = carga_con_wrk(cliente.cookies["sessionid"].value, caso.pk)

    texto = tabla(medidor, exports, carga, nota, busqueda, tiempo_carga, conteo)
    destino = RAIZ / "bench" / "results" / f"bench-{N}-{datetime.date.today():%Y%m%d}.md"
    destino.parent.mkdir(parents=True, exist_ok=True)
    destino.write_text(texto, encoding="utf-8")
    paso(f"Resultado (guardado en {destino.relative_to(RAIZ)})")
    print(texto)


if __name__ == "__main__":
    main()
