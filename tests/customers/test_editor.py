"""The client editor (/clientes/nuevo/, /clientes/<pk>/editar/) with its Contactos formset."""

import pytest
from django.utils.html import escape

from customers.models import Cliente, Contacto
from tests.customers.datos import PREFIJO, datos_cliente, datos_de, datos_post, fila_de
from tests.factories import CasoFactory, ClienteFactory, ContactoFactory

pytestmark = pytest.mark.django_db

URL_NUEVO = "/clientes/nuevo/"


def url_editar(cliente) -> str:
    return f"/clientes/{cliente.pk}/editar/"


def test_the_new_client_page_has_the_form_and_empty_contact_rows(cliente_coordinador):
    response = cliente_coordinador.get(URL_NUEVO)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-formset data-prefix="{PREFIJO}"' in html
    assert f'name="{PREFIJO}-TOTAL_FORMS" value="2"' in html
    assert "<template data-formset-template>" in html
    assert f'name="{PREFIJO}-__prefix__-nombre"' in html
    assert "Agregar renglón" in html
    assert html.count("Eliminar renglón") == 3  # two rows and the template
    assert html.count(f'name="{PREFIJO}-0-DELETE"') == 1


def test_it_creates_a_client_with_two_contacts(cliente_coordinador):
    datos = datos_post(
        datos_cliente(),
        [
            {"nombre": "José Núñez", "cargo": "Compras", "email": "jose@nandu.com.ve"},
            {"nombre": "Ana Pérez", "telefono": "0414-1234567", "activo": True},
        ],
        vacias=1,
    )

    response = cliente_coordinador.post(URL_NUEVO, datos)

    cliente = Cliente.objects.get(codigo="FN001")
    assert response.status_code == 302
    assert response["Location"] == f"/clientes/{cliente.pk}/"
    assert cliente.nombre == "Ferretería Ñandú, C.A."
    assert cliente.rif == "J-12345678-9"
    contactos = list(cliente.contactos.order_by("nombre"))
    assert [(c.nombre, c.cargo, c.email, c.activo) for c in contactos] == [
        ("Ana Pérez", "", "", True),
        ("José Núñez", "Compras", "jose@nandu.com.ve", False),
    ]
    assert "guardado" in cliente_coordinador.get(response["Location"]).content.decode()


def test_save_and_continue_goes_back_to_the_editor(cliente_coordinador):
    datos = datos_post(datos_cliente(), [])
    datos["_continuar"] = "1"

    response = cliente_coordinador.post(URL_NUEVO, datos)

    cliente = Cliente.objects.get()
    assert response["Location"] == url_editar(cliente)


def test_the_rif_is_stored_trimmed_and_in_capitals(cliente_coordinador):
    cliente_coordinador.post(URL_NUEVO, datos_post(datos_cliente(rif="  j-1234 "), []))

    assert Cliente.objects.get().rif == "J-1234"


def test_editing_adds_a_contact_and_removes_another(cliente_coordinador):
    cliente = ClienteFactory()
    queda = ContactoFactory(cliente=cliente, nombre="Queda")
    sale = ContactoFactory(cliente=cliente, nombre="Sale")
    datos = datos_post(
        datos_de(cliente),
        [
            fila_de(queda, cargo="Gerente"),
            fila_de(sale, DELETE=True),
            {"nombre": "Nuevo contacto", "email": "nuevo@example.com", "activo": True},
        ],
    )

    response = cliente_coordinador.post(url_editar(cliente), datos)

    assert response.status_code == 302
    assert sorted(cliente.contactos.values_list("nombre", "cargo")) == [
        ("Nuevo contacto", ""),
        ("Queda", "Gerente"),
    ]
    assert not Contacto.objects.filter(pk=sale.pk).exists()


def test_editing_changes_the_client_and_its_version(cliente_coordinador):
    cliente = ClienteFactory(nombre="Antes")

    cliente_coordinador.post(
        url_editar(cliente), datos_post(datos_de(cliente, nombre="Después"), [])
    )

    cliente.refresh_from_db()
    assert cliente.nombre == "Después"
    assert cliente.version == 2


def test_a_row_marked_for_deletion_is_not_validated(cliente_coordinador):
    cliente = ClienteFactory()
    contacto = ContactoFactory(cliente=cliente)
    datos = datos_post(
        datos_de(cliente), [fila_de(contacto, nombre="", email="no-es-correo", DELETE=True)]
    )

    response = cliente_coordinador.post(url_editar(cliente), datos)

    assert response.status_code == 302
    assert not cliente.contactos.exists()


def test_invalid_input_keeps_what_was_typed_and_explains_in_spanish(cliente_coordinador):
    cliente = ClienteFactory(nombre="Original")
    contacto = ContactoFactory(cliente=cliente, nombre="Contacto original")
    datos = datos_post(
        datos_de(cliente, nombre="Nombre nuevo escrito", email="no-es-un-correo", codigo=""),
        [
            fila_de(contacto, nombre="", cargo="Cargo escrito"),
            {"nombre": "Fila nueva", "email": "tampoco@", "activo": True},
        ],
    )

    response = cliente_coordinador.post(url_editar(cliente), datos)

    assert response.status_code == 200
    html = response.content.decode()
    assert "No se guardó nada." in html
    assert "Escriba el código del cliente." in html
    assert "Escriba el nombre del contacto." in html
    # Next to the client's e-mail and the new row's, and again in the error summary.
    assert html.count("Escriba un correo electrónico válido, p. ej. nombre@empresa.com.") == 4
    for escrito in ("Nombre nuevo escrito", "no-es-un-correo", "Cargo escrito", "tampoco@"):
        assert f'value="{escrito}"' in html
    assert "Fila nueva" in html
    cliente.refresh_from_db()
    contacto.refresh_from_db()
    assert (cliente.nombre, contacto.nombre) == ("Original", "Contacto original")
    assert cliente.contactos.count() == 1


def test_a_valid_client_with_an_invalid_contact_saves_nothing(cliente_coordinador):
    datos = datos_post(datos_cliente(), [{"nombre": "", "cargo": "Sin nombre"}])

    response = cliente_coordinador.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert "Escriba el nombre del contacto." in response.content.decode()
    assert not Cliente.objects.exists()
    assert not Contacto.objects.exists()


@pytest.mark.parametrize("codigo", ["FN001", "fn001", " FN001 "])
def test_a_duplicated_codigo_is_refused_naming_the_other_client(cliente_coordinador, codigo):
    ClienteFactory(codigo="FN001", nombre="El primero")

    response = cliente_coordinador.post(
        URL_NUEVO, datos_post(datos_cliente(codigo=codigo, rif=""), [])
    )

    assert response.status_code == 200
    assert escape("Ya existe el cliente «El primero» con el código FN001.") in (
        response.content.decode()
    )
    assert Cliente.objects.count() == 1


@pytest.mark.parametrize("rif", ["J-12345678-9", " j-12345678-9 "])
def test_a_duplicated_rif_is_refused_naming_the_other_client(cliente_coordinador, rif):
    ClienteFactory(codigo="OTRO", nombre="El primero", rif="J-12345678-9")

    response = cliente_coordinador.post(URL_NUEVO, datos_post(datos_cliente(rif=rif), []))

    html = response.content.decode()
    assert response.status_code == 200
    assert escape("Ya existe el cliente «El primero» (OTRO) con el RIF J-12345678-9.") in html
    assert "cliente_rif_unico_si_existe" not in html
    assert Cliente.objects.count() == 1


def test_an_empty_rif_may_repeat(cliente_coordinador):
    ClienteFactory(codigo="OTRO", rif="")

    response = cliente_coordinador.post(URL_NUEVO, datos_post(datos_cliente(rif=""), []))

    assert response.status_code == 302
    assert Cliente.objects.filter(rif="").count() == 2


def test_a_client_keeps_its_own_codigo_and_rif(cliente_coordinador):
    cliente = ClienteFactory(codigo="FN001", rif="J-1")

    response = cliente_coordinador.post(url_editar(cliente), datos_post(datos_de(cliente), []))

    assert response.status_code == 302


def _gestion_alterada(caso: str, cliente, contacto) -> dict:
    datos = datos_post(datos_de(cliente, nombre="Cambiado"), [fila_de(contacto, nombre="X")])
    if caso == "sin_gestion":
        for clave in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            del datos[f"{PREFIJO}-{clave}"]
    elif caso == "texto":
        datos[f"{PREFIJO}-TOTAL_FORMS"] = "muchos"
    elif caso == "negativo":
        datos[f"{PREFIJO}-TOTAL_FORMS"] = "-1"
    elif caso == "inicial_negativo":
        datos[f"{PREFIJO}-INITIAL_FORMS"] = "-5"
    elif caso == "enorme":
        datos[f"{PREFIJO}-TOTAL_FORMS"] = "9" * 30
    return datos


@pytest.mark.parametrize("caso", ["sin_gestion", "texto", "negativo", "inicial_negativo", "enorme"])
def test_a_tampered_management_form_is_an_error_not_a_500(cliente_coordinador, caso):
    cliente = ClienteFactory(nombre="Original")
    contacto = ContactoFactory(cliente=cliente, nombre="Contacto original")

    response = cliente_coordinador.post(
        url_editar(cliente), _gestion_alterada(caso, cliente, contacto)
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "No se guardó nada." in html
    assert (
        "Los renglones de contactos llegaron alterados o incompletos; recargue la página." in html
        or "Como máximo se pueden enviar 500 contactos a la vez." in html
    )
    cliente.refresh_from_db()
    contacto.refresh_from_db()
    assert (cliente.nombre, contacto.nombre) == ("Original", "Contacto original")


def test_the_id_of_another_clients_contact_is_rejected(cliente_coordinador):
    cliente = ClienteFactory()
    ajeno = ContactoFactory(nombre="De otro cliente")
    datos = datos_post(datos_de(cliente), [fila_de(ajeno, nombre="Robado")])

    response = cliente_coordinador.post(url_editar(cliente), datos)

    assert response.status_code == 200
    assert "Este contacto ya no existe o es de otro cliente; recargue la página." in (
        response.content.decode()
    )
    ajeno.refresh_from_db()
    assert (ajeno.nombre, ajeno.cliente_id) == ("De otro cliente", ajeno.cliente_id)
    assert not cliente.contactos.exists()


def test_html_typed_into_a_field_comes_back_as_text(cliente_coordinador):
    datos = datos_post(
        datos_cliente(nombre='<b>"Negrita"</b>', email="x"), [{"nombre": "<i>contacto</i>"}]
    )

    html = cliente_coordinador.post(URL_NUEVO, datos).content.decode()

    assert "<b>" not in html
    assert "&lt;b&gt;&quot;Negrita&quot;&lt;/b&gt;" in html
    assert "&lt;i&gt;contacto&lt;/i&gt;" in html


def _cliente_con_contactos(n: int):
    cliente = ClienteFactory()
    ContactoFactory.create_batch(n, cliente=cliente)
    return cliente


def test_the_edit_page_runs_the_same_queries_for_2_and_30_contacts(
    consultas, cliente_coordinador, django_assert_num_queries
):
    pocos = _cliente_con_contactos(2)
    muchos = _cliente_con_contactos(30)
    cliente_coordinador.get(url_editar(pocos))  # warm up the session

    consultas_pocos = consultas(cliente_coordinador, "get", url_editar(pocos))
    consultas_muchos = consultas(cliente_coordinador, "get", url_editar(muchos))

    assert len(consultas_pocos) == len(consultas_muchos), "\n".join(consultas_muchos)
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the client
    # 5 its contacts
    with django_assert_num_queries(5):
        cliente_coordinador.get(url_editar(muchos))


def _post_con_un_cambio(cliente) -> dict:
    filas = [fila_de(c) for c in cliente.contactos.order_by("nombre", "pk")]
    filas[-1]["cargo"] = "Cambiado"
    return datos_post(datos_de(cliente), filas)


def test_saving_runs_the_same_queries_for_2_and_30_unchanged_contacts(
    consultas, cliente_coordinador, django_assert_num_queries
):
    pocos = _cliente_con_contactos(2)
    muchos = _cliente_con_contactos(30)
    cliente_coordinador.get(url_editar(pocos))  # warm up the session

    consultas_pocos = consultas(
        cliente_coordinador, "post", url_editar(pocos), _post_con_un_cambio(pocos)
    )
    consultas_muchos = consultas(
        cliente_coordinador, "post", url_editar(muchos), _post_con_un_cambio(muchos)
    )

    assert len(consultas_pocos) == len(consultas_muchos), "\n".join(consultas_muchos)
    assert Contacto.objects.filter(cliente=muchos, cargo="Cambiado").count() == 1
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the client
    # 5 another client with the same código, any case (its error message names it)
    # 6-11 the model's constraints, each SAVEPOINT, check, RELEASE (Django puts a check in a
    #   savepoint when a transaction is open, here the test's): RIF unique if given, estatus
    # 12 the unique código (model validation)
    # 13 the stored contacts (every posted row id is checked against this one query)
    # 14 SAVEPOINT, 16 UPDATE … version = version + 1 WHERE version = … (the conflict check)
    # 16 UPDATE of the client, 18 INSERT of its history record
    # 18 UPDATE of the one changed contact, 20 INSERT of its history record
    # 20 RELEASE SAVEPOINT
    otro = _cliente_con_contactos(30)
    cuerpo = _post_con_un_cambio(otro)
    with django_assert_num_queries(20):
        cliente_coordinador.post(url_editar(otro), cuerpo)
    assert Contacto.objects.filter(cliente=otro, cargo="Cambiado").count() == 1


def test_a_contact_named_by_a_case_is_not_deleted_and_its_row_comes_back(cliente_coordinador):
    cliente = ClienteFactory()
    en_uso = ContactoFactory(cliente=cliente, nombre="En uso")
    libre = ContactoFactory(cliente=cliente, nombre="Libre")
    CasoFactory.create_batch(2, cliente=cliente, contacto=en_uso)
    datos = datos_post(
        datos_de(cliente, nombre="Cambiado"),
        [fila_de(en_uso, DELETE=True), fila_de(libre, DELETE=True)],
    )

    response = cliente_coordinador.post(url_editar(cliente), datos)

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        escape(
            "No se puede eliminar: este contacto figura en 2 casos. "
            "Si ya no trabaja con el cliente, quítele la marca «Activo»."
        )
        in html
    )
    # Refused by the rules, not by the database at the save: no "acaba de quedar asignado".
    assert "acaba de quedar asignado" not in html
    # The refused row is shown alive again; the other one stays marked for deletion.
    assert '<input type="checkbox" name="contactos-0-DELETE" id="id_contactos-0-DELETE">' in html
    assert 'name="contactos-1-DELETE" id="id_contactos-1-DELETE" checked' in html
    assert sorted(cliente.contactos.values_list("nombre", flat=True)) == ["En uso", "Libre"]
    cliente.refresh_from_db()
    assert cliente.nombre != "Cambiado"
