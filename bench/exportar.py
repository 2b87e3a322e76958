"""Measure one streamed export in a process of its own: time and peak memory (RSS).

Usage: python bench/exportar.py csv|xlsx FILAS  (DATABASE_URL names the database).
Prints one JSON line: {"formato", "filas", "segundos", "bytes", "pico_rss_mb"}.
"""

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

from cases.exports import csv_stream, xlsx_archivo  # noqa: E402
from cases.filters import ordenar  # noqa: E402
from cases.models import Caso  # noqa: E402


def main():
    formato, filas = sys.argv[1], int(sys.argv[2])
    # The export view's queryset: the list's default ordering, here cut to `filas` rows.
    qs = ordenar(Caso.objects.all(), "-numero")[:filas]
    inicio = time.perf_counter()
    total = 0
    if formato == "csv":
        for trozo in csv_stream(qs):
            total += len(trozo.encode("utf-8"))
    else:
        archivo = xlsx_archivo(qs)
        while bloque := archivo.read(1 << 16):
            total += len(bloque)
        archivo.close()
    segundos = time.perf_counter() - inicio
    pico = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "formato": formato,
                "filas": filas,
                "segundos": round(segundos, 2),
                "bytes": total,
                "pico_rss_mb": round(pico, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
