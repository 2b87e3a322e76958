"""The gunicorn worker of eFactory Casos (deploy/gunicorn.conf.py: ``worker_class``).

Gunicorn's sync worker, with a graceful stop that loses nothing. When an instance gets SIGTERM
(systemd in a rolling deploy) gunicorn's master closes its copy of the listening socket and
tells each worker to stop; a sync worker finishes the request in hand and exits. Connections
that nginx had already opened and that wait in the socket's queue, unaccepted, are then reset
by the kernel when the last worker closes the socket. nginx passes a GET on to the other
instance, but not a POST, since it was already sent (``proxy_next_upstream`` retries
idempotent requests only): the person saving a case would get a 502. `make carga` saw it.

So a stopping worker drains the queue before it lets go of the socket: it serves the POSTs
and other writes queued there, and answers the reads (GET, HEAD, OPTIONS) 503 with
``Connection: close``. nginx passes such a read on to another instance (``proxy_next_upstream
http_503``) and, with ``max_fails=1``, sends this instance nothing more for ``fail_timeout``:
the queue then stays empty, and once no connection has come for ``SILENCIO`` seconds the worker
lets go. Then it sends :data:`deteniendose`, whose receivers wait for the work running in the
process's threads (cases.tareas.esperar: imports). All of it within gunicorn's graceful
timeout. (Serving the reads too would not do: nginx keeps
sending to an instance that answers well, and the queue would never empty.)
"""

import select
import time

from django.dispatch import Signal
from gunicorn.workers.sync import SyncWorker

SILENCIO = 0.3  # seconds without a new connection before a stopping worker exits


# Sent by a stopping worker with ``segundos`` (what is left of the graceful timeout); a
# receiver waits for its threads up to then and returns how many are still running.
deteniendose = Signal()
LECTURAS = frozenset({"GET", "HEAD", "OPTIONS"})


def lecturas_a_otra_instancia(app):
    """``app`` for writes; reads get a 503 that nginx retries elsewhere."""

    def aplicacion(environ, start_response):
        if environ.get("REQUEST_METHOD") in LECTURAS:
            start_response(
                "503 Service Unavailable",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Retry-After", "1"),
                    ("Connection", "close"),
                ],
            )
            return ["Esta instancia se está deteniendo; intente de nuevo.".encode()]
        return app(environ, start_response)

    return aplicacion


class Trabajador(SyncWorker):
    def run(self):
        super().run()
        limite = time.monotonic() + max(1.0, self.cfg.graceful_timeout - 2)
        self.wsgi = lecturas_a_otra_instancia(self.wsgi)
        self.servir_la_cola(limite)
        respuestas = deteniendose.send(
            sender=type(self), segundos=max(0.0, limite - time.monotonic())
        )
        quedan = sum(quedan or 0 for _, quedan in respuestas)
        if quedan:
            self.log.warning("%s importación(es) en curso interrumpida(s) al detenerse.", quedan)

    def servir_la_cola(self, limite: float) -> int:
        """Accept and serve the connections already queued (and those that keep arriving)
        until none has come for SILENCIO seconds or ``limite`` (monotonic) is reached."""
        servidas = 0
        while time.monotonic() < limite:
            self.notify()  # still alive for the master while draining
            listos, _, _ = select.select(self.sockets, [], [], SILENCIO)
            if not listos:
                break
            for listener in listos:
                try:
                    cliente, direccion = listener.accept()
                except BlockingIOError:
                    continue  # another worker took it
                cliente.setblocking(True)
                self.handle(listener, cliente, direccion)
                servidas += 1
        return servidas
