"""Who may see and change clients: login required, Soporte reads, Coordinador manages."""

import pytest

from customers.models import Cliente
from tests.customers.datos import datos_de, datos_post
from tests.factories import ClienteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cliente(db):
    return ClienteFactory(nombre="Intacto")


def rutas(cliente) -> dict[str, str]:
    return {
        "lista": "/clientes/",
        "detalle": f"/clientes/{cliente.pk}/",
        "nuevo": "/clientes/nuevo/",
        "editar": f"/clientes/{cliente.pk}/editar/",
        "eliminar": f"/clientes/{cliente.pk}/eliminar/",
    }


@pytest.mark.parametrize("pagina", ["lista", "detalle", "nuevo", "editar", "eliminar"])
def test_anonymous_users_are_sent_to_the_login(client, cliente, pagina):
    ruta = rutas(cliente)[pagina]

    response = client.get(ruta)

    assert response.status_code == 302
    assert response["Location"].startswith("/cuentas/login/?next=")


def test_anonymous_posts_change_nothing(client, cliente):
    client.post(f"/clientes/{cliente.pk}/eliminar/")
    client.post(f"/clientes/{cliente.pk}/editar/", datos_post(datos_de(cliente, nombre="X"), []))

    cliente.refresh_from_db()
    assert cliente.nombre == "Intacto"


@pytest.mark.parametrize("pagina", ["lista", "detalle"])
def test_soporte_can_view_the_list_and_the_detail(cliente_soporte, cliente, pagina):
    assert cliente_soporte.get(rutas(cliente)[pagina]).status_code == 200


@pytest.mark.parametrize("pagina", ["nuevo", "editar", "eliminar"])
def test_soporte_gets_403_on_the_pages_that_change_clients(cliente_soporte, cliente, pagina):
    ruta = rutas(cliente)[pagina]

    assert cliente_soporte.get(ruta).status_code == 403
    assert (
        cliente_soporte.post(ruta, datos_post(datos_de(cliente, nombre="X"), [])).status_code == 403
    )
    assert Cliente.objects.get(pk=cliente.pk).nombre == "Intacto"


@pytest.mark.parametrize("pagina", ["lista", "detalle", "nuevo", "editar", "eliminar"])
def test_coordinador_can_use_every_page(cliente_coordinador, cliente, pagina):
    assert cliente_coordinador.get(rutas(cliente)[pagina]).status_code == 200


@pytest.mark.parametrize("pagina", ["lista", "detalle", "nuevo", "editar", "eliminar"])
def test_a_user_without_permissions_gets_403(client, sin_grupo, cliente, pagina):
    client.force_login(sin_grupo)

    assert client.get(rutas(cliente)[pagina]).status_code == 403
