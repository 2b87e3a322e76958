"""The people of `make carga` (bench/carga.py): Locust users of the support team.

Each simulated person works as one of the ``carga<NN>`` users that bench/carga.py creates,
then, with the 1–5 s pauses people take between actions, lists, filters and searches the
cases, opens cases in the editor and saves them with a new activity row. A share of the saves
go to a handful of "hot" cases, so that two people edit the same case at once: the second save
gets the expected 409 (someone saved since the page was loaded), which is not an error.

Every save writes a unique token into the case's Asunto and into the new row's Descripción,
and its outcome goes to the file CARGA_REGISTRO (one JSON line per save: token, case, HTTP
status), which bench/carga.py checks against the database afterwards.

Environment (set by bench/carga.py): CARGA_CASOS_PK (a file with the cases' primary keys, one
per line), CARGA_SESIONES (a file with one session key per user), CARGA_REGISTRO,
CARGA_EJECUTORES (ejecutor pks for the filters, comma-separated).
"""

import datetime
import itertools
import json
import os
import random
import re
import sys
import uuid
from http.cookiejar import Cookie
from pathlib import Path

import gevent
from locust import FastHttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.formularios import cuerpo_de_la_pagina  # noqa: E402  (a browser's POST body)

CASOS = [int(x) for x in Path(os.environ["CARGA_CASOS_PK"]).read_text().split()]
CALIENTES = CASOS[:8]  # cases several people edit at once
EJECUTORES = [x for x in os.environ.get("CARGA_EJECUTORES", "").split(",") if x]
ETAPAS = ["no_iniciada", "en_progreso", "completada", "retrasada", "planeada"]
PALABRAS = ["migracion", "factura", "impresora", "correo", "servidor", "clave", "nomina"]
SESIONES = Path(os.environ["CARGA_SESIONES"]).read_text().split()
REGISTRO = open(os.environ["CARGA_REGISTRO"], "a", buffering=1)  # noqa: SIM115 (whole run)
_numeros = itertools.count(1)
# An error message of the editor's page (next to a field, or the summary above the form).
ERROR_HTML = r'class="(?:invalid-feedback|alert alert-danger)[^"]*"[^>]*>(.*?)</(?:div|span)>'


def _fecha(texto: str) -> datetime.date | None:
    for formato in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(texto.strip(), formato).date()
        except ValueError:
            continue
    return None


def nueva_fila(datos: dict, token: str) -> None:
    """Fill the first blank row of the editor's body ``datos`` with an activity of 5 minutes
    at a random evening time on a random day of the case's window, described by ``token``."""
    i = int(datos["actividades-INITIAL_FORMS"])
    inicio = _fecha(datos.get("fecha_inicio", "")) or datetime.date.today()
    cierre = _fecha(datos.get("fecha_cierre", "")) or inicio + datetime.timedelta(days=365)
    dia = inicio + datetime.timedelta(days=random.randint(0, max(0, (cierre - inicio).days)))
    # Evenings: the demo's own rows are in working hours, and a row that overlaps another of
    # the same ejecutor is refused (rightly, but that is not what this measures).
    minuto = random.randrange(20 * 60, 24 * 60 - 5, 5)
    formato = "%d/%m/%Y" if "/" in datos.get("fecha_inicio", "/") else "%Y-%m-%d"
    p = f"actividades-{i}-"
    datos[p + "fecha"] = dia.strftime(formato)
    datos[p + "hora_inicio"] = f"{minuto // 60:02d}:{minuto % 60:02d}"
    datos[p + "hora_fin"] = f"{(minuto + 5) // 60:02d}:{(minuto + 5) % 60:02d}"
    datos[p + "descripcion"] = token
    if int(datos.get("actividades-TOTAL_FORMS", "0")) <= i:
        datos["actividades-TOTAL_FORMS"] = str(i + 1)


def galleta(nombre: str, valor: str) -> Cookie:
    """A cookie of the app's host (127.0.0.1), as a browser keeps it."""
    return Cookie(
        *(0, nombre, valor, None, False, "127.0.0.1", False, False, "/", True),
        *(False, None, False, None, None, {}),
    )


class Persona(FastHttpUser):
    # FastHttpUser (geventhttpclient) spends a fraction of the CPU of HttpUser (requests):
    # the crowd runs on the same two cores as the app it measures.
    wait_time = between(1, 5)

    def on_start(self):
        """Arrive logged in, as after the morning's login: bench/carga.py opened a session
        for each user (a login costs half a second of CPU by design, PBKDF2; a crowd logging
        in within the same seconds is not the working day this measures)."""
        numero = (next(_numeros) - 1) % len(SESIONES)
        self.client.cookiejar.set_cookie(galleta("sessionid", SESIONES[numero]))

    @task(4)
    def listar(self):
        orden = random.choice(["", "-numero", "fecha_inicio", "-prioridad", "cliente"])
        pagina = random.choice([1, 1, 1, 2, 3, 10])
        self.client.get(f"/casos/?orden={orden}&page={pagina}", name="/casos/ (lista)")

    @task(3)
    def filtrar(self):
        parametros = f"etapa={random.choice(ETAPAS)}"
        if EJECUTORES and random.random() < 0.7:
            parametros += f"&ejecutor={random.choice(EJECUTORES)}"
        self.client.get(f"/casos/?{parametros}", name="/casos/?etapa&ejecutor")

    @task(2)
    def buscar(self):
        self.client.get(f"/casos/?q={random.choice(PALABRAS)}", name="/casos/?q")

    @task(1)
    def proximos(self):
        self.client.get("/casos/proximos/", name="/casos/proximos/")

    @task(3)
    def abrir(self):
        pk = random.choice(CASOS)
        self.client.get(f"/casos/{pk}/editar/", name="/casos/[pk]/editar/")

    @task(3)
    def guardar(self):
        """Open a case, take a moment, save it with a changed Asunto and one new row."""
        pk = random.choice(CALIENTES) if random.random() < 0.3 else random.choice(CASOS)
        pagina = self.client.get(f"/casos/{pk}/editar/", name="/casos/[pk]/editar/")
        if pagina.status_code != 200:
            return
        datos = cuerpo_de_la_pagina(pagina.text, "editor-caso")
        gevent.sleep(random.uniform(0.5, 2.0))  # typing
        token = f"carga-{uuid.uuid4().hex[:16]}"
        datos["asunto"] = f"{token} {datos.get('asunto', '')}"[:200]
        nueva_fila(datos, token)
        with self.client.post(
            f"/casos/{pk}/editar/",
            datos,
            name="/casos/[pk]/editar/ (guardar)",
            allow_redirects=False,
            catch_response=True,
        ) as respuesta:
            estado = respuesta.status_code
            errores = ""
            if estado in (302, 409):
                respuesta.success()  # a 409 is the expected answer to a stale page
            elif estado == 200:
                # Kept the page with a message next to a field (e.g. the new row overlaps
                # another of the same ejecutor): not saved, not an error of the system.
                errores = " | ".join(
                    re.sub(r"<[^>]+>|\s+", " ", e).strip()
                    for e in re.findall(ERROR_HTML, respuesta.text, re.S)
                )[:300]
                respuesta.success()
            REGISTRO.write(
                json.dumps({"token": token, "caso": pk, "estado": estado, "errores": errores})
                + "\n"
            )
