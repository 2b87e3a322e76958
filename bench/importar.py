"""Measure the import in a process of its own: time and peak memory (RSS).

Usage (DATABASE_URL names the database):
  python bench/importar.py preparar CASOS ARCHIVO   export CASOS cases that have 3 activities
      or more (exactly 3 first, then the newest) to ARCHIVO (XLSX) with 3 activity rows each
      (the issue's 10,000 cases with 30,000 activities), every Asunto and every activity's
      text changed: the file updates CASOS cases and the 3 activity rows of each;
  python bench/importar.py validar|importar|comando ARCHIVO   one measured run.

Each run is what the page or the command does, outside any transaction, so that a big file
is validated by worker processes (DJANGO_IMPORTACION_PROCESOS, default one per core; 1 for
none): ``validar`` times ``Importador.validar()`` (nothing is written); ``importar`` times
``Importador.importar()`` and ``comando`` ``manage.py importar_casos`` (which validates, then
imports), which write the changes for real; afterwards, not timed, an SQL update takes the
added suffixes off again and puts the cases it wrote back at their version (the
history keeps the import's records), so that the same file can be imported again. With
BENCH_PERFIL=FILE, under cProfile, whose stats go to FILE. Prints one JSON line: {"modo",
"casos", "actividades", "segundos", "pico_rss_mb", "pico_rss_trabajador_mb", "creados",
"actualizados", "errores", "cpu"}; "cpu" is where the time went, in CPU seconds: this process
("principal"), its worker processes ("trabajadores") and, when PostgreSQL runs on this
machine, all of its processes ("postgres": the import's connections, WAL writer,
checkpointer, autovacuum).
"""

import cProfile
import io
import json
import os
import re
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "efactory.settings.base")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count, Exists, OuterRef  # noqa: E402

from cases.exports import COLUMNAS_ACTIVIDADES, xlsx_archivo  # noqa: E402
from cases.importacion import Importador  # noqa: E402
from cases.models import Actividad, Caso  # noqa: E402

# The browser's limits (20,000 cases), or none with BENCH_SIN_LIMITE=1.
LIMITE = None if os.environ.get("BENCH_SIN_LIMITE") == "1" else 20_000


SUFIJO_CASO, SUFIJO_ACTIVIDAD = " (importado)", " (importada)"
FILAS_POR_CASO = 3


def preparar(casos: int, ruta: str):
    import openpyxl

    # The 10,000 cases with 30,000 activities: cases with exactly 3 activities
    # first, then with more, of which the file keeps 3 (FILAS_POR_CASO; the others stay
    # stored, unchanged, and are validated as the case's rows all the same).
    con_filas = Caso.objects.filter(Exists(Actividad.objects.filter(caso=OuterRef("pk"))))
    con_tres = con_filas.annotate(n=Count("actividades")).filter(n__gte=3)
    ids = list(con_tres.order_by("n", "-numero").values_list("pk", flat=True)[:casos])
    if len(ids) < casos:
        otros = con_filas.exclude(pk__in=ids).order_by("-numero")
        ids += list(otros.values_list("pk", flat=True)[: casos - len(ids)])
    qs = Caso.objects.filter(pk__in=ids).order_by("-numero")
    libro = openpyxl.load_workbook(xlsx_archivo(qs))
    for fila in libro["Casos"].iter_rows(min_row=2, min_col=2, max_col=2):
        fila[0].value = f"{fila[0].value}{SUFIJO_CASO}"
    # Every activity row changed too: each is validated whole and written.
    columna = COLUMNAS_ACTIVIDADES.index("Actividad") + 1
    hoja = libro["Actividades"]
    for fila in hoja.iter_rows(min_row=2, min_col=columna, max_col=columna):
        fila[0].value = f"{fila[0].value}{SUFIJO_ACTIVIDAD}"
    # At most FILAS_POR_CASO rows a case: the kept rows move up, the rest are deleted.
    por_caso, quedan = Counter(), []
    for valores in hoja.iter_rows(min_row=2, values_only=True):
        por_caso[valores[0]] += 1
        if por_caso[valores[0]] <= FILAS_POR_CASO:
            quedan.append(valores)
    for i, valores in enumerate(quedan, start=2):
        for j, valor in enumerate(valores, start=1):
            hoja.cell(i, j).value = valor
    if hoja.max_row > len(quedan) + 1:
        hoja.delete_rows(len(quedan) + 2, hoja.max_row - len(quedan) - 1)
    libro.save(ruta)


def medir(modo: str, ruta: str) -> dict:
    """One measured run, outside any transaction, as the page and the command run: a big
    file is validated by worker processes (cases/importacion.py:EnParalelo). ``importar``
    and ``comando`` write for real (the file's changes, committed); afterwards, not timed,
    the changed texts are put back as they were (restaurar())."""
    usuario = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    contenido = Path(ruta).read_bytes()
    try:
        resultado = cronometrar(modo, ruta, contenido, usuario)
    finally:
        memoria = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if modo != "validar":
            restaurar()
    resultado["modo"] = modo
    resultado["pico_rss_mb"] = round(memoria / 1024, 1)
    return resultado


def restaurar():
    """Put back what an import of preparar()'s file changed: the suffixes it added, and
    the version of the cases it wrote (one more after the import)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for tabla, columna, sufijo, extra in (
            ("cases_caso", "asunto", SUFIJO_CASO, ", version = version - 1"),
            ("cases_actividad", "descripcion", SUFIJO_ACTIVIDAD, ""),
        ):
            cursor.execute(
                f"UPDATE {tabla} SET {columna} = substr({columna}, 1, length({columna}) - %s)"
                f"{extra} WHERE {columna} LIKE %s",
                [len(sufijo), f"%{sufijo}"],
            )


def _procesos() -> Iterator[tuple[int, str, list[str]]]:
    """(pid, name, the fields of /proc/PID/stat after the name) of this machine's processes."""
    for entrada in Path("/proc").iterdir():
        if entrada.name.isdigit():
            try:
                texto = (entrada / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            nombre, resto = texto[texto.index("(") + 1 :].split(")", 1)
            yield int(entrada.name), nombre, resto.split()


def _pico_rss_mb(pid: int) -> float:
    """The peak RSS of a process since its exec (VmHWM), in MB; 0 when it is gone."""
    try:
        for linea in Path(f"/proc/{pid}/status").read_text().splitlines():
            if linea.startswith("VmHWM:"):
                return int(linea.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Muestreo(threading.Thread):
    """Samples, five times a second while a run goes on, the CPU time of the PostgreSQL
    processes of this machine (the workers' connections end with them, and their time with
    them, before the run's end) and the peak memory of this process's children (the
    workers: their own, since they were spawned; getrusage's RUSAGE_CHILDREN would count
    this process's pages in the child between fork and exec)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.tic = os.sysconf("SC_CLK_TCK")
        self.antes = self._postgres()
        self.ultimo = dict(self.antes)
        self.pico_hijos = 0.0
        self.parar = threading.Event()

    def _postgres(self) -> dict[int, float]:
        return {
            pid: (int(campos[11]) + int(campos[12])) / self.tic  # utime + stime
            for pid, nombre, campos in _procesos()
            if nombre.startswith("postgres")
        }

    def _muestra(self):
        self.ultimo.update(self._postgres())
        padre = str(os.getpid())
        for pid, _nombre, campos in _procesos():
            if campos[1] == padre:  # ppid
                self.pico_hijos = max(self.pico_hijos, _pico_rss_mb(pid))

    def run(self):
        while not self.parar.wait(0.2):
            self._muestra()

    def terminar(self) -> tuple[float, float]:
        """(CPU seconds of PostgreSQL during the run, the largest child's peak RSS in MB)."""
        self.parar.set()
        self.join()
        self._muestra()
        cpu = sum(cpu - self.antes.get(pid, 0.0) for pid, cpu in self.ultimo.items())
        return cpu, self.pico_hijos


def _cpu() -> tuple[float, float]:
    propio = resource.getrusage(resource.RUSAGE_SELF)
    hijos = resource.getrusage(resource.RUSAGE_CHILDREN)
    return propio.ru_utime + propio.ru_stime, hijos.ru_utime + hijos.ru_stime


def cronometrar(modo, ruta, contenido, usuario) -> dict:
    perfil = cProfile.Profile() if os.environ.get("BENCH_PERFIL") else None
    if perfil:
        perfil.enable()
    cpu_antes, muestreo = _cpu(), Muestreo()
    muestreo.start()
    inicio = time.perf_counter()
    if modo == "comando":
        salida = io.StringIO()
        call_command("importar_casos", ruta, "--sin-progreso", stdout=salida)
        # "… 0 casos nuevos, 10000 actualizados, 0 sin cambios …"
        creados, actualizados = re.search(
            r"(\d+) casos nuevos, (\d+) actualizados", salida.getvalue()
        ).groups()
        resultado = {"creados": int(creados), "actualizados": int(actualizados), "errores": 0}
    else:
        importador = Importador(io.BytesIO(contenido), Path(ruta).name, usuario, max_filas=LIMITE)
        r = importador.validar() if modo == "validar" else importador.importar()
        resultado = {
            "creados": r.creados,
            "actualizados": r.actualizados,
            "errores": len(r.errores),
            "primeros_errores": [e.texto() for e in r.errores[:3]],
            "casos": r.filas_casos,
            "actividades": r.filas_actividades,
        }
    resultado["segundos"] = round(time.perf_counter() - inicio, 2)
    (principal, trabajadores), (postgres, pico_hijos) = _cpu(), muestreo.terminar()
    resultado["cpu"] = {
        "principal": round(principal - cpu_antes[0], 1),
        "trabajadores": round(trabajadores - cpu_antes[1], 1),
        "postgres": round(postgres, 1),
    }
    # The workers': the largest of them (None: the file was validated in this process).
    resultado["pico_rss_trabajador_mb"] = round(pico_hijos, 1) if pico_hijos else None
    if perfil:
        perfil.disable()
        perfil.dump_stats(os.environ["BENCH_PERFIL"])
    return resultado


def main():
    if sys.argv[1] == "preparar":
        preparar(int(sys.argv[2]), sys.argv[3])
        print(json.dumps({"preparado": sys.argv[3]}))
        return
    print(json.dumps(medir(sys.argv[1], sys.argv[2])))


if __name__ == "__main__":
    main()
