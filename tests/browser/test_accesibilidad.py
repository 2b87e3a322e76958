"""Every page passes axe-core (no serious or critical violation) and its CSP, in chromium."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe

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


def revisar(page, axe, ruta):
    page.goto(ruta)
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
    assert problemas == {}, "\n".join(f"{r}: {p}" for r, p in problemas.items())


def test_the_login_page_is_accessible(pages):
    page = pages.open()
    page.context.add_init_script(ESCUCHA_CSP)
    graves, csp = revisar(page, Axe(), "/cuentas/login/")
    assert graves == [] and csp == []
