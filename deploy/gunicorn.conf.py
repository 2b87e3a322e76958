"""gunicorn settings for one instance of eFactory Casos (``gunicorn -c deploy/gunicorn.conf.py``).

Every value can be overridden from the environment (deploy/efactory.env.example) or on the
command line (``--bind``, ``--workers``), which wins over this file. The systemd unit
deploy/systemd/efactory@.service starts one instance per port with it; ``make carga`` starts
two behind nginx with it.
"""

import multiprocessing
import os

# One instance listens on loopback only: nginx on the same host is its only client, so the
# X-Forwarded-* headers it sets can be trusted (forwarded_allow_ips below).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")

# Sync workers: each serves one request at a time, and the app's work is CPU and short SQL.
# Gunicorn's rule of thumb, 2 × cores + 1, is for the whole host: with several instances on
# one host (GUNICORN_INSTANCIAS) each takes its share.
_instancias = max(1, int(os.environ.get("GUNICORN_INSTANCIAS", "1")))
workers = int(
    os.environ.get("GUNICORN_WORKERS", max(2, (2 * multiprocessing.cpu_count() + 1) // _instancias))
)
# gunicorn's sync worker, whose graceful stop also serves the connections already queued and
# waits for running imports (efactory/trabajador.py).
worker_class = "efactory.trabajador.Trabajador"

# A request that takes longer than this is killed (and answered 502 by nginx); the longest
# legitimate ones are exports of 100,000 rows (a few seconds). Imports run in a thread of
# their own, not inside a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM (systemctl stop/restart, a rolling deploy) each worker finishes the request in
# hand, serves the connections already queued and waits for a running import, up to this
# many seconds in all.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Recycle each worker after about this many requests, spread so that workers do not all
# restart at once; 0 turns it off.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", str(max_requests // 10)))
# Load the app in the master: workers start faster and share memory; a code change needs a
# restart (systemctl restart, one instance at a time), not a HUP.
preload_app = True

forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The heartbeat file of each worker lives in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%({x-forwarded-for}i)s"'
errorlog = "-"
# gunicorn's control socket (gunicornc) defaults to one path per user, ~/.gunicorn/
# gunicorn.ctl: a second instance on the host took it over from the first. Not used here.
control_socket_disable = True
proc_name = "efactory-" + bind.rsplit(":", 1)[-1]


def post_fork(server, worker):
    # Connections opened in the master by preload_app must not be shared with a worker.
    from django.db import connections

    connections.close_all()
