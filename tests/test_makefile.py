"""`make run` prints the address gunicorn binds, whichever way PORT is given."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

RAIZ = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make no está instalado")


def receta(*argumentos, entorno=None) -> str:
    """The commands `make -n run` would run (nothing is run)."""
    env = {k: v for k, v in os.environ.items() if k != "PORT"} | (entorno or {})
    resultado = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", *argumentos],
        cwd=RAIZ,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return resultado.stdout


def puertos(salida: str) -> dict[str, set[str]]:
    """The ports of the printed URL, of gunicorn's bind and of the URL the demo prints."""
    return {
        "impreso": set(re.findall(r"echo .*127\.0\.0\.1:(\d+)", salida)),
        "bind": set(re.findall(r"--bind \S+:(\d+)", salida)),
        "demo": set(re.findall(r"manage\.py demo .*127\.0\.0\.1:(\d+)", salida)),
    }


@pytest.mark.parametrize(
    ("argumentos", "entorno", "puerto"),
    [
        ((), {}, "8000"),
        (("PORT=9000",), {}, "9000"),
        ((), {"PORT": "9000"}, "9000"),
        ((), {"PORT": ""}, "8000"),
    ],
    ids=["por-omision", "make-run-PORT", "PORT-make-run", "PORT-vacio"],
)
def test_the_printed_address_and_the_bind_agree(argumentos, entorno, puerto):
    assert puertos(receta(*argumentos, entorno=entorno)) == {
        "impreso": {puerto},
        "bind": {puerto},
        "demo": {puerto},
    }
