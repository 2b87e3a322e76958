"""Oversized text: every text field has a maximum, enforced in the browser (maxlength) and on
the server with a Spanish message naming it; what was typed comes back. A 3 MB comentario gets
that message, not a bare 400; the Historial folds long texts.

Limits (efactory/textos.py): asunto 200, comentario and comentario de la solución 10,000,
actividad 2,000, dirección 500 characters.
"""

import re
from urllib.parse import urlencode

import pytest

from cases.models import Caso
from customers.models import Cliente
from tests.customers.datos import datos_cliente
from tests.customers.datos import datos_post as cuerpo_cliente
from tests.factories import CasoFactory, ClienteFactory, EjecutorFactory
from tests.formularios import cuerpo_formset

pytestmark = pytest.mark.django_db

URLENCODED = "application/x-www-form-urlencoded"  # what a browser sends for these forms


@pytest.fixture
def cliente(db):
    return ClienteFactory(nombre="Ferretería El Tornillo")


def caso_nuevo(cliente, filas=(), **cambios) -> dict:
    datos = {
        "asunto": "Instalar impresora",
        "prioridad": "media",
        "cliente": cliente.pk,
        "fecha_inicio": "2026-03-02",
        "avance": "0",
        "estimado": "0",
        "nivel": "0",
        **cambios,
    }
    return cuerpo_formset(datos, "actividades", list(filas), max_num=1000)


def fila(ejecutor, **cambios) -> dict:
    return {
        "fecha": "2026-03-02",
        "hora_inicio": "09:00",
        "hora_fin": "10:00",
        "descripcion": "Revisión",
        "ejecutor": ejecutor.pk,
        **cambios,
    }


def maxlength(html: str, nombre: str, etiqueta: str = "(?:input|textarea)") -> str | None:
    control = re.search(rf'<{etiqueta}\b[^>]*\bname="{nombre}"[^>]*>', html)
    assert control, f"no control {nombre}"
    encontrado = re.search(r'\bmaxlength="(\d+)"', control.group(0))
    return encontrado.group(1) if encontrado else None


def textarea(html: str, nombre: str) -> str:
    """The text inside the textarea ``nombre`` (Django starts it with a newline)."""
    encontrado = re.search(
        rf'<textarea\b[^>]*\bname="{nombre}"[^>]*>\n?(.*?)</textarea>', html, re.S
    )
    assert encontrado, f"no textarea {nombre}"
    return encontrado.group(1)


# --- In the browser: maxlength on every text box --------------------------------------------


def test_the_editor_states_every_maximum_in_the_browser(cliente_soporte):
    html = cliente_soporte.get("/casos/nuevo/").content.decode()
    assert maxlength(html, "asunto") == "200"
    assert maxlength(html, "comentario") == "10000"
    assert maxlength(html, "comentario_solucion") == "10000"
    # The rows (drawn in Python, cases/filas.py) and the template of "Agregar renglón".
    assert maxlength(html, "actividades-0-descripcion") == "2000"
    assert maxlength(html, "actividades-__prefix__-descripcion") == "2000"


def test_quick_add_and_the_client_editor_state_their_maximums(cliente_coordinador):
    html = cliente_coordinador.get("/casos/rapido/").content.decode()
    assert maxlength(html, "asunto") == "200"
    assert maxlength(html, "comentario") == "10000"
    html = cliente_coordinador.get("/clientes/nuevo/").content.decode()
    for nombre, limite in (
        ("codigo", "20"),
        ("nombre", "200"),
        ("rif", "20"),
        ("email", "254"),
        ("telefono", "40"),
        ("direccion", "500"),
        ("contactos-0-nombre", "200"),
        ("contactos-0-cargo", "100"),
        ("contactos-0-telefono", "40"),
    ):
        assert maxlength(html, nombre) == limite, nombre


# --- On the server: a message naming the limit, the text kept ---------------------------------


def test_a_comentario_over_10000_characters_is_refused_naming_the_limit_and_kept(
    cliente_soporte, cliente
):
    texto = " Ñandú y acentos." * 600  # 10,200 characters (the form strips both ends)
    texto = texto.strip() + "!"
    respuesta = cliente_soporte.post("/casos/nuevo/", caso_nuevo(cliente, comentario=texto))
    html = respuesta.content.decode()
    assert respuesta.status_code == 200
    assert "Admite como máximo 10.000 caracteres (tiene 10.200): acorte el texto." in html
    assert 'id="id_comentario"' in html and "is-invalid" in html
    assert textarea(html, "comentario") == texto
    assert Caso.objects.count() == 0


def test_comentario_solucion_and_a_row_description_have_their_limits(cliente_soporte, cliente):
    ana = EjecutorFactory(nombre="Ana")
    datos = caso_nuevo(
        cliente,
        [fila(ana, descripcion="x" * 2001)],
        comentario_solucion="y" * 10_001,
    )
    html = cliente_soporte.post("/casos/nuevo/", datos).content.decode()
    assert "Admite como máximo 10.000 caracteres (tiene 10.001): acorte el texto." in html
    assert "Admite como máximo 2.000 caracteres (tiene 2.001): acorte el texto." in html
    assert textarea(html, "actividades-0-descripcion") == "x" * 2001
    assert textarea(html, "comentario_solucion") == "y" * 10_001
    assert Caso.objects.count() == 0


def test_texts_at_their_limits_are_saved(cliente_soporte, cliente):
    ana = EjecutorFactory(nombre="Ana")
    datos = caso_nuevo(
        cliente,
        [fila(ana, descripcion="x" * 2000)],
        asunto="a" * 200,
        comentario="b" * 10_000,
        comentario_solucion="c" * 10_000,
    )
    respuesta = cliente_soporte.post("/casos/nuevo/", datos)
    assert respuesta.status_code == 302
    caso = Caso.objects.get()
    assert (len(caso.comentario), len(caso.actividades.get().descripcion)) == (10_000, 2000)


def test_a_3_mb_comentario_gets_the_field_message_with_the_input_kept(cliente_soporte, cliente):
    """It used to be a bare "400 Solicitud incorrecta": Django's 2.5 MB limit on a POST."""
    texto = "Registro del servidor: error de conexión." * 75_000  # 3.15 MB
    cuerpo = urlencode(caso_nuevo(cliente, comentario=texto))
    respuesta = cliente_soporte.post("/casos/nuevo/", cuerpo, content_type=URLENCODED)
    html = respuesta.content.decode()
    assert respuesta.status_code == 200
    assert f"Admite como máximo 10.000 caracteres (tiene {len(texto):,})".replace(",", ".") in html
    assert textarea(html, "comentario") == texto
    assert "Instalar impresora" in html
    assert Caso.objects.count() == 0


def test_a_post_over_20_mb_gets_a_spanish_page_that_says_what_to_do(cliente_soporte, cliente):
    cuerpo = urlencode(caso_nuevo(cliente, comentario="a" * (21 * 1024 * 1024)))
    respuesta = cliente_soporte.post("/casos/nuevo/", cuerpo, content_type=URLENCODED)
    html = respuesta.content.decode()
    assert respuesta.status_code == 400
    assert "Lo enviado supera los 20 MB que acepta el servidor" in html
    assert "«Atrás»" in html and "lo que escribió sigue allí" in html
    assert "10.000 caracteres" in html
    assert Caso.objects.count() == 0


def test_any_other_bad_request_keeps_the_general_400_page(cliente_soporte):
    respuesta = cliente_soporte.get("/casos/", HTTP_HOST="bad host name")
    assert respuesta.status_code == 400
    html = respuesta.content.decode()
    assert "Solicitud incorrecta" in html and "20 MB" not in html


def test_quick_add_refuses_a_long_comentario_and_keeps_it(cliente_soporte, cliente):
    texto = "c" * 10_001
    datos = {
        "fecha": "2026-03-02",
        "prioridad": "media",
        "nivel": "0",
        "cliente": cliente.pk,
        "asunto": "Llamada",
        "comentario": texto,
    }
    html = cliente_soporte.post("/casos/rapido/", datos).content.decode()
    assert "Admite como máximo 10.000 caracteres (tiene 10.001): acorte el texto." in html
    assert textarea(html, "comentario") == texto
    assert Caso.objects.count() == 0


def test_the_client_editor_refuses_a_long_address_and_keeps_it(cliente_coordinador):
    direccion = "Av. Principal,." * 40  # 600 characters
    datos = cuerpo_cliente(datos_cliente(direccion=direccion), [])
    html = cliente_coordinador.post("/clientes/nuevo/", datos).content.decode()
    assert "Admite como máximo 500 caracteres (tiene 600): acorte el texto." in html
    assert textarea(html, "direccion") == direccion
    assert Cliente.objects.count() == 0


# --- The Historial folds long texts -------------------------------------------------------------


def test_the_historial_folds_texts_over_300_characters(cliente_soporte, cliente):
    caso = CasoFactory(cliente=cliente, comentario="Corto.")
    largo = "Se revisó el cableado del piso 2 y se cambiaron los conectores. " * 80  # 5,120
    caso.comentario = largo
    caso.save()

    html = cliente_soporte.get(f"/casos/{caso.pk}/historial/").content.decode()
    plegados = re.findall(r'<details class="texto-plegado">(.*?)</details>', html, re.S)
    assert len(plegados) == 1
    resumen = re.search(r"<summary>(.*?)</summary>", plegados[0], re.S).group(1)
    vista = re.search(r'<span class="vista-previa">(.*?)</span>', resumen, re.S).group(1)
    assert vista.startswith("Se revisó el cableado") and len(vista) <= 300
    assert "Ver todo (5.120 caracteres)" in resumen
    assert largo.strip() in plegados[0]  # the whole text, inside the fold
    # The short old value is shown as it is, struck through.
    assert "<del>Corto.</del>" in html


def test_the_folded_historial_and_the_too_big_page_are_valid_html(
    cliente_soporte, cliente, tmp_path
):
    from tests.test_html_valid import validar

    caso = CasoFactory(cliente=cliente, comentario="<b>Corto</b> & " * 40)
    caso.comentario = "Texto <i>largo</i> & más. " * 200
    caso.save()
    cuerpo = urlencode(caso_nuevo(cliente, comentario="a" * (21 * 1024 * 1024)))
    documentos = {
        "historial": cliente_soporte.get(f"/casos/{caso.pk}/historial/").content.decode(),
        "demasiado_grande": cliente_soporte.post(
            "/casos/nuevo/", cuerpo, content_type=URLENCODED
        ).content.decode(),
    }
    assert "<i>largo</i>" not in documentos["historial"]  # shown as text, escaped
    assert validar(documentos, tmp_path) == []
