"""Fields that follow from others, in a real browser (static/js/caso.js): choosing an
ejecutor fills an empty Grupo and Depto., an interno client ticks Caso interno, Etapa
Completada sets Avance 100; what the page filled follows the next choice, what the user set
stays. Then what the server saved (Caso.aplicar_derivados)."""

import re

import pytest
from playwright.sync_api import Page, expect

from cases.models import Caso, Etapa
from tests.factories import ClienteFactory, DepartamentoFactory, EjecutorFactory, GrupoFactory

pytestmark = pytest.mark.browser

URL_DETALLE = re.compile(r"/casos/\d+/$")


@pytest.fixture
def datos(db):
    infra = GrupoFactory(nombre="Infraestructura")
    mesa = GrupoFactory(nombre="Mesa de ayuda")
    soporte_tecnico = DepartamentoFactory(nombre="Soporte Técnico")
    return {
        "infra": infra,
        "mesa": mesa,
        "soporte_tecnico": soporte_tecnico,
        "ana": EjecutorFactory(nombre="Ana Pérez", grupo=infra, departamento=soporte_tecnico),
        "beto": EjecutorFactory(nombre="Beto Ruiz", grupo=mesa),
        "rrhh": ClienteFactory(nombre="Dpto. de Recursos Humanos", codigo="INT-RRHH", interno=True),
        "nandu": ClienteFactory(nombre="Ferretería Ñandú", codigo="FN-01"),
    }


def elegir_cliente(page: Page, texto: str, nombre: str, campo="cliente"):
    caja = page.locator(f"#id_{campo}")
    caja.fill("")
    caja.press_sequentially(texto)
    expect(page.locator(f"#id_{campo}_sugerencias [role=option]").first).to_contain_text(nombre)
    caja.press("Enter")
    expect(caja).to_have_value(nombre)


def test_the_editor_fills_derived_fields_as_the_user_chooses(pages, soporte, datos):
    page = pages.open(soporte)
    page.goto("/casos/nuevo/")
    grupo, depto = page.locator("#id_grupo"), page.locator("#id_departamento")
    interno = page.locator("#id_interno")
    page.locator("#id_asunto").fill("Cuentas de correo del personal nuevo")

    # An interno client ticks Caso interno; another client unticks what the page ticked.
    elegir_cliente(page, "recursos", "Dpto. de Recursos Humanos")
    expect(interno).to_be_checked()
    elegir_cliente(page, "nandu", "Ferretería Ñandú")
    expect(interno).not_to_be_checked()
    elegir_cliente(page, "recursos", "Dpto. de Recursos Humanos")
    expect(interno).to_be_checked()

    # The ejecutor's grupo and departamento fill the empty fields…
    elegir_cliente(page, "ana", "Ana Pérez", "ejecutor")
    expect(grupo).to_have_value(str(datos["infra"].pk))
    expect(depto).to_have_value(str(datos["soporte_tecnico"].pk))
    # …follow another ejecutor while the page filled them (Beto has no departamento)…
    elegir_cliente(page, "beto", "Beto Ruiz", "ejecutor")
    expect(grupo).to_have_value(str(datos["mesa"].pk))
    expect(depto).to_have_value("")
    # …but what the user chose stays.
    grupo.select_option(label="Infraestructura")
    elegir_cliente(page, "ana", "Ana Pérez", "ejecutor")
    expect(depto).to_have_value(str(datos["soporte_tecnico"].pk))
    elegir_cliente(page, "beto", "Beto Ruiz", "ejecutor")
    expect(depto).to_have_value("")  # filled by the page from Ana: follows Beto
    expect(grupo).to_have_value(str(datos["infra"].pk))

    # Completada: avance 100.
    page.locator("#id_avance").fill("30")
    page.locator("#id_etapa").select_option("completada")
    expect(page.locator("#id_avance")).to_have_value("100")

    page.get_by_role("button", name="Guardar", exact=True).click()
    page.wait_for_url(URL_DETALLE)
    expect(page.locator('[data-campo="completado_en"]')).to_have_text(
        re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$")
    )
    caso = Caso.objects.get()
    assert (caso.etapa, caso.avance, caso.interno) == (Etapa.COMPLETADA, 100, True)
    assert (caso.ejecutor, caso.grupo, caso.departamento) == (datos["beto"], datos["infra"], None)
    assert caso.completado_en is not None


def test_quick_add_saves_what_the_server_derives(pages, soporte, datos):
    page = pages.open(soporte)
    page.goto("/casos/rapido/")
    page.locator("#id_asunto").fill("Respaldo del servidor de nómina")
    elegir_cliente(page, "recursos", "Dpto. de Recursos Humanos")
    elegir_cliente(page, "ana", "Ana Pérez", "ejecutor")
    page.locator("#id_etapa").select_option("completada")

    page.get_by_role("button", name="Guardar", exact=True).click()
    page.wait_for_url(URL_DETALLE)

    caso = Caso.objects.get()
    assert (caso.avance, caso.interno) == (100, True)
    assert (caso.grupo, caso.departamento) == (datos["infra"], datos["soporte_tecnico"])
    assert caso.completado_en is not None
