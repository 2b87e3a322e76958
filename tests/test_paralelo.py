"""Worker processes (efactory/paralelo.py): set up as the parent, and gone with it."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent


def vivo(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie nobody reaps has ended)."""
    try:
        estado = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return estado.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_worker_ends_when_its_parent_is_killed():
    """A worker blocked in a task must not outlive a parent killed with SIGKILL (a crash, or
    a gunicorn worker stopped past its graceful timeout): it would keep its connection."""
    programa = textwrap.dedent(
        """
        import os, sys, time
        if __name__ == "__main__":
            import django
            django.setup()
            from efactory import paralelo
            grupo = paralelo.grupo(1)
            print(grupo.submit(os.getpid).result(), flush=True)
            grupo.submit(time.sleep, 120)
            time.sleep(120)
        """
    )
    padre = subprocess.Popen(
        [sys.executable, "-c", programa],
        cwd=RAIZ,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "efactory.settings.test"},
    )
    try:
        trabajador = int(padre.stdout.readline())
        assert vivo(trabajador)
        padre.send_signal(signal.SIGKILL)
        padre.wait(10)
        limite = time.monotonic() + 10
        while vivo(trabajador) and time.monotonic() < limite:
            time.sleep(0.1)
        assert not vivo(trabajador), "the worker outlived its parent"
    finally:
        padre.kill()
        padre.wait()


def test_workers_default_to_one_per_core_up_to_four(settings, monkeypatch):
    from efactory import paralelo

    settings.IMPORTACION_PROCESOS = 0
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert paralelo.procesos() == 4
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert paralelo.procesos() == 2
    settings.IMPORTACION_PROCESOS = 6
    assert paralelo.procesos() == 6
    settings.IMPORTACION_PROCESOS = 1
    assert not paralelo.disponible()
