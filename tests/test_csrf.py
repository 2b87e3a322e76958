"""CSRF: every page that accepts a POST refuses one without a valid token, and writes nothing.

The test client normally skips the CSRF check; ``Client(enforce_csrf_checks=True)`` makes it
behave like a browser talking to the real middleware.
"""

import pytest
from django.test import Client

from tests.test_permisos import Objetos, cuerpo_post, estado

pytestmark = pytest.mark.django_db

# (page that takes the POST, page a browser loads first and that sets the csrftoken cookie)
FORMULARIOS = [
    ("casos/nuevo/", "casos/nuevo/"),
    ("casos/<int:pk>/editar/", "casos/<int:pk>/editar/"),
    ("casos/<int:pk>/eliminar/", "casos/<int:pk>/eliminar/"),
    # The bulk-action bar lives on the list.
    ("casos/seguimiento/", "casos/"),
    ("casos/rapido/", "casos/rapido/"),
    ("clientes/nuevo/", "clientes/nuevo/"),
    ("clientes/<int:pk>/editar/", "clientes/<int:pk>/editar/"),
    ("clientes/<int:pk>/eliminar/", "clientes/<int:pk>/eliminar/"),
    # The "Salir" button is on every page.
    ("cuentas/logout/", "casos/"),
]
CLAVE = "clave-segura-123"  # tests.factories.UserFactory's password


@pytest.fixture
def objetos(staff):
    return Objetos(staff)


@pytest.fixture
def navegador(coordinador):
    """A Coordinador (allowed every POST here) whose client checks CSRF like a browser."""
    http = Client(enforce_csrf_checks=True, raise_request_exception=False)
    http.force_login(coordinador)
    return http


def token_de(http: Client, pagina: str) -> str:
    """Load ``pagina`` as a browser would and return the csrftoken cookie it set."""
    respuesta = http.get(pagina)
    assert respuesta.status_code == 200, pagina
    return http.cookies["csrftoken"].value


@pytest.mark.parametrize("con_cookie", [True, False], ids=["con cookie", "sin cookie"])
@pytest.mark.parametrize("ruta,pagina", FORMULARIOS, ids=[f[0] for f in FORMULARIOS])
def test_a_post_without_a_token_is_refused_and_writes_nothing(
    navegador, objetos, ruta, pagina, con_cookie
):
    if con_cookie:
        # A forged cross-site form: the browser sends the user's cookie, not the token.
        token_de(navegador, objetos.url(pagina))
    antes = estado(navegador)

    respuesta = navegador.post(objetos.url(ruta), cuerpo_post(ruta, objetos))

    assert respuesta.status_code == 403
    assert estado(navegador) == antes


@pytest.mark.parametrize("ruta,pagina", FORMULARIOS, ids=[f[0] for f in FORMULARIOS])
def test_a_post_with_a_forged_token_is_refused_and_writes_nothing(navegador, objetos, ruta, pagina):
    token_de(navegador, objetos.url(pagina))
    antes = estado(navegador)

    respuesta = navegador.post(
        objetos.url(ruta), {**cuerpo_post(ruta, objetos), "csrfmiddlewaretoken": "x" * 32}
    )

    assert respuesta.status_code == 403
    assert estado(navegador) == antes


@pytest.mark.parametrize("ruta,pagina", FORMULARIOS, ids=[f[0] for f in FORMULARIOS])
def test_the_same_post_with_the_token_of_the_page_works(navegador, objetos, ruta, pagina):
    token = token_de(navegador, objetos.url(pagina))
    antes = estado(navegador)

    respuesta = navegador.post(
        objetos.url(ruta), {**cuerpo_post(ruta, objetos), "csrfmiddlewaretoken": token}
    )

    assert respuesta.status_code == 302
    assert "/login/?next=" not in respuesta["Location"]
    assert estado(navegador) != antes


def test_the_token_also_works_as_the_htmx_header(navegador, objetos):
    token = token_de(navegador, "/casos/rapido/")

    respuesta = navegador.post(
        "/casos/rapido/", cuerpo_post("casos/rapido/", objetos), HTTP_X_CSRFTOKEN=token
    )

    assert respuesta.status_code == 302


def test_login_without_a_token_is_refused(coordinador):
    http = Client(enforce_csrf_checks=True)

    respuesta = http.post("/cuentas/login/", {"username": "coordinador", "password": CLAVE})

    assert respuesta.status_code == 403
    assert "_auth_user_id" not in http.session


def test_login_with_the_token_of_the_login_page_works(coordinador):
    http = Client(enforce_csrf_checks=True)
    token = token_de(http, "/cuentas/login/")

    respuesta = http.post(
        "/cuentas/login/",
        {"username": "coordinador", "password": CLAVE, "csrfmiddlewaretoken": token},
    )

    assert respuesta.status_code == 302
    assert respuesta["Location"] == "/"
    assert http.session["_auth_user_id"] == str(coordinador.pk)


def test_the_csrf_failure_page_is_in_spanish(navegador):
    respuesta = navegador.post("/casos/rapido/", {})

    contenido = respuesta.content.decode()
    assert respuesta.status_code == 403
    assert '<html lang="es"' in contenido
    assert "Forbidden" not in contenido
    assert "DEBUG" not in contenido


def test_the_permission_denied_page_is_in_spanish(client, soporte):
    client.force_login(soporte)

    respuesta = client.get("/casos/exportar/")

    contenido = respuesta.content.decode()
    assert respuesta.status_code == 403
    assert '<html lang="es"' in contenido
    assert "Acceso denegado" in contenido
    assert "Forbidden" not in contenido
