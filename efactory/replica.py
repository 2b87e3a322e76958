"""Read replica: reports, charts and exports read from a PostgreSQL streaming replica.

``DATABASE_REPLICA_URL`` adds the ``replica`` alias (efactory/settings/base.py). Nothing reads
from it unless a view asks to: by default every query (editor, list, Próximos, Inicio, lupa,
import, auth, sessions) goes to ``default``. Only the report views (``/casos/horas/``,
``/casos/graficos/``, ``/actividades/``, ``/casos/exportar/``) take :class:`LecturaEnReplica`.

How a request chooses (:func:`elegir_lectura`, once, before the view runs):

- no ``replica`` alias → ``default``, and no query is spent on it;
- the replica failed less than ``REPLICA_ESPERA_TRAS_FALLO`` seconds ago in this process →
  ``default`` at once (no request waits for a connect timeout while it stays down);
- otherwise one cheap query on the replica (:func:`medir_retraso`) both proves it answers
  and says how far behind it is; if it fails (refused, ``connect_timeout``, a dropped
  connection) the failure is remembered and the request reads from ``default``.

The choice lives in a context variable that :class:`RouterDeReplica` reads in
``db_for_read``; ``db_for_write`` is always ``default`` (an instance read from the replica
saves to the primary), auth, sessions, content types and axes always read from ``default``,
and migrations never run on the replica. The mixin renders a ``TemplateResponse`` inside the
context (template-time queries, e.g. a page's rows, still read the replica) and, for a
streamed answer (CSV), sets the variable again around each chunk, because the stream is
consumed after the view has returned.

Should the replica die in the middle of a request (an ``OperationalError`` or
``InterfaceError`` while the view or its template runs), the failure is remembered and the
whole view runs again on ``default``: the page still answers, saying where its data came
from. A CSV stream that breaks after its first bytes went out cannot start over: the
download ends short, the failure is remembered and the next request reads the primary.
Report pages show :class:`Lectura` in ``templates/includes/_frescura.html``.
"""

import contextlib
import logging
import math
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

REPLICA = "replica"
# Errors of a connection that is gone or unreachable (also a query cancelled by a recovery
# conflict on the standby); other database errors are bugs and are not retried.
ERRORES_DE_CONEXION = (OperationalError, InterfaceError)
# Never read from the replica: logins, sessions and lockouts must see the latest write.
SIEMPRE_PRINCIPAL = {"auth", "sessions", "contenttypes", "axes", "admin"}

logger = logging.getLogger(__name__)

_alias_de_lectura: ContextVar[str | None] = ContextVar("alias_de_lectura", default=None)
_caida_hasta = 0.0  # time.monotonic() until which the replica counts as down (this process)

# On the replica: True and the seconds behind when it has WAL it has not replayed yet (or no
# WAL receiver running: it cannot know what it misses). An idle primary writes no commits, so
# now() - pg_last_xact_replay_timestamp() grows while the replica is fully caught up: the
# received and replayed positions are what says "up to date".
SQL_RETRASO = """
    SELECT pg_is_in_recovery() AND (
               pg_last_wal_receive_lsn() IS DISTINCT FROM pg_last_wal_replay_lsn()
               OR NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
           ),
           EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
"""


@dataclass(frozen=True)
class Lectura:
    """Where a request reads its report data from, and how fresh that data is.

    ``origen``: ``principal`` (no replica configured), ``replica`` or ``respaldo`` (the
    replica is configured but did not answer: the primary stands in). ``retraso``: seconds
    behind the primary (None: up to date; ``float("nan")``: behind by an unknown amount).
    """

    alias: str
    origen: str
    retraso: float | None = None

    @property
    def al_dia(self) -> bool:
        return self.retraso is None

    @property
    def segundos(self) -> int | None:
        """The delay in whole seconds (None when up to date or unknown)."""
        if self.retraso is None or not math.isfinite(self.retraso):
            return None
        return max(0, round(self.retraso))


PRINCIPAL = Lectura(DEFAULT_DB_ALIAS, "principal")
RESPALDO = Lectura(DEFAULT_DB_ALIAS, "respaldo")


def replica_configurada() -> bool:
    return REPLICA in settings.DATABASES


def replica_caida() -> bool:
    """Whether the replica failed within the last ``REPLICA_ESPERA_TRAS_FALLO`` seconds."""
    return time.monotonic() < _caida_hasta


def recordar_caida(error: Exception | None = None):
    """Count the replica as down for a while (this process) and drop its connection."""
    global _caida_hasta
    _caida_hasta = time.monotonic() + settings.REPLICA_ESPERA_TRAS_FALLO
    logger.warning("Read replica unavailable, reading from the primary: %s", error)
    with contextlib.suppress(Exception):
        connections[REPLICA].close()


def olvidar_caida():
    """Forget a remembered failure (the next request tries the replica again)."""
    global _caida_hasta
    _caida_hasta = 0.0


def medir_retraso(conexion) -> float | None:
    """Seconds the replica is behind (None: up to date), in one query that also proves the
    replica answers (raises the connection's error when it does not)."""
    if conexion.vendor != "postgresql":
        conexion.ensure_connection()
        return None
    with conexion.cursor() as cursor:
        cursor.execute(SQL_RETRASO)
        atrasada, segundos = cursor.fetchone()
    if not atrasada:
        return None
    return float(segundos) if segundos is not None else math.inf


def elegir_lectura() -> Lectura:
    """Where this request's report reads go (see the module docstring)."""
    if not replica_configurada():
        return PRINCIPAL
    if replica_caida():
        return RESPALDO
    try:
        retraso = medir_retraso(connections[REPLICA])
    except ERRORES_DE_CONEXION as error:
        recordar_caida(error)
        return RESPALDO
    return Lectura(REPLICA, "replica", retraso)


@contextlib.contextmanager
def leer_de(alias: str | None):
    """Inside the block, reads the router may send to a replica go to ``alias``."""
    token = _alias_de_lectura.set(alias)
    try:
        yield
    finally:
        _alias_de_lectura.reset(token)


def en_alias(partes, alias: str):
    """Iterate ``partes`` (a streamed response's content) reading from ``alias``.

    The variable is set around each ``next()`` only: between chunks the server's own code
    runs outside it, and nothing leaks into the next request of the thread.
    """
    iterador = iter(partes)
    try:
        while True:
            with leer_de(alias):
                try:
                    parte = next(iterador)
                except StopIteration:
                    return
                except ERRORES_DE_CONEXION as error:
                    recordar_caida(error)
                    raise
            yield parte
    finally:
        cerrar = getattr(iterador, "close", None)
        if cerrar is not None:
            cerrar()


class RouterDeReplica:
    """Sends reads to the alias a view chose (:func:`leer_de`); everything else to default."""

    def db_for_read(self, model, **hints):
        alias = _alias_de_lectura.get()
        if alias is None or alias not in settings.DATABASES:
            return None  # Django's own choice: default (or the hinted instance's database)
        if model._meta.app_label in SIEMPRE_PRINCIPAL:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == REPLICA:
            return False
        return None


class LecturaEnReplica:
    """View mixin: this view's reads may go to the replica (reports, charts, exports).

    Put it after ``PermissionRequiredMixin``, so the permission check runs first and a
    refused request costs the replica nothing. ``self.lectura`` (also ``lectura`` in the
    template context) says where the data came from.
    """

    lectura: Lectura = PRINCIPAL

    def dispatch(self, request, *args, **kwargs):
        self.lectura = elegir_lectura()
        if self.lectura.alias == DEFAULT_DB_ALIAS:
            return super().dispatch(request, *args, **kwargs)
        try:
            with leer_de(self.lectura.alias):
                respuesta = super().dispatch(request, *args, **kwargs)
                if callable(getattr(respuesta, "render", None)) and not respuesta.is_rendered:
                    respuesta.render()
        except ERRORES_DE_CONEXION as error:
            # The replica died mid-request: the same view again, on the primary.
            recordar_caida(error)
            self.lectura = RESPALDO
            return super().dispatch(request, *args, **kwargs)
        if respuesta.streaming and getattr(respuesta, "file_to_stream", None) is None:
            respuesta.streaming_content = en_alias(respuesta.streaming_content, REPLICA)
        return respuesta

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lectura"] = self.lectura
        return context
