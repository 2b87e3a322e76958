"""Every field error is shown next to its input and tied to it, on every editor page.

The pages are parsed, not searched with regular expressions: for each field with an error
its input must carry aria-invalid="true" and an aria-describedby that names the element
holding the message, and that element must be one the CSS shows. Bootstrap hides
.invalid-feedback unless it has the d-block class or follows an .is-invalid sibling
(``.is-invalid ~ .invalid-feedback``): the lupa's message used to follow the lupa's
.input-group, not the select inside it, and stayed hidden.
"""

import datetime
from html.parser import HTMLParser

import pytest

from cases.forms import ActividadForm, CasoForm, CasoRapidoForm
from customers.forms import ClienteForm, ContactoForm
from tests.cases.datos import datos_caso, datos_de, datos_post, fila
from tests.customers import datos as datos_clientes
from tests.factories import (
    CasoFactory,
    ClienteFactory,
    ContactoFactory,
    EjecutorFactory,
)

pytestmark = pytest.mark.django_db

URL_NUEVO = "/casos/nuevo/"
URL_RAPIDO = "/casos/rapido/"
INICIO = datetime.date(2026, 3, 2)

# Elements whose content the browser does not show as part of the page.
OCULTOS = {"template", "script", "style"}


class Nodo:
    def __init__(self, tag, attrs, padre):
        self.tag = tag
        self.attrs = {k: v or "" for k, v in attrs}
        self.padre = padre
        self.hijos = []
        self.texto = []

    @property
    def clases(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def contenido(self) -> str:
        partes = list(self.texto)
        for hijo in self.hijos:
            partes.append(hijo.contenido())
        return " ".join(" ".join(partes).split())

    def hermanos_anteriores(self):
        hermanos = self.padre.hijos
        return hermanos[: hermanos.index(self)]

    def ancestros(self):
        nodo = self.padre
        while nodo is not None:
            yield nodo
            nodo = nodo.padre


class Pagina(HTMLParser):
    """A minimal DOM: elements with their attributes, children and text, found by id."""

    VACIOS = {"input", "br", "hr", "img", "meta", "link", "source", "col", "wbr", "area"}

    def __init__(self, html: str):
        super().__init__()
        self.raiz = Nodo("#document", [], None)
        self.actual = self.raiz
        self.por_id: dict[str, Nodo] = {}
        self.todos: list[Nodo] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        nodo = Nodo(tag, attrs, self.actual)
        self.actual.hijos.append(nodo)
        self.todos.append(nodo)
        if "id" in nodo.attrs:
            self.por_id.setdefault(nodo.attrs["id"], nodo)
        if tag not in self.VACIOS:
            self.actual = nodo

    def handle_endtag(self, tag):
        nodo = self.actual
        while nodo is not None and nodo.tag != tag:
            nodo = nodo.padre
        if nodo is not None and nodo.padre is not None:
            self.actual = nodo.padre

    def handle_data(self, data):
        self.actual.texto.append(data)

    def campos(self, nombre: str) -> list[Nodo]:
        """The inputs, selects and textareas posted as ``nombre`` (the page's, not the
        row template's)."""
        return [
            n
            for n in self.todos
            if n.tag in ("input", "select", "textarea")
            and n.attrs.get("name") == nombre
            and n.attrs.get("type") != "hidden"
            and not any(a.tag in OCULTOS for a in n.ancestros())
        ]


def se_muestra(nodo: Nodo) -> bool:
    """Whether Bootstrap's CSS shows this message element (see the module's docstring)."""
    if any(
        a.tag in OCULTOS or "hidden" in a.attrs or "d-none" in a.clases for a in nodo.ancestros()
    ):
        return False
    if "invalid-feedback" not in nodo.clases or "d-block" in nodo.clases:
        return True
    return any("is-invalid" in h.clases for h in nodo.hermanos_anteriores())


def comprobar_error(pagina: Pagina, nombre: str, mensaje: str | None = None) -> Nodo:
    """``nombre``'s input is invalid and described by a shown element with its message.

    Returns the message element. Every id in aria-describedby must exist in the page.
    """
    campos = pagina.campos(nombre)
    assert campos, f"no input named {nombre}"
    mensajes = []
    for campo in campos:
        assert campo.attrs.get("aria-invalid") == "true", (nombre, campo.attrs)
        ids = campo.attrs.get("aria-describedby", "").split()
        for id_ in ids:
            assert id_ in pagina.por_id, f"{nombre}: aria-describedby names a missing #{id_}"
        descritos = [pagina.por_id[i] for i in ids]
        errores = [n for n in descritos if "invalid-feedback" in n.clases]
        assert errores, f"{nombre}: aria-describedby names no error message: {ids}"
        for error in errores:
            assert se_muestra(error), f"{nombre}: the message #{error.attrs['id']} is hidden"
            if mensaje is not None:
                assert mensaje in error.contenido(), (nombre, error.contenido())
        mensajes.extend(errores)
    return mensajes[0]


def enlaces_del_resumen(pagina: Pagina) -> dict[str, str]:
    """href → text of the error summary's links."""
    resumen = pagina.por_id["resumen-errores"]
    enlaces = {}

    def recorrer(nodo):
        for hijo in nodo.hijos:
            if hijo.tag == "a":
                enlaces[hijo.attrs["href"]] = hijo.contenido()
            recorrer(hijo)

    recorrer(resumen)
    return enlaces


@pytest.fixture
def cliente():
    return ClienteFactory(nombre="Ferretería Ñandú")


@pytest.fixture
def ejecutor():
    return EjecutorFactory(nombre="Ana Pérez")


def con_errores_en_todo(monkeypatch, form_class, mensaje="Error de prueba en {}."):
    """Make ``form_class`` add an error to each of its visible fields after its own clean().

    No rule of the product puts an error on some widget kinds (a checkbox, say), yet each
    kind must show one: this checks the rendering of all of them at once.
    """
    original = form_class.clean

    def clean(self):
        datos = original(self)
        for nombre, campo in list(self.fields.items()):
            if not campo.widget.is_hidden and nombre != "DELETE" and nombre not in self.errors:
                self.add_error(nombre, mensaje.format(nombre))
        return datos

    monkeypatch.setattr(form_class, "clean", clean)


# --- the case editor ------------------------------------------------------------------------


def test_a_missing_cliente_is_shown_next_to_the_lupa_and_tied_to_it(cliente_soporte):
    datos = datos_post(datos_caso(ClienteFactory(), cliente=""), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    pagina = Pagina(response.content.decode())
    error = comprobar_error(pagina, "cliente", "Seleccione el cliente del caso.")
    assert error.attrs["id"] == "id_cliente_error"
    # The no-JavaScript text box of the lupa is the input typed in: it is described too.
    assert comprobar_error(pagina, "cliente_buscar") is error


def test_a_contact_of_another_client_is_shown_next_to_contacto(cliente_soporte, cliente):
    ajeno = ContactoFactory(cliente=ClienteFactory(nombre="Otra empresa"))
    datos = datos_post(datos_caso(cliente, contacto=ajeno.pk), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    pagina = Pagina(response.content.decode())
    comprobar_error(pagina, "contacto", "no pertenece al cliente del caso")
    assert (
        "Contacto: El contacto seleccionado no pertenece al cliente del caso."
        in (enlaces_del_resumen(pagina)["#id_contacto"])
    )


def test_a_stored_case_whose_contact_is_of_another_client_shows_it_on_save(cliente_soporte):
    # A contact moved to another client (in the admin, say) after the case was saved.
    caso = CasoFactory(contacto=ContactoFactory())
    datos = datos_post(datos_de(caso), [])

    response = cliente_soporte.post(f"/casos/{caso.pk}/editar/", datos)

    comprobar_error(Pagina(response.content.decode()), "contacto", "no pertenece al cliente")


@pytest.mark.parametrize(
    ("campo", "valor", "mensaje"),
    [
        ("coordinador", "999999", "No se encontró «999999»"),  # lupa over every option
        ("etapa", "inventada", "Escoja una opción válida"),  # select
        ("avance", "150", "entre 0 y 100"),  # number
        ("fecha_cierre", "2026-03-01", "igual o posterior a la fecha de inicio"),  # date
        ("comentario", "x" * 10_001, "10.000"),  # textarea
    ],
)
def test_each_widget_kind_of_the_case_shows_its_real_error(
    cliente_soporte, cliente, campo, valor, mensaje
):
    datos = datos_post(datos_caso(cliente, **{campo: valor}), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    pagina = Pagina(response.content.decode())
    comprobar_error(pagina, campo, mensaje)
    assert f"#id_{campo}" in enlaces_del_resumen(pagina)


def test_every_field_of_the_case_form_shows_its_error(monkeypatch, cliente_soporte, cliente):
    con_errores_en_todo(monkeypatch, CasoForm)

    response = cliente_soporte.post(URL_NUEVO, datos_post(datos_caso(cliente), []))

    pagina = Pagina(response.content.decode())
    enlaces = enlaces_del_resumen(pagina)
    for nombre, campo in CasoForm(data={}).fields.items():
        if campo.widget.is_hidden:
            continue
        comprobar_error(pagina, nombre, f"Error de prueba en {nombre}.")
        assert enlaces[f"#id_{nombre}"].endswith(f"Error de prueba en {nombre}.")


def test_the_activity_rows_show_their_errors_next_to_each_input(cliente_soporte, cliente, ejecutor):
    filas = [
        fila(ejecutor, hora_inicio="10:00", hora_fin="09:00"),  # time
        fila(ejecutor, descripcion="", hora_inicio="11:00", hora_fin="12:00"),  # textarea
        fila(ejecutor, fecha="2026-01-01", hora_inicio="13:00", hora_fin="14:00"),  # date
        {**fila(ejecutor, hora_inicio="15:00", hora_fin="16:00"), "ejecutor": "999999"},  # lupa
    ]

    response = cliente_soporte.post(URL_NUEVO, datos_post(datos_caso(cliente), filas))

    pagina = Pagina(response.content.decode())
    comprobar_error(pagina, "actividades-0-hora_fin", "posterior a la hora de inicio (10:00)")
    comprobar_error(pagina, "actividades-1-descripcion", "Describa la actividad.")
    comprobar_error(pagina, "actividades-2-fecha", "anterior al 02/03/2026")
    comprobar_error(pagina, "actividades-3-ejecutor", "ya no existe")
    enlaces = enlaces_del_resumen(pagina)
    assert enlaces["#id_actividades-0-hora_fin"].startswith("Actividades, renglón 1 · ")
    assert "#id_actividades-3-ejecutor" in enlaces


def test_every_field_of_an_activity_row_shows_its_error(
    monkeypatch, cliente_soporte, cliente, ejecutor
):
    con_errores_en_todo(monkeypatch, ActividadForm)

    response = cliente_soporte.post(URL_NUEVO, datos_post(datos_caso(cliente), [fila(ejecutor)]))

    pagina = Pagina(response.content.decode())
    enlaces = enlaces_del_resumen(pagina)
    campos = (
        "fecha",
        "hora_inicio",
        "hora_fin",
        "descripcion",
        "ejecutor",
        "facturable",
        "articulo",
    )
    for nombre in campos:
        comprobar_error(pagina, f"actividades-0-{nombre}", f"Error de prueba en {nombre}.")
        assert f"#id_actividades-0-{nombre}" in enlaces


def test_the_summary_counts_and_links_every_error(cliente_soporte, ejecutor):
    datos = datos_post(
        datos_caso(ClienteFactory(), cliente="", asunto=""),
        [fila(ejecutor, hora_inicio="10:00", hora_fin="09:00")],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    pagina = Pagina(response.content.decode())
    resumen = pagina.por_id["resumen-errores"]
    assert "Hay 3 errores marcados junto a sus campos." in resumen.contenido()
    enlaces = enlaces_del_resumen(pagina)
    # In the order of the page: Asunto, Cliente, then the rows.
    assert list(enlaces) == ["#id_asunto", "#id_cliente", "#id_actividades-0-hora_fin"]
    for href in enlaces:
        assert href[1:] in pagina.por_id


# --- quick add ------------------------------------------------------------------------------


def datos_rapido(del_caso, **cambios) -> dict:
    datos = {
        "fecha": INICIO.isoformat(),
        "prioridad": "media",
        "nivel": "0",
        "cliente": del_caso.pk,
        "contacto": "",
        "ejecutor": "",
        "asunto": "Revisar la impresora",
        "etapa": "",
        "comentario": "",
    }
    datos.update(cambios)
    return datos


def test_quick_add_shows_a_missing_cliente_next_to_the_lupa(cliente_soporte, cliente):
    response = cliente_soporte.post(URL_RAPIDO, datos_rapido(cliente, cliente=""))

    pagina = Pagina(response.content.decode())
    comprobar_error(pagina, "cliente", "Seleccione el cliente del caso.")
    comprobar_error(pagina, "cliente_buscar")
    assert "Cliente: Seleccione el cliente del caso." in enlaces_del_resumen(pagina)["#id_cliente"]


def test_quick_add_shows_a_contact_of_another_client_next_to_contacto(cliente_soporte, cliente):
    ajeno = ContactoFactory(cliente=ClienteFactory())

    response = cliente_soporte.post(URL_RAPIDO, datos_rapido(cliente, contacto=ajeno.pk))

    comprobar_error(Pagina(response.content.decode()), "contacto", "no pertenece al cliente")


@pytest.mark.parametrize(
    ("campo", "valor", "mensaje"),
    [
        ("ejecutor", "999999", "No se encontró «999999»"),
        ("etapa", "inventada", "Escoja una opción válida"),
        ("fecha", "", "Indique la fecha de inicio."),
    ],
)
def test_quick_add_shows_each_widget_kinds_error(cliente_soporte, cliente, campo, valor, mensaje):
    response = cliente_soporte.post(URL_RAPIDO, datos_rapido(cliente, **{campo: valor}))

    comprobar_error(Pagina(response.content.decode()), campo, mensaje)


def test_every_field_of_quick_add_shows_its_error(monkeypatch, cliente_soporte, cliente):
    con_errores_en_todo(monkeypatch, CasoRapidoForm)

    response = cliente_soporte.post(URL_RAPIDO, datos_rapido(cliente))

    pagina = Pagina(response.content.decode())
    enlaces = enlaces_del_resumen(pagina)
    for nombre, campo in CasoRapidoForm().fields.items():
        if campo.widget.is_hidden:
            continue
        comprobar_error(pagina, nombre, f"Error de prueba en {nombre}.")
        assert f"#id_{nombre}" in enlaces


# --- the client editor ----------------------------------------------------------------------


def test_the_client_editor_ties_every_error_to_its_input(monkeypatch, cliente_coordinador):
    con_errores_en_todo(monkeypatch, ClienteForm)
    con_errores_en_todo(monkeypatch, ContactoForm)
    datos = datos_clientes.datos_post(
        datos_clientes.datos_cliente(), [{"nombre": "Ana Pérez", "activo": True}]
    )

    response = cliente_coordinador.post("/clientes/nuevo/", datos)

    pagina = Pagina(response.content.decode())
    enlaces = enlaces_del_resumen(pagina)
    for nombre, campo in ClienteForm().fields.items():
        if campo.widget.is_hidden:
            continue
        comprobar_error(pagina, nombre, f"Error de prueba en {nombre}.")
        assert f"#id_{nombre}" in enlaces
    for nombre in ("nombre", "cargo", "email", "telefono", "activo"):
        comprobar_error(pagina, f"contactos-0-{nombre}", f"Error de prueba en {nombre}.")
        assert enlaces[f"#id_contactos-0-{nombre}"].startswith("Contactos, renglón 1 · ")


def test_the_client_editor_shows_a_bad_email_in_a_contact_row(cliente_coordinador):
    datos = datos_clientes.datos_post(
        datos_clientes.datos_cliente(nombre=""), [{"nombre": "Ana", "email": "ana@"}]
    )

    response = cliente_coordinador.post("/clientes/nuevo/", datos)

    pagina = Pagina(response.content.decode())
    comprobar_error(pagina, "nombre", "Escriba el nombre del cliente.")
    comprobar_error(pagina, "contactos-0-email", "Escriba un correo electrónico válido")
