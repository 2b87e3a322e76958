"""Agregar casos rápidamente (/casos/rapido/): defaults, saving, "Guardar y agregar otro",
errors next to their fields, permissions."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from cases.models import Caso
from efactory.estatus import Estatus
from tests.factories import ClienteFactory, ContactoFactory, EjecutorFactory

pytestmark = pytest.mark.django_db

URL = "/casos/rapido/"


@pytest.fixture
def nandu(db):
    return ClienteFactory(nombre="Ferretería Ñandú", codigo="FN-01")


@pytest.fixture
def maria(nandu):
    return ContactoFactory(cliente=nandu, nombre="María Gómez")


@pytest.fixture
def ana(db):
    return EjecutorFactory(nombre="Ana Pérez")


def datos(del_caso, /, **cambios) -> dict:
    """A valid quick case of the client ``del_caso``, as the page's form sends it."""
    valores = {
        "asunto": "Cambiar el tóner de la impresora",
        "fecha": "2026-03-02",
        "prioridad": "alta",
        "nivel": "3",
        "cliente": del_caso.pk,
        "contacto": "",
        "ejecutor": "",
        "etapa": "no_iniciada",
        "comentario": "Llamó a las 9",
    }
    valores.update(cambios)
    return {k: "" if v is None else str(v) for k, v in valores.items()}


def errores(html: str) -> dict[str, str]:
    """Field name → the error text shown under it."""
    encontrados = {}
    for nombre, texto in re.findall(
        r'<div id="id_(\w+)_error" class="invalid-feedback">(.*?)</div>', html, flags=re.S
    ):
        encontrados[nombre] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", texto)).strip()
    return encontrados


def mensajes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- GET ------------------------------------------------------------------------------------


def test_it_shows_the_defaults(cliente_soporte):
    response = cliente_soporte.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    hoy = timezone.localdate().isoformat()
    assert re.search(rf'<input type="date" name="fecha" value="{hoy}"', html)
    assert '<option value="media" selected>Media</option>' in html
    assert re.search(r'<input type="number" name="nivel" value="0"', html)
    assert '<option value="" selected>En blanco</option>' in html
    assert re.search(r'<input type="text" name="asunto"(?![^>]*value=)', html)
    for campo in ("cliente", "contacto", "ejecutor", "comentario", "etapa"):
        assert f'name="{campo}"' in html
    assert "Guardar y agregar otro" in html


def test_it_runs_a_fixed_number_of_queries(cliente_soporte, nandu, ana, django_assert_num_queries):
    cliente_soporte.get(URL)  # warm up the session and caches

    # 1-3 session, user, permissions (one query, efactory/permisos.py); Cliente, Contacto
    #   and Ejecutor render no rows until one is chosen (their lupas search as the user
    #   types)
    with django_assert_num_queries(3):
        cliente_soporte.get(URL)
    # 5-6 the client and the ejecutor passed in the URL ("Guardar y agregar otro" keeps them)
    with django_assert_num_queries(5):
        cliente_soporte.get(URL, {"cliente": nandu.pk, "ejecutor": ana.pk})


def test_it_keeps_values_passed_in_the_url(cliente_soporte, nandu, ana):
    response = cliente_soporte.get(
        URL,
        {"cliente": nandu.pk, "ejecutor": ana.pk, "prioridad": "baja", "etapa": "planeada"},
    )

    html = response.content.decode()
    assert f'<option value="{nandu.pk}" selected>Ferretería Ñandú (FN-01)</option>' in html
    ejecutor = re.search(r'<select name="ejecutor".*?</select>', html, flags=re.S).group(0)
    assert f'<option value="{ana.pk}" selected>' in ejecutor
    assert '<option value="baja" selected>Baja</option>' in html
    assert '<option value="planeada" selected>Planeada</option>' in html


@pytest.mark.parametrize("valor", ["abc", "9" * 25, "-1", "²", "<b>", "0"])
def test_junk_in_the_url_is_ignored(cliente_soporte, valor):
    response = cliente_soporte.get(
        URL, {"cliente": valor, "ejecutor": valor, "prioridad": valor, "etapa": valor}
    )

    assert response.status_code == 200
    assert "<b>" not in response.content.decode().split("<main", 1)[-1]


# --- A valid POST ---------------------------------------------------------------------------


def test_guardar_creates_the_case_and_opens_it(cliente_soporte, soporte, nandu, maria, ana):
    response = cliente_soporte.post(
        URL, datos(nandu, contacto=maria.pk, ejecutor=ana.pk, comentario="Urgente")
    )

    caso = Caso.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/casos/{caso.pk}/"
    assert (caso.asunto, caso.fecha_inicio, caso.prioridad, caso.nivel, caso.etapa) == (
        "Cambiar el tóner de la impresora",
        datetime.date(2026, 3, 2),
        "alta",
        3,
        "no_iniciada",
    )
    assert (caso.cliente, caso.contacto, caso.ejecutor, caso.propietario) == (
        nandu,
        maria,
        ana,
        soporte,
    )
    assert caso.comentario == "Urgente"
    assert caso.numero
    assert mensajes(response) == [f"Caso {caso.documento} creado."]


@pytest.mark.parametrize(
    ("cambios", "campo", "guardado"),
    [
        ({"fecha": "15/04/2026"}, "fecha_inicio", datetime.date(2026, 4, 15)),  # dd/mm/aaaa
        ({"asunto": "  Revisar correo  "}, "asunto", "Revisar correo"),  # trimmed
    ],
    ids=["fecha-dd-mm-aaaa", "asunto-trimmed"],
)
def test_a_value_typed_another_way_is_saved_normalised(
    cliente_soporte, nandu, cambios, campo, guardado
):
    cliente_soporte.post(URL, datos(nandu, **cambios))

    assert getattr(Caso.objects.get(), campo) == guardado


def test_guardar_y_agregar_otro_comes_back_with_the_same_client(cliente_soporte, nandu, maria, ana):
    response = cliente_soporte.post(
        URL,
        datos(
            nandu,
            contacto=maria.pk,
            ejecutor=ana.pk,
            prioridad="baja",
            etapa="en_progreso",
            _otro="1",
        ),
    )

    caso = Caso.objects.get()
    assert response.status_code == 302
    ruta, _, consulta = response["Location"].partition("?")
    assert ruta == URL
    assert dict(p.split("=") for p in consulta.split("&")) == {
        "cliente": str(nandu.pk),
        "ejecutor": str(ana.pk),
        "prioridad": "baja",
        "etapa": "en_progreso",
    }

    siguiente = cliente_soporte.get(response["Location"])

    html = siguiente.content.decode()
    assert f"Caso {caso.documento} creado." in html
    assert f'<option value="{nandu.pk}" selected>Ferretería Ñandú (FN-01)</option>' in html
    ejecutor = re.search(r'<select name="ejecutor".*?</select>', html, flags=re.S).group(0)
    assert f'<option value="{ana.pk}" selected>' in ejecutor
    assert '<option value="baja" selected>Baja</option>' in html
    assert '<option value="en_progreso" selected>En progreso</option>' in html
    # Not kept: what belongs to one case only.
    contacto = re.search(r'<select name="contacto".*?</select>', html, flags=re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', contacto) == [""]
    assert "Cambiar el tóner" not in html
    assert "Llamó a las 9" not in html
    hoy = timezone.localdate().isoformat()
    assert re.search(rf'<input type="date" name="fecha" value="{hoy}"', html)


def test_two_cases_in_a_row_get_consecutive_documents(cliente_soporte, nandu):
    cliente_soporte.post(URL, datos(nandu, asunto="Primero", _otro="1"))
    response = cliente_soporte.post(URL, datos(nandu, asunto="Segundo", _otro="1"))

    primero, segundo = Caso.objects.order_by("numero")
    assert (primero.asunto, segundo.asunto) == ("Primero", "Segundo")
    assert segundo.numero == primero.numero + 1
    # The first message was never shown: the test did not follow its redirect.
    assert mensajes(response) == [
        f"Caso {primero.documento} creado.",
        f"Caso {segundo.documento} creado.",
    ]


def test_guardar_y_agregar_otro_without_optional_fields_keeps_only_the_client(
    cliente_soporte, nandu
):
    response = cliente_soporte.post(URL, datos(nandu, etapa="", _otro="1", prioridad="media"))

    assert response["Location"] == f"{URL}?cliente={nandu.pk}&prioridad=media"


# --- Invalid input --------------------------------------------------------------------------


def _rechazado(response, campo: str, texto: str):
    assert response.status_code == 200
    html = response.content.decode()
    assert campo in errores(html), errores(html)
    assert texto in errores(html)[campo]
    assert "No se guardó nada." in html
    assert Caso.objects.count() == 0


@pytest.mark.parametrize(
    ("cambios", "campo", "texto"),
    [
        ({"asunto": ""}, "asunto", "Escriba el asunto del caso."),
        ({"asunto": "   "}, "asunto", "Escriba el asunto del caso."),
        ({"asunto": "x" * 201}, "asunto", "como máximo 200 caracteres (tiene 201)"),
        ({"fecha": ""}, "fecha", "Indique la fecha de inicio."),
        ({"fecha": "31/02/2026"}, "fecha", "Fecha no válida"),
        ({"fecha": "2026-13-01"}, "fecha", "Fecha no válida"),
        ({"fecha": "mañana"}, "fecha", "Fecha no válida"),
        ({"fecha": "9" * 25}, "fecha", "Fecha no válida"),
        ({"prioridad": "urgente"}, "prioridad", "urgente no es una de las opciones"),
        ({"etapa": "cerrada"}, "etapa", "cerrada no es una de las opciones"),
        ({"nivel": "alto"}, "nivel", "número entero"),
        ({"nivel": "9" * 25}, "nivel", "El nivel debe estar entre"),
        ({"cliente": ""}, "cliente", "Seleccione el cliente del caso."),
        ({"cliente": "abc"}, "cliente", "No se encontró «abc»"),
        ({"cliente": "9" * 25}, "cliente", f"No se encontró «{'9' * 25}»"),
        ({"cliente": "-1"}, "cliente", "No se encontró «-1»"),
        ({"cliente": "²"}, "cliente", "No se encontró «²»"),
        ({"contacto": "abc"}, "contacto", "No se encontró «abc»"),
        ({"contacto": "9" * 25}, "contacto", "No se encontró"),
        ({"ejecutor": "abc"}, "ejecutor", "No se encontró «abc»"),
        ({"ejecutor": "9" * 25}, "ejecutor", "No se encontró"),
        ({"ejecutor": "99999"}, "ejecutor", "No se encontró «99999»"),
    ],
)
def test_bad_input_is_refused_next_to_its_field(cliente_soporte, nandu, cambios, campo, texto):
    response = cliente_soporte.post(URL, datos(nandu, **cambios))

    _rechazado(response, campo, texto)


def test_a_contact_of_another_client_is_refused(cliente_soporte, nandu):
    ajena = ContactoFactory(cliente=ClienteFactory(nombre="Papelería Norte"), nombre="Pedro")

    response = cliente_soporte.post(URL, datos(nandu, contacto=ajena.pk))

    _rechazado(response, "contacto", "El contacto seleccionado no pertenece al cliente del caso.")


@pytest.mark.parametrize("estatus", [Estatus.INACTIVO, Estatus.SUSPENDIDO])
def test_an_inactive_client_or_ejecutor_is_refused(cliente_soporte, nandu, estatus):
    baja = ClienteFactory(nombre="Cliente de baja", estatus=estatus)
    inactivo = EjecutorFactory(nombre="Ejecutor de baja", estatus=estatus)

    response = cliente_soporte.post(URL, datos(nandu, cliente=baja.pk, ejecutor=inactivo.pk))

    _rechazado(response, "cliente", f"No se encontró «{baja.pk}», o ya no está disponible")
    assert "ejecutor" in errores(response.content.decode())


def test_the_typed_values_come_back_on_an_invalid_page(cliente_soporte, nandu, maria, ana):
    response = cliente_soporte.post(
        URL,
        datos(
            nandu,
            asunto='Revisar <script>alert("x")</script>',
            contacto=maria.pk,
            ejecutor=ana.pk,
            fecha="31/02/2026",
            prioridad="baja",
            nivel="7",
            etapa="retrasada",
            comentario="Se conserva",
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert list(errores(html)) == ["fecha"]
    assert 'value="Revisar &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in html
    assert "<script>alert" not in html
    assert 'name="fecha" value="31/02/2026"' in html
    assert '<option value="baja" selected>Baja</option>' in html
    assert re.search(r'name="nivel" value="7"', html)
    assert f'<option value="{nandu.pk}" selected>' in html
    contacto = re.search(r'<select name="contacto".*?</select>', html, flags=re.S).group(0)
    assert f'<option value="{maria.pk}" selected>' in contacto
    ejecutor = re.search(r'<select name="ejecutor".*?</select>', html, flags=re.S).group(0)
    assert f'<option value="{ana.pk}" selected>' in ejecutor
    assert '<option value="retrasada" selected>Retrasada</option>' in html
    assert "Se conserva</textarea>" in html
    assert Caso.objects.count() == 0


def test_guardar_y_agregar_otro_with_errors_saves_nothing_and_stays(cliente_soporte, nandu):
    response = cliente_soporte.post(URL, datos(nandu, asunto="", _otro="1"))

    _rechazado(response, "asunto", "Escriba el asunto del caso.")


def test_without_javascript_the_client_can_be_typed(cliente_soporte, nandu, maria):
    response = cliente_soporte.post(
        URL, datos(nandu, cliente="", cliente_buscar="fn-01", contacto_buscar="maria")
    )

    assert response.status_code == 302
    caso = Caso.objects.get()
    assert (caso.cliente, caso.contacto) == (nandu, maria)


# --- Access ---------------------------------------------------------------------------------


def test_coordinators_can_use_it_too(cliente_coordinador, coordinador, nandu):
    assert cliente_coordinador.get(URL).status_code == 200
    response = cliente_coordinador.post(URL, datos(nandu))

    assert response.status_code == 302
    assert Caso.objects.get().propietario == coordinador


@pytest.mark.parametrize("metodo", ["get", "post"])
def test_a_user_without_group_gets_403(client, sin_grupo, nandu, metodo):
    client.force_login(sin_grupo)

    response = getattr(client, metodo)(URL, datos(nandu) if metodo == "post" else None)

    assert response.status_code == 403
    assert Caso.objects.count() == 0


@pytest.mark.parametrize("metodo", ["get", "post"])
def test_anonymous_users_are_sent_to_login(client, nandu, metodo):
    response = getattr(client, metodo)(URL, datos(nandu) if metodo == "post" else None)

    assert response.status_code == 302
    assert response["Location"] == "/cuentas/login/?next=/casos/rapido/"
    assert Caso.objects.count() == 0
