"""Imports in the background: a thread of the web process validates or imports the file of an
:class:`~cases.models.Importacion` while its page shows the progress (issue 13: a file of
20,000 cases takes minutes; never a page that just hangs).

Everything the page needs is in the database, so any instance of the app can answer the
page and its progress (``/casos/importar/<id>/progreso/``), whichever runs the thread. The
thread writes its progress through a second connection (the ``progreso`` database alias),
outside the transaction of the import's own writes, which others cannot see before it
commits. If the process stops mid-run (a deploy's SIGTERM, a crash), the import's
transaction is rolled back with its connection and the record stops reporting: after
``Importacion.SIN_LATIDO`` the page calls it interrupted and offers to validate again.

With ``settings.IMPORTACION_EN_SEGUNDO_PLANO`` off (the test suite) the same work runs
inside the request.
"""

import io
import logging
import threading
import time
import weakref

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from .importacion import Importador
from .models import Importacion

logger = logging.getLogger(__name__)
VALIDAR, IMPORTAR = "validar", "importar"
CADA = 1.0  # seconds between two progress reports


def lanzar(importacion: Importacion, accion: str) -> None:
    """Run ``accion`` on ``importacion`` once the current transaction commits: in a thread
    of its own, or right away when IMPORTACION_EN_SEGUNDO_PLANO is off."""
    if not settings.IMPORTACION_EN_SEGUNDO_PLANO:
        ejecutar(importacion.pk, accion)
        return
    hilo = threading.Thread(
        target=_hilo, args=(importacion.pk, accion), name=f"importacion-{importacion.pk}"
    )
    # A process that exits on its own does not wait for it; a gunicorn worker told to stop
    # (deploy, max_requests) waits for it up to its graceful timeout: see esperar().
    hilo.daemon = True
    transaction.on_commit(hilo.start)
    _hilos.add(hilo)


_hilos: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()


def esperar(segundos: float) -> int:
    """Wait up to ``segundos`` in all for this process's running imports; return how many are
    still running. A gunicorn worker calls it as it stops (SIGTERM of a rolling
    deploy, max_requests recycling), so a run that ends within the graceful timeout is not
    cut off (what still runs then is shown as interrupted, and can be validated again)."""
    limite = time.monotonic() + segundos
    for hilo in list(_hilos):
        if hilo.is_alive():
            hilo.join(max(0.0, limite - time.monotonic()))
    return sum(1 for hilo in list(_hilos) if hilo.is_alive())


def esperar_al_detenerse(sender, segundos: float, **kwargs) -> int:
    """Receiver of efactory.trabajador.deteniendose (connected in CasesConfig.ready)."""
    return esperar(segundos)


def _hilo(pk: int, accion: str) -> None:
    try:
        ejecutar(pk, accion)
    except Exception:
        # The record stays "en curso" and is shown as interrupted once it stops reporting.
        logger.exception("La importación %s se detuvo con un error.", pk)
    finally:
        connections.close_all()  # this thread's own connections


class Avance:
    """Reports a run's progress (at most once a second) through the ``progreso`` connection."""

    def __init__(self, pk: int, escribe: bool):
        self.pk = pk
        self.ultimo = 0.0
        # SQLite lets one connection write at a time: while the import writes, its progress
        # would wait for it (the page then shows no percentage, see Importacion.interrumpida).
        self.mudo = escribe and connections["progreso"].vendor == "sqlite"

    def __call__(self, hechas: int, total: int | None) -> None:
        if not settings.IMPORTACION_EN_SEGUNDO_PLANO or self.mudo:
            return
        ahora = time.monotonic()
        if ahora - self.ultimo < CADA:
            return
        self.ultimo = ahora
        try:
            Importacion.objects.using("progreso").filter(pk=self.pk).update(
                procesadas=hechas, total=total, latido=timezone.now()
            )
        except DatabaseError:
            logger.warning("Sin avance para la importación %s.", self.pk)


def anotar(importacion: Importacion, resultado) -> None:
    """Copy a run's counts and errors into its record (not saved)."""
    importacion.filas_casos = resultado.filas_casos
    importacion.filas_actividades = resultado.filas_actividades
    importacion.creados = resultado.creados
    importacion.actualizados = resultado.actualizados
    importacion.sin_cambios = resultado.sin_cambios
    importacion.segundos = resultado.segundos
    importacion.errores = [[e.hoja, e.fila, e.columna, e.mensaje] for e in resultado.errores]
    importacion.procesadas = importacion.total = resultado.filas_casos
    importacion.latido = timezone.now()


def ejecutar(pk: int, accion: str) -> None:
    importacion = Importacion.objects.select_related("usuario", "importado_por").get(pk=pk)
    importador = Importador(
        io.BytesIO(bytes(importacion.archivo)),
        importacion.nombre,
        importacion.importado_por or importacion.usuario,
        progreso=Avance(pk, escribe=accion == IMPORTAR),
    )
    if accion == VALIDAR:
        resultado = importador.validar()
        anotar(importacion, resultado)
        importacion.estado = (
            Importacion.Estado.CON_ERRORES if resultado.errores else Importacion.Estado.VALIDADA
        )
        _guardar_si(importacion, Importacion.Estado.VALIDANDO)
        return

    def importada(resultado):
        # The record says "imported" in the same transaction as the writes.
        anotar(importacion, resultado)
        importacion.estado = Importacion.Estado.IMPORTADA
        importacion.importado_en = timezone.now()
        _guardar_si(importacion, Importacion.Estado.IMPORTANDO)
        importacion.casos.add(*resultado.casos)

    # No transaction around it (its workers could not validate): importar() opens its own.
    resultado = importador.importar(nuevos=importacion.creados, al_terminar=importada)
    if resultado.errores:
        # Nothing was written: the data changed since the validation.
        anotar(importacion, resultado)
        importacion.estado = Importacion.Estado.CON_ERRORES
        _guardar_si(importacion, Importacion.Estado.IMPORTANDO)


def _guardar_si(importacion: Importacion, estado_previo: str) -> None:
    """Save the run's outcome only if the record is still in ``estado_previo`` (a run that
    was given up for interrupted and started again must not overwrite the new one)."""
    campos = {
        f.attname: getattr(importacion, f.attname)
        for f in Importacion._meta.concrete_fields
        if f.name not in ("id", "archivo", "usuario", "creado_en", "nombre")
    }
    Importacion.objects.filter(pk=importacion.pk, estado=estado_previo).update(**campos)
