"""Measure the import in a process of its own: time and peak memory (RSS).

Usage (DATABASE_URL names the database):
  python bench/importar.py preparar CASOS ARCHIVO   export the CASOS newest cases that have
      activities to ARCHIVO (XLSX), every Asunto changed: the file updates CASOS cases and
      (see below) adds their activities back;
  python bench/importar.py validar|importar|comando ARCHIVO   one measured run.

Each run works inside a transaction that it rolls back at the end, so the database is left as
it was: first (not timed) it deletes the stored activities of the file's cases, so that the
file's Actividades rows are new rows to validate and insert (every ejecutor and artículo
made active, so that the demo's inactive ones do not make errors); then it times
``Importador.validar()``, ``Importador.importar()`` or ``manage.py importar_casos`` (which
validates, then imports); with BENCH_PERFIL=FILE, under cProfile, whose stats go to FILE.
Prints one JSON line: {"modo", "casos", "actividades", "segundos", "pico_rss_mb", "creados",
"actualizados", "errores"}.
"""

import cProfile
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "efactory.settings.base")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count, Exists, OuterRef  # noqa: E402

from cases.exports import xlsx_archivo  # noqa: E402
from cases.importacion import Importador  # noqa: E402
from cases.models import Actividad, Articulo, Caso, Ejecutor  # noqa: E402
from efactory.estatus import Estatus  # noqa: E402

# The browser's limits (20,000 cases), or none with BENCH_SIN_LIMITE=1.
LIMITE = None if os.environ.get("BENCH_SIN_LIMITE") == "1" else 20_000


class Deshacer(Exception):
    pass


def preparar(casos: int, ruta: str):
    import openpyxl

    # Cases with 3 activities or more first (the 10,000 cases with 30,000 rows).
    con_filas = Caso.objects.filter(Exists(Actividad.objects.filter(caso=OuterRef("pk"))))
    con_tres = con_filas.annotate(n=Count("actividades")).filter(n__gte=3)
    ids = list(con_tres.order_by("-numero").values_list("pk", flat=True)[:casos])
    if len(ids) < casos:
        otros = con_filas.exclude(pk__in=ids).order_by("-numero")
        ids += list(otros.values_list("pk", flat=True)[: casos - len(ids)])
    qs = Caso.objects.filter(pk__in=ids).order_by("-numero")
    libro = openpyxl.load_workbook(xlsx_archivo(qs))
    for fila in libro["Casos"].iter_rows(min_row=2, min_col=2, max_col=2):
        fila[0].value = f"{fila[0].value} (importado)"
    libro.save(ruta)


def medir(modo: str, ruta: str) -> dict:
    usuario = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    contenido = Path(ruta).read_bytes()
    resultado = {}
    try:
        with transaction.atomic():
            numeros = [
                int(v)
                for (v,) in __import__("openpyxl")
                .load_workbook(io.BytesIO(contenido), read_only=True)["Casos"]
                .iter_rows(min_row=2, max_col=1, values_only=True)
                if v
            ]
            Actividad.objects.filter(caso__numero__in=numeros).delete()
            # The demo's inactive ejecutores and artículos keep rows that the editor (and so
            # the import) would not accept as new: all active, so that the file is valid.
            Ejecutor.objects.update(estatus=Estatus.ACTIVO)
            Articulo.objects.update(activo=True)
            perfil = cProfile.Profile() if os.environ.get("BENCH_PERFIL") else None
            if perfil:
                perfil.enable()
            inicio = time.perf_counter()
            if modo == "comando":
                call_command("importar_casos", ruta, "--sin-progreso", stdout=io.StringIO())
                resultado = {"creados": 0, "actualizados": len(numeros), "errores": 0}
            else:
                importador = Importador(
                    io.BytesIO(contenido), Path(ruta).name, usuario, max_filas=LIMITE
                )
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
            if perfil:
                perfil.disable()
                perfil.dump_stats(os.environ["BENCH_PERFIL"])
            raise Deshacer
    except Deshacer:
        pass
    resultado["modo"] = modo
    resultado["pico_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return resultado


def main():
    if sys.argv[1] == "preparar":
        preparar(int(sys.argv[2]), sys.argv[3])
        print(json.dumps({"preparado": sys.argv[3]}))
        return
    print(json.dumps(medir(sys.argv[1], sys.argv[2])))


if __name__ == "__main__":
    main()
