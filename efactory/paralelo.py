"""Worker processes that run Django code on the other cores (the import's validation).

CPython runs one thread of Python at a time, so the only way a long validation uses more
than one core is more processes. Each worker is *spawned* (not forked: the web process that
asks runs threads, and a forked copy of a thread's locks and connections is unsafe), sets
Django up with the settings module and the database the parent uses (in the test suite, its
test database), activates the parent's language (the workers write the Spanish messages),
and then runs the tasks it is given.

A worker has its own database connection and sees only what is committed: the parent must
not be inside a transaction whose rows the workers should see (:func:`disponible`). A worker
whose parent is gone (killed, or stopped past its graceful timeout) ends within a second:
otherwise it would wait for work forever, holding its connection.
"""

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

# What a worker takes from the parent's default database (the test suite renames it).
CLAVES_DE_LA_BASE = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


# Without a setting, one worker per core up to this many: each holds a database connection
# and a hundred-odd MB while it runs, and a big server's cores serve requests too.
POR_DEFECTO_HASTA = 4


def procesos() -> int:
    """How many workers a long task may use: ``IMPORTACION_PROCESOS``, or (0) one per core
    up to POR_DEFECTO_HASTA."""
    from django.conf import settings

    pedidos = getattr(settings, "IMPORTACION_PROCESOS", 0)
    if not pedidos:
        pedidos = min(os.cpu_count() or 1, POR_DEFECTO_HASTA)
    return max(1, int(pedidos))


def disponible() -> bool:
    """Whether workers can share this process's work: more than one of them, and a database
    they can read what this process reads from (PostgreSQL, outside a transaction: an
    in-memory SQLite database, or rows not committed yet, would be invisible to them)."""
    from django.db import connection

    return procesos() > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block


def grupo(trabajadores: int) -> ProcessPoolExecutor:
    """A pool of ``trabajadores`` spawned workers set up as this process is."""
    from django.conf import settings
    from django.db import connection
    from django.utils import translation

    base = {clave: connection.settings_dict[clave] for clave in CLAVES_DE_LA_BASE}
    # Under override_settings (the tests) the holder of the overrides has no module name.
    modulo = settings.SETTINGS_MODULE or os.environ["DJANGO_SETTINGS_MODULE"]
    return ProcessPoolExecutor(
        max_workers=trabajadores,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_iniciar,
        initargs=(modulo, base, translation.get_language()),
    )


def _iniciar(modulo: str, base: dict, idioma: str | None) -> None:
    """Set a worker up: Django with the parent's settings, database and language."""
    _vigilar_al_padre(os.getppid())
    os.environ["DJANGO_SETTINGS_MODULE"] = modulo
    import django
    from django.conf import settings

    # Before any connection exists: they are made from these settings.
    settings.DATABASES["default"].update(base)
    django.setup()
    from django.utils import translation

    if idioma:
        translation.activate(idioma)


def _vigilar_al_padre(padre: int, cada: float = 1.0) -> None:
    """End this worker as soon as its parent is gone (it is then another process's child)."""

    def vigilar():
        while os.getppid() == padre:
            time.sleep(cada)
        os._exit(1)

    threading.Thread(target=vigilar, name="vigia-del-padre", daemon=True).start()
