"""Every page passes axe-core (no serious or critical violation) and its CSP, in chromium."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

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

pytestmark = pytest.mark.browser

# Collects Content-Security-Policy violations the page reports (installed before any script).
ESCUCHA_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__csp.push([e.violatedDirective, e.blockedURI || 'inline', e.sourceFile, e.lineNumber]
    .join(' ')));
"""


@pytest.fixture
def datos(db):
    coordinador = UserFactory(username="coord-a11y", is_staff=True, grupos=["Coordinador"])
    ejecutor = EjecutorFactory(nombre="Ana Pérez")
    cliente = ClienteFactory(nombre="Ferretería Ñandú", codigo="FN001")
    ContactoFactory(cliente=cliente, nombre="José Núñez")
    caso = CasoFactory(
        cliente=cliente,
        ejecutor=ejecutor,
        asunto="Migración del servidor",
        fecha_cierre=datetime.date(2026, 3, 31),
        etapa="en_progreso",
        avance=40,
    )
    ActividadFactory(caso=caso, ejecutor=ejecutor, facturable=True)
    return {"usuario": coordinador, "caso": caso, "cliente": cliente}


def importaciones(usuario, codigo_cliente) -> dict[str, Importacion]:
    """Three uploads through the real form: one with errors, two ready to import."""
    client = Client()
    client.force_login(usuario)
    nuevo = [None, "Caso importado", "Alta", "", codigo_cliente, "", "", "", "02/03/2026"]
    archivos = {
        # Avance (%) 150 and an unknown client code: two errors.
        "con_errores": libro([[*nuevo[:4], "NO-EXISTE", *nuevo[5:]], [*nuevo, None, None, 150]]),
        "sin_errores": libro([nuevo]),
        "a_importar": libro([nuevo]),
    }
    resultado = {}
    for nombre, contenido in archivos.items():
        subida = SimpleUploadedFile(f"{nombre}.xlsx", contenido)
        respuesta = client.post("/casos/importar/", {"archivo": subida})
        assert respuesta.status_code == 302, nombre
        resultado[nombre] = Importacion.objects.get(nombre=f"{nombre}.xlsx")
    assert resultado["con_errores"].estado == Importacion.Estado.CON_ERRORES
    assert resultado["sin_errores"].estado == Importacion.Estado.VALIDADA
    return resultado


def revisar(page, axe, ruta):
    page.goto(ruta)
    return auditar(page, axe)


def auditar(page, axe):
    """The serious and critical axe violations of the page as it is, and its CSP reports."""
    resultado = axe.run(page)
    graves = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in resultado.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    csp = page.evaluate("window.__csp")
    return graves, csp


def test_pages_have_no_serious_accessibility_or_csp_violations(pages, datos):
    page = pages.open(datos["usuario"])
    page.context.add_init_script(ESCUCHA_CSP)
    axe = Axe()
    caso, cliente = datos["caso"], datos["cliente"]
    subidas = importaciones(datos["usuario"], cliente.codigo)
    rutas = [
        "/",
        "/actividades/?desde=2000-01-01",
        "/casos/horas/?agrupar=cliente&agrupar=caso&columnas=mes&desde=2025-12-01",
        "/casos/graficos/",
        "/casos/",
        "/casos/?q=migracion&orden=-prioridad",
        "/casos/nuevo/",
        f"/casos/{caso.pk}/editar/",
        f"/casos/{caso.pk}/",
        f"/casos/{caso.pk}/historial/",
        f"/casos/{caso.pk}/eliminar/",
        "/casos/proximos/",
        "/casos/rapido/",
        "/casos/importar/",
        f"/casos/importar/{subidas['con_errores'].pk}/",
        f"/casos/importar/{subidas['sin_errores'].pk}/",
        "/clientes/",
        "/clientes/nuevo/",
        f"/clientes/{cliente.pk}/",
        f"/clientes/{cliente.pk}/editar/",
    ]
    problemas = {}
    for ruta in rutas:
        graves, csp = revisar(page, axe, ruta)
        if graves or csp:
            problemas[ruta] = {"axe": graves, "csp": csp}
    # The lupa modal, open with results.
    page.goto(f"/casos/{caso.pk}/editar/")
    page.get_by_role("button", name="Buscar contacto").click()
    page.locator("#lupa-resultados tr[data-lupa-opcion]").first.wait_for()
    resultado = axe.run(page)
    modal = [
        v["id"] for v in resultado.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    if modal or page.evaluate("window.__csp"):
        problemas["lupa"] = {"axe": modal, "csp": page.evaluate("window.__csp")}
    # Importar pressed: the imported file's page with its message, then its cases.
    importada = subidas["a_importar"]
    page.goto(f"/casos/importar/{importada.pk}/")
    page.get_by_role("button", name="Importar", exact=True).click()
    page.get_by_role("link", name="Ver los casos importados").wait_for()
    revisadas = {"importada": auditar(page, axe)}
    lista = f"/casos/?importacion={importada.pk}"
    revisadas[lista] = revisar(page, axe, lista)
    for ruta, (graves, csp) in revisadas.items():
        if graves or csp:
            problemas[ruta] = {"axe": graves, "csp": csp}
    assert problemas == {}, "\n".join(f"{r}: {p}" for r, p in problemas.items())


def test_the_login_page_is_accessible(pages):
    page = pages.open()
    page.context.add_init_script(ESCUCHA_CSP)
    graves, csp = revisar(page, Axe(), "/cuentas/login/")
    assert graves == [] and csp == []
