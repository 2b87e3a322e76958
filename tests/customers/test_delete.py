"""Deleting a client (/clientes/<pk>/eliminar/)."""

import pytest

from customers.models import Cliente, Contacto
from tests.factories import CasoFactory, ClienteFactory, ContactoFactory

pytestmark = pytest.mark.django_db


def url(cliente) -> str:
    return f"/clientes/{cliente.pk}/eliminar/"


def test_it_asks_for_confirmation_first(cliente_coordinador):
    cliente = ClienteFactory(nombre="Por borrar")
    ContactoFactory.create_batch(2, cliente=cliente)

    response = cliente_coordinador.get(url(cliente))

    html = response.content.decode()
    assert response.status_code == 200
    assert "y sus 2 contactos? Esta acción no se puede deshacer." in html
    assert "Sí, eliminar" in html
    assert Cliente.objects.filter(pk=cliente.pk).exists()


def test_it_deletes_a_client_without_cases_with_its_contacts(cliente_coordinador):
    cliente = ClienteFactory(nombre="Por borrar")
    ContactoFactory.create_batch(2, cliente=cliente)
    otro = ContactoFactory()

    response = cliente_coordinador.post(url(cliente))

    assert response.status_code == 302
    assert response["Location"] == "/clientes/"
    assert not Cliente.objects.filter(pk=cliente.pk).exists()
    assert list(Contacto.objects.all()) == [otro]
    assert "eliminado" in cliente_coordinador.get("/clientes/").content.decode()


def test_the_confirm_page_says_a_client_with_cases_cannot_be_deleted(cliente_coordinador):
    cliente = ClienteFactory(nombre="Con casos")
    CasoFactory.create_batch(2, cliente=cliente)

    html = cliente_coordinador.get(url(cliente)).content.decode()

    assert "No se puede eliminar el cliente Con casos" in html
    assert "tiene 2 casos." in html
    assert "Sí, eliminar" not in html


def test_deleting_a_client_with_cases_is_refused_and_nothing_is_deleted(cliente_coordinador):
    cliente = ClienteFactory(nombre="Con casos")
    ContactoFactory(cliente=cliente)
    caso = CasoFactory(cliente=cliente)

    response = cliente_coordinador.post(url(cliente), follow=True)

    assert response.redirect_chain == [(f"/clientes/{cliente.pk}/", 302)]
    html = response.content.decode()
    assert "No se puede eliminar el cliente Con casos" in html
    assert "tiene 1 caso." in html
    assert "márquelo como inactivo" in html
    assert Cliente.objects.filter(pk=cliente.pk).exists()
    assert cliente.contactos.count() == 1
    assert caso.__class__.objects.filter(pk=caso.pk).exists()


def test_deleting_an_unknown_client_is_a_404(cliente_coordinador):
    assert cliente_coordinador.post("/clientes/999999/eliminar/").status_code == 404


def test_a_client_whose_contact_is_named_by_another_clients_case_is_kept(cliente_coordinador):
    cliente = ClienteFactory(nombre="Sin casos propios")
    contacto = ContactoFactory(cliente=cliente)
    CasoFactory(contacto=contacto)  # inconsistent data: the case belongs to another client

    response = cliente_coordinador.post(url(cliente), follow=True)

    assert "alguno de sus contactos figura en casos" in response.content.decode()
    assert Cliente.objects.filter(pk=cliente.pk).exists()
    assert Contacto.objects.filter(pk=contacto.pk).exists()
