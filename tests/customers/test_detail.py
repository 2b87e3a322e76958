"""The client page (/clientes/<pk>/): data, contacts, latest cases, hours."""

import datetime

import pytest

from tests.factories import ActividadFactory, CasoFactory, ClienteFactory, ContactoFactory

pytestmark = pytest.mark.django_db


def url(cliente) -> str:
    return f"/clientes/{cliente.pk}/"


def test_it_shows_the_clients_data_and_contacts(cliente_soporte):
    cliente = ClienteFactory(
        nombre="Ferretería Ñandú", rif="J-1", email="compras@nandu.com.ve", interno=True
    )
    ContactoFactory(cliente=cliente, nombre="José Núñez", cargo="Compras")
    ContactoFactory(cliente=cliente, nombre="Ana Pérez", activo=False)

    response = cliente_soporte.get(url(cliente))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ferretería Ñandú" in html
    assert "J-1" in html
    assert 'href="mailto:compras@nandu.com.ve"' in html
    assert html.index("Ana Pérez") < html.index("José Núñez")
    assert "Compras" in html


def test_it_shows_total_and_billable_hours_of_all_its_cases(cliente_soporte):
    cliente = ClienteFactory()
    uno, otro = CasoFactory(cliente=cliente), CasoFactory(cliente=cliente)
    ActividadFactory(
        caso=uno, hora_inicio=datetime.time(8, 0), hora_fin=datetime.time(9, 30)
    )  # 90 minutes, not billable
    ActividadFactory(
        caso=otro,
        hora_inicio=datetime.time(10, 0),
        hora_fin=datetime.time(10, 30),
        facturable=True,
    )  # 30 minutes, billable
    ActividadFactory(facturable=True)  # another client's

    response = cliente_soporte.get(url(cliente))

    html = response.content.decode()
    assert "Horas: <strong data-total-horas>2,00</strong>" in html
    assert "Facturables: <strong data-total-facturables>0,50</strong>" in html
    assert "en 2 casos" in html


def test_a_client_without_cases_shows_zero_hours(cliente_soporte):
    cliente = ClienteFactory()

    html = cliente_soporte.get(url(cliente)).content.decode()

    assert "<strong data-total-horas>0,00</strong>" in html
    assert "Sin casos." in html


def test_its_cases_come_newest_first_and_link_to_the_case(cliente_soporte):
    cliente = ClienteFactory()
    viejo = CasoFactory(cliente=cliente, asunto="El primero")
    nuevo = CasoFactory(cliente=cliente, asunto="El segundo")
    CasoFactory(asunto="De otro cliente")

    response = cliente_soporte.get(url(cliente))

    assert [c.pk for c in response.context["casos"]] == [nuevo.pk, viejo.pk]
    html = response.content.decode()
    assert f'<a href="/casos/{nuevo.pk}/">{nuevo.documento}</a>' in html
    assert nuevo.documento.startswith("0")
    assert html.index("El segundo") < html.index("El primero")
    assert "De otro cliente" not in html


def test_it_shows_the_latest_50_cases_and_links_to_all_of_them(cliente_soporte):
    cliente = ClienteFactory()
    casos = CasoFactory.create_batch(52, cliente=cliente)

    response = cliente_soporte.get(url(cliente))

    mostrados = [c.pk for c in response.context["casos"]]
    assert mostrados == [c.pk for c in reversed(casos)][:50]
    html = response.content.decode()
    assert f'href="/casos/?cliente={cliente.pk}"' in html
    assert "Ver sus 52 casos en la lista de casos" in html
    assert "Se muestran los 50 casos más recientes de 52." in html


def test_the_buttons_follow_the_permissions(client, soporte, coordinador):
    cliente = ClienteFactory()

    client.force_login(soporte)
    html = client.get(url(cliente)).content.decode()
    assert f"/clientes/{cliente.pk}/editar/" not in html
    assert f"/clientes/{cliente.pk}/eliminar/" not in html

    client.force_login(coordinador)
    html = client.get(url(cliente)).content.decode()
    assert f'href="/clientes/{cliente.pk}/editar/"' in html
    assert f'href="/clientes/{cliente.pk}/eliminar/"' in html


def test_an_unknown_client_is_a_404(cliente_soporte):
    assert cliente_soporte.get("/clientes/999999/").status_code == 404


def test_the_page_runs_the_same_queries_for_few_and_many_contacts_and_cases(
    consultas, cliente_soporte, django_assert_num_queries
):
    poco = ClienteFactory()
    ContactoFactory.create_batch(2, cliente=poco)
    ActividadFactory(caso=CasoFactory(cliente=poco))
    mucho = ClienteFactory()
    ContactoFactory.create_batch(30, cliente=mucho)
    for _ in range(30):
        ActividadFactory(caso=CasoFactory(cliente=mucho))
    cliente_soporte.get(url(poco))  # warm up the session and caches

    de_poco = consultas(cliente_soporte, "get", url(poco))
    de_mucho = consultas(cliente_soporte, "get", url(mucho))

    assert de_poco.respuesta.status_code == de_mucho.respuesta.status_code == 200
    assert len(de_poco) == len(de_mucho), "\n".join(de_mucho)
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the client
    # 5 its contacts (prefetch)
    # 6 number of cases and hours (one aggregate)
    # 7 the latest cases with ejecutor and hours (subqueries)
    with django_assert_num_queries(7):
        cliente_soporte.get(url(mucho))
