"""Stale edits of a client are refused, not overwritten: the same rules and 409 panel as cases."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from customers import views
from customers.forms import ClienteForm
from customers.formsets import PREFIJO_CONTACTOS, contacto_formset_class
from customers.models import Cliente, Contacto
from customers.services import guardar_cliente
from efactory import versiones
from tests.customers.datos import datos_de, datos_post, fila_de
from tests.factories import ClienteFactory, ContactoFactory, UserFactory
from tests.formularios import cuerpo_de_la_pagina

pytestmark = pytest.mark.django_db


def url_editar(cliente) -> str:
    return f"/clientes/{cliente.pk}/editar/"


@pytest.fixture
def ana(grupos):
    return UserFactory(username="ana", first_name="Ana", last_name="Pérez", grupos=["Coordinador"])


@pytest.fixture
def beto(grupos):
    return UserFactory(username="beto", grupos=["Coordinador"])


def cliente_de(usuario) -> Client:
    client = Client()
    client.force_login(usuario)
    return client


@pytest.fixture
def cliente():
    cliente = ClienteFactory(nombre="Ferretería Ñandú", estatus="activo")
    ContactoFactory(cliente=cliente, nombre="Queda", cargo="Compras")
    ContactoFactory(cliente=cliente, nombre="Sale", cargo="Ventas")
    return cliente


def filas_de(cliente, **cambios_por_nombre) -> list[dict]:
    """The stored contacts' rows as the page sends them back, some changed by name."""
    return [
        fila_de(c, **cambios_por_nombre.get(c.nombre, {}))
        for c in cliente.contactos.order_by("nombre", "pk")
    ]


def test_the_editor_carries_the_version_the_page_was_loaded_with(ana, cliente):
    respuesta = cliente_de(ana).get(url_editar(cliente))
    assert f'name="version" value="{cliente.version}"' in respuesta.content.decode()


def test_a_stale_save_writes_nothing_and_shows_who_changed_which_fields_and_contacts(
    ana, beto, cliente
):
    # Both load the page at version 1; Ana saves first: a field, a contact changed, one
    # deleted and one added.
    de_beto = datos_post(
        datos_de(cliente, nombre="Ñandú de Beto"), filas_de(cliente, Queda={"cargo": "Beto"})
    )
    queda, sale = cliente.contactos.order_by("nombre")
    de_ana = datos_post(
        datos_de(cliente, estatus="suspendido"),
        [fila_de(queda, cargo="Gerente"), fila_de(sale, DELETE=True), {"nombre": "Nueva"}],
    )
    assert cliente_de(ana).post(url_editar(cliente), de_ana).status_code == 302

    respuesta = cliente_de(beto).post(url_editar(cliente), de_beto)

    assert respuesta.status_code == 409
    cliente.refresh_from_db()
    assert (cliente.nombre, cliente.estatus, cliente.version) == (
        "Ferretería Ñandú",
        "suspendido",
        2,
    )
    assert sorted(cliente.contactos.values_list("nombre", "cargo")) == [
        ("Nueva", ""),
        ("Queda", "Gerente"),
    ]
    html = respuesta.content.decode()
    inicio = html.index('id="conflicto"')
    panel = html[inicio : html.index("</section>", inicio)]
    assert "Otra persona guardó este cliente mientras usted lo editaba" in panel
    assert "<strong>Ana Pérez</strong> lo guardó el" in panel
    # Which fields differ, stored vs submitted, as the user reads them (choice labels).
    assert "<td>Nombre</td><td" in panel and "Ñandú de Beto" in panel
    assert "<td>Estatus</td>" in panel and "Suspendido" in panel and ">Activo<" in panel
    # Which contacts differ, were removed or were added by Ana.
    assert "Contactos:" in panel
    assert "Queda (Gerente): difiere en Cargo." in panel
    assert (
        "Sale (Ventas): otra persona eliminó este contacto mientras usted lo tenía en pantalla"
        in panel
    )
    assert "Nueva: lo agregó otra persona; ya aparece entre sus contactos." in panel
    assert f'href="{url_editar(cliente)}"' in panel and "Recargar (descartar lo mío)" in panel
    assert 'name="_sobrescribir" value="2"' in panel
    # Beto's input is kept, and his page still says what it was loaded from.
    assert 'value="Ñandú de Beto"' in html
    assert 'value="Beto"' in html
    assert 'name="version" value="1"' in html


def test_contacts_someone_added_or_deleted_are_on_the_conflict_page_and_overwriting_saves_it(
    ana, beto, cliente
):
    """Ana deletes «Sale» (which Beto was completing) and adds «Nueva»: Beto's 409 page
    shows «Nueva» as a stored contact and keeps «Sale» with what he typed, as a new
    contact (not a «ya no existe» error); «Sobrescribir» saves that page."""
    queda, sale = cliente.contactos.order_by("nombre")
    de_beto = datos_post(
        datos_de(cliente, nombre="Ñandú de Beto"),
        [fila_de(queda), fila_de(sale, cargo="Beto lo completó")],
    )
    de_ana = datos_post(
        datos_de(cliente),
        [fila_de(queda), fila_de(sale, DELETE=True), {"nombre": "Nueva", "cargo": "De Ana"}],
    )
    assert cliente_de(ana).post(url_editar(cliente), de_ana).status_code == 302
    nueva = cliente.contactos.get(nombre="Nueva")

    conflicto = cliente_de(beto).post(url_editar(cliente), de_beto)

    assert conflicto.status_code == 409
    html = conflicto.content.decode()
    assert "sigue en su pantalla como contacto nuevo" in html
    assert "ya no existe" not in html
    assert 'value="Beto lo completó"' in html
    assert f'value="{nueva.pk}"' in html  # Ana's contact is on the page, as a stored row
    assert 'value="Ñandú de Beto"' in html
    cuerpo = cuerpo_de_la_pagina(html, "editor-cliente") | {"_sobrescribir": "2"}
    assert cuerpo["contactos-INITIAL_FORMS"] == "2"  # Queda and Nueva

    respuesta = cliente_de(beto).post(url_editar(cliente), cuerpo)

    assert respuesta.status_code == 302, respuesta.content.decode()[-3000:]
    cliente.refresh_from_db()
    assert (cliente.nombre, cliente.version) == ("Ñandú de Beto", 3)
    assert sorted(cliente.contactos.values_list("nombre", "cargo")) == [
        ("Nueva", "De Ana"),
        ("Queda", "Compras"),
        ("Sale", "Beto lo completó"),
    ]


def test_overwrite_saves_mine_knowingly(ana, beto, cliente):
    de_beto = datos_post(datos_de(cliente, nombre="Lo de Beto"), filas_de(cliente))
    cliente_de(ana).post(
        url_editar(cliente), datos_post(datos_de(cliente, nombre="Lo de Ana"), filas_de(cliente))
    )
    assert cliente_de(beto).post(url_editar(cliente), de_beto).status_code == 409

    respuesta = cliente_de(beto).post(url_editar(cliente), de_beto | {"_sobrescribir": "2"})

    assert respuesta.status_code == 302
    cliente.refresh_from_db()
    assert (cliente.nombre, cliente.version) == ("Lo de Beto", 3)


def test_overwrite_is_refused_again_if_someone_saved_in_between(ana, beto, cliente):
    de_beto = datos_post(datos_de(cliente, nombre="Lo de Beto"), filas_de(cliente))
    for nombre in ("Ana 1", "Ana 2"):
        cliente.refresh_from_db()
        cliente_de(ana).post(
            url_editar(cliente), datos_post(datos_de(cliente, nombre=nombre), filas_de(cliente))
        )

    respuesta = cliente_de(beto).post(url_editar(cliente), de_beto | {"_sobrescribir": "2"})

    assert respuesta.status_code == 409
    cliente.refresh_from_db()
    assert cliente.nombre == "Ana 2"


@pytest.mark.parametrize("version", ["", "abc", "-1", "²", "99999999999", "9" * 25, None])
def test_a_missing_or_junk_version_is_stale_as_for_cases(ana, cliente, version):
    """The one policy (efactory.versiones): a page that does not say which version it was
    loaded from cannot overwrite; ``None`` leaves the input out altogether."""
    datos = datos_post(datos_de(cliente, nombre="Sin versión", version=version), [])

    respuesta = cliente_de(ana).post(url_editar(cliente), datos)

    assert respuesta.status_code == 409
    cliente.refresh_from_db()
    assert (cliente.nombre, cliente.version) == ("Ferretería Ñandú", 1)


def test_a_new_client_needs_no_version(ana):
    datos = datos_post(datos_de(ClienteFactory.build(codigo="NUEVO"), version=None), [])

    assert cliente_de(ana).post("/clientes/nuevo/", datos).status_code == 302
    assert Cliente.objects.get(codigo="NUEVO").version == 1


def test_the_save_takes_the_version_in_one_conditional_update(ana, cliente, consultas):
    """No SELECT … FOR UPDATE: the UPDATE … WHERE version = … is the check and the lock."""
    http = cliente_de(ana)
    datos = datos_post(datos_de(cliente, nombre="Otro nombre"), filas_de(cliente))
    http.get(url_editar(cliente))

    sql = consultas(http, "post", url_editar(cliente), datos)
    tomas = [q for q in sql if q.startswith("UPDATE") and "WHERE" in q and "version" in q]
    assert len(tomas) == 2, "\n".join(tomas)  # the conditional UPDATE, then the row's save
    assert '"version" = (' in tomas[0] and f'"version" = {cliente.version})' in tomas[0]
    assert not [q for q in sql if "FOR UPDATE" in q]


def test_the_service_raises_a_domain_error_when_the_client_was_deleted(cliente):
    """Not Http404: the view decides what to answer."""
    form = ClienteForm(datos_de(cliente, nombre="Tarde"), instance=cliente)
    assert form.is_valid(), form.errors
    formset = contacto_formset_class()(
        datos_post({}, []), instance=form.instance, prefix=PREFIJO_CONTACTOS
    )
    assert formset.is_valid(), formset.errors
    Cliente.objects.filter(pk=cliente.pk).delete()

    with pytest.raises(versiones.ConflictoDeVersion) as error:
        guardar_cliente(form=form, formset=formset, version=1)

    assert error.value.eliminado


def test_a_contact_saved_in_the_admin_makes_open_editors_stale(ana, staff, cliente):
    admin = cliente_de(staff)
    cargado = datos_post(datos_de(cliente, nombre="Editado"), filas_de(cliente))
    contacto = cliente.contactos.get(nombre="Queda")
    respuesta = admin.post(
        reverse("admin:customers_contacto_change", args=[contacto.pk]),
        {"cliente": cliente.pk, "nombre": "Queda", "cargo": "Desde el admin", "activo": "on"},
    )
    assert respuesta.status_code == 302

    respuesta = cliente_de(ana).post(url_editar(cliente), cargado)

    assert respuesta.status_code == 409
    assert "Queda (Desde el admin): difiere en Cargo." in respuesta.content.decode()


# --- The Django admin --------------------------------------------------------------------


def datos_admin(cliente, **cambios) -> dict:
    """The admin change form of ``cliente`` as the browser posts it back (no contacts)."""
    datos = {
        "codigo": cliente.codigo,
        "nombre": cliente.nombre,
        "tipo": cliente.tipo,
        "rif": cliente.rif,
        "email": cliente.email,
        "telefono": cliente.telefono,
        "direccion": cliente.direccion,
        "estatus": cliente.estatus,
        "version": str(cliente.version),
        "contactos-TOTAL_FORMS": "0",
        "contactos-INITIAL_FORMS": "0",
    }
    datos.update(cambios)
    return datos


def test_the_admin_form_carries_the_version(staff, cliente):
    html = cliente_de(staff).get(reverse("admin:customers_cliente_change", args=[cliente.pk]))
    assert f'name="version" value="{cliente.version}"' in html.content.decode()


def test_the_admin_saves_a_current_page_and_takes_the_next_version(staff, cliente):
    respuesta = cliente_de(staff).post(
        reverse("admin:customers_cliente_change", args=[cliente.pk]),
        datos_admin(cliente, nombre="Desde el admin"),
    )

    assert respuesta.status_code == 302, respuesta.content.decode()[:2000]
    cliente.refresh_from_db()
    assert (cliente.nombre, cliente.version) == ("Desde el admin", 2)


def test_the_admin_refuses_a_stale_save_and_says_who_saved(ana, staff, cliente):
    cargado = datos_admin(cliente, nombre="Lo del admin")
    cliente_de(ana).post(
        url_editar(cliente), datos_post(datos_de(cliente, nombre="Lo de Ana"), filas_de(cliente))
    )

    respuesta = cliente_de(staff).post(
        reverse("admin:customers_cliente_change", args=[cliente.pk]), cargado
    )

    assert respuesta.status_code == 200
    html = respuesta.content.decode()
    assert "No se guardó nada: Ana Pérez guardó estos datos el" in html
    assert 'value="Lo del admin"' in html  # what the user typed is still there
    cliente.refresh_from_db()
    assert (cliente.nombre, cliente.version) == ("Lo de Ana", 2)


@pytest.mark.parametrize("version", ["", "abc"])
def test_the_admin_refuses_a_save_without_a_version(staff, cliente, version):
    respuesta = cliente_de(staff).post(
        reverse("admin:customers_cliente_change", args=[cliente.pk]),
        datos_admin(cliente, nombre="Sin versión", version=version),
    )

    assert respuesta.status_code == 200
    assert "No se guardó nada: Otra persona guardó estos datos" in respuesta.content.decode()
    cliente.refresh_from_db()
    assert (cliente.nombre, cliente.version) == ("Ferretería Ñandú", 1)


def test_the_admin_adds_a_client_without_a_version(staff):
    respuesta = cliente_de(staff).post(
        reverse("admin:customers_cliente_add"),
        datos_admin(ClienteFactory.build(codigo="ADM01", nombre="Nuevo"), version=""),
    )

    assert respuesta.status_code == 302, respuesta.content.decode()[:2000]
    assert Cliente.objects.get(codigo="ADM01").version == 1


def test_reverting_in_the_admin_moves_the_version_forward(staff, cliente):
    """The history's "Revertir" page saves an old record: the version goes up, not back."""
    http = cliente_de(staff)
    http.post(
        reverse("admin:customers_cliente_change", args=[cliente.pk]),
        datos_admin(cliente, nombre="Segundo nombre"),
    )
    primero = cliente.history.earliest("history_date")
    url = reverse("admin:customers_cliente_simple_history", args=[cliente.pk, primero.history_id])
    pagina = http.get(url).content.decode()
    assert 'name="version" value="2"' in pagina  # the stored version, not the record's

    respuesta = http.post(url, datos_admin(primero.instance, version="2"))

    assert respuesta.status_code == 302, respuesta.content.decode()[:2000]
    cliente.refresh_from_db()
    assert (cliente.nombre, cliente.version) == ("Ferretería Ñandú", 3)


# --- Two saves at once -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_one_version_let_exactly_one_through(grupos):
    """Two threads (two connections, like two app processes) post the same version at once:
    the one conditional UPDATE of efactory.versiones lets one win and refuses the other."""
    usuarios = [UserFactory(username=f"u{i}", grupos=["Coordinador"]) for i in range(2)]
    cliente = ClienteFactory(nombre="Carrera")
    contacto = ContactoFactory(cliente=cliente)
    barrera = threading.Barrier(2)
    resultados = {}

    def guardar(i):
        try:
            client = cliente_de(usuarios[i])
            datos = datos_post(
                datos_de(cliente, nombre=f"Guardado por {i}"), [fila_de(contacto, cargo=str(i))]
            )
            barrera.wait(timeout=10)
            resultados[i] = client.post(url_editar(cliente), datos).status_code
        finally:
            connection.close()

    hilos = [threading.Thread(target=guardar, args=(i,)) for i in range(2)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(timeout=60)

    assert sorted(resultados.values()) == [302, 409]
    cliente.refresh_from_db()
    ganador = next(i for i, codigo in resultados.items() if codigo == 302)
    assert cliente.nombre == f"Guardado por {ganador}"
    assert cliente.version == 2
    assert Contacto.objects.get().cargo == str(ganador)
    assert Cliente.history.filter(id=cliente.pk, nombre__startswith="Guardado por").count() == 1


def test_a_save_between_reading_the_client_and_its_contacts_is_a_conflict(
    ana, beto, cliente, monkeypatch
):
    """Ana adds a contact after Beto's post read the client and before his formset read the
    contacts: he gets the conflict page, not a form error, and nothing of his is written."""

    de_beto = datos_post(datos_de(cliente, nombre="Ñandú de Beto"), filas_de(cliente))
    de_ana = datos_post(datos_de(cliente), [*filas_de(cliente), {"nombre": "Nueva"}])
    clase = views.ClienteEditorView.formset_class
    intercalado = []

    def ana_guarda_antes(vista):
        if vista.request.user == beto and not intercalado:
            intercalado.append(cliente_de(ana).post(url_editar(cliente), de_ana).status_code)
        return clase(vista)

    monkeypatch.setattr(views.ClienteEditorView, "formset_class", ana_guarda_antes)

    respuesta = cliente_de(beto).post(url_editar(cliente), de_beto)

    assert intercalado == [302]
    assert respuesta.status_code == 409
    cliente.refresh_from_db()
    assert (cliente.nombre, cliente.version, cliente.contactos.count()) == (
        "Ferretería Ñandú",
        2,
        3,
    )
