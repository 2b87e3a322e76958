"""The lupa search assistant: /buscar/<tabla>/ and the LupaSelect widget of the big tables.

The endpoint answers accent- and case-insensitively, most relevant first, at most 20 rows,
inactive rows only when asked; the editor's Cliente and Contacto fields never render the
whole table, so the pages weigh and query the same for 10 clients or 5,000; without
JavaScript the <noscript> box ``cliente_buscar`` takes a code or a name.
"""

import datetime
import re

import pytest

from cases.models import Caso
from customers.models import Cliente, Contacto
from efactory.estatus import Estatus
from tests.factories import (
    ArticuloFactory,
    CasoFactory,
    ClienteFactory,
    ContactoFactory,
    EjecutorFactory,
)

pytestmark = pytest.mark.django_db

LIMITE = 20


def url(tabla: str) -> str:
    return f"/buscar/{tabla}/"


def resultados(client, tabla, **params) -> list[dict]:
    """The JSON answer's rows."""
    response = client.get(url(tabla), {"formato": "json", **params})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()["resultados"]


def textos(client, tabla, **params) -> list[str]:
    return [r["texto"] for r in resultados(client, tabla, **params)]


def ids(client, tabla, **params) -> list[int]:
    return [r["id"] for r in resultados(client, tabla, **params)]


@pytest.fixture
def nandu(db):
    return ClienteFactory(
        nombre="Ferretería Ñandú",
        codigo="FN-01",
        email="compras@tiendanandu.com.ve",
        rif="J-30123456-7",
    )


@pytest.fixture
def otros_clientes(db):
    return [
        ClienteFactory(nombre="Papelería Norte", codigo="PN-01", email="ventas@norte.com"),
        ClienteFactory(nombre="Librería Central", codigo="LC-01"),
    ]


# --- Clientes: what is found ---------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "nandu",  # no accents, no tilde
        "ÑANDÚ",  # upper case with accents
        "Ñandú",
        "ferreteria",
        "FERRETERÍA ñandu",
        "fn-01",  # código, other case
        "FN-01",
        "tiendanandu.com",  # e-mail
        "compras@",
        "J-30123456-7",  # RIF
        "30123456",
        "  nandu  ",  # spaces around
    ],
)
def test_it_finds_the_client_by_name_code_email_and_rif(cliente_soporte, nandu, otros_clientes, q):
    assert textos(cliente_soporte, "clientes", q=q) == ["Ferretería Ñandú"]


def test_an_empty_query_lists_active_clients_by_name(cliente_soporte, nandu, otros_clientes):
    assert textos(cliente_soporte, "clientes", q="") == [
        "Ferretería Ñandú",
        "Librería Central",
        "Papelería Norte",
    ]
    assert textos(cliente_soporte, "clientes") == textos(cliente_soporte, "clientes", q="")


def test_nothing_matches_gives_an_empty_list(cliente_soporte, nandu):
    assert resultados(cliente_soporte, "clientes", q="zzzz") == []


def test_relevance_exact_code_then_name_start_then_word_start_then_the_rest(cliente_soporte):
    otro = ClienteFactory(nombre="Almacén Recasa", codigo="AR-1")  # inside a word
    correo = ClienteFactory(nombre="Bodega Azul", codigo="BA-1", email="casa@bodega.com")
    palabra = ClienteFactory(nombre="La Casa del Pan", codigo="LCP")  # a word starts
    empieza_b = ClienteFactory(nombre="Casamar", codigo="CM-1")  # the name starts
    empieza_a = ClienteFactory(nombre="Casa Blanca", codigo="CB-1")
    codigo = ClienteFactory(nombre="Zeta Distribuciones", codigo="CASA")  # the exact code
    en_codigo = ClienteFactory(nombre="Yuca Express", codigo="CASA-2")  # code contains it

    assert ids(cliente_soporte, "clientes", q="casa") == [
        codigo.pk,
        empieza_a.pk,
        empieza_b.pk,
        palabra.pk,
        otro.pk,
        correo.pk,
        en_codigo.pk,
    ]


def test_an_exact_code_comes_first_whatever_its_case_and_accents(cliente_soporte):
    ClienteFactory(nombre="Ñu Alimentos", codigo="NU-2")
    exacto = ClienteFactory(nombre="Zapatería Ñu", codigo="ÑU")

    assert ids(cliente_soporte, "clientes", q="ñu")[0] == exacto.pk
    assert ids(cliente_soporte, "clientes", q="NU")[0] == exacto.pk


def test_it_answers_at_most_20_rows_the_most_relevant_ones(cliente_soporte):
    Cliente.objects.bulk_create(
        Cliente(codigo=f"X{i:03d}", nombre=f"Zona Ñandú {i:03d}") for i in range(30)
    )
    primero = ClienteFactory(nombre="Ñandú Primero", codigo="NP")

    encontrados = resultados(cliente_soporte, "clientes", q="nandu")

    assert len(encontrados) == LIMITE
    assert encontrados[0]["id"] == primero.pk
    assert [r["texto"] for r in encontrados[1:]] == [f"Zona Ñandú {i:03d}" for i in range(19)]
    html = cliente_soporte.get(url("clientes"), {"q": "nandu"}).content.decode()
    assert html.count("data-lupa-opcion") == LIMITE


# --- Inactive rows --------------------------------------------------------------------------


@pytest.fixture
def clientes_con_estatus(db):
    return {
        "activo": ClienteFactory(nombre="Ñandú Activo", codigo="NA"),
        "inactivo": ClienteFactory(nombre="Ñandú Inactivo", codigo="NI", estatus=Estatus.INACTIVO),
        "suspendido": ClienteFactory(
            nombre="Ñandú Suspendido", codigo="NS", estatus=Estatus.SUSPENDIDO
        ),
    }


def test_inactive_and_suspended_clients_are_left_out(cliente_soporte, clientes_con_estatus):
    assert textos(cliente_soporte, "clientes", q="nandu") == ["Ñandú Activo"]
    assert textos(cliente_soporte, "clientes", q="NI") == []
    assert textos(cliente_soporte, "clientes", q="nandu", inactivos="0") == ["Ñandú Activo"]
    assert textos(cliente_soporte, "clientes", q="nandu", inactivos="junk") == ["Ñandú Activo"]


def test_inactivos_1_includes_them_marked(cliente_soporte, clientes_con_estatus):
    encontrados = resultados(cliente_soporte, "clientes", q="nandu", inactivos="1")

    assert [(r["texto"], r["activo"], r["estatus"]) for r in encontrados] == [
        ("Ñandú Activo", True, "Activo"),
        ("Ñandú Inactivo", False, "Inactivo"),
        ("Ñandú Suspendido", False, "Suspendido"),
    ]
    html = cliente_soporte.get(url("clientes"), {"q": "nandu", "inactivos": "1"}).content.decode()
    filas = re.findall(r"<tr .*?</tr>", html, flags=re.S)
    assert len(filas) == 3
    assert "badge" not in filas[0]
    assert re.search(r'class="badge[^"]*">Inactivo<', filas[1])
    assert re.search(r'class="badge[^"]*">Suspendido<', filas[2])


# --- Contactos: only the given client's -----------------------------------------------------


@pytest.fixture
def contactos(nandu, otros_clientes):
    norte = otros_clientes[0]
    return {
        "maria": ContactoFactory(
            cliente=nandu, nombre="María Gómez", cargo="Compras", email="maria@nandu.com"
        ),
        "jose": ContactoFactory(cliente=nandu, nombre="José Ñáñez", cargo="Gerente"),
        "baja": ContactoFactory(cliente=nandu, nombre="Omar Retirado", activo=False),
        "ajena": ContactoFactory(cliente=norte, nombre="María Norte", email="maria@norte.com"),
    }


def test_contactos_are_only_those_of_the_given_client(cliente_soporte, nandu, contactos):
    assert textos(cliente_soporte, "contactos", cliente=nandu.pk) == [
        "José Ñáñez",
        "María Gómez",
    ]
    assert textos(cliente_soporte, "contactos", cliente=nandu.pk, q="maria") == ["María Gómez"]
    assert textos(cliente_soporte, "contactos", cliente=nandu.pk, q="NANEZ") == ["José Ñáñez"]
    assert textos(cliente_soporte, "contactos", cliente=nandu.pk, q="gerente") == ["José Ñáñez"]
    assert textos(cliente_soporte, "contactos", cliente=nandu.pk, q="norte.com") == []
    assert textos(cliente_soporte, "contactos", cliente=nandu.pk, q="mar", inactivos="1") == [
        "María Gómez",
        "Omar Retirado",
    ]


def test_contactos_of_the_other_client_are_that_clients_only(
    cliente_soporte, otros_clientes, contactos
):
    assert textos(cliente_soporte, "contactos", cliente=otros_clientes[0].pk) == ["María Norte"]
    assert textos(cliente_soporte, "contactos", cliente=otros_clientes[1].pk) == []


@pytest.mark.parametrize(
    "cliente",
    [
        None,
        "",
        "abc",
        "-1",
        "0",
        "1.0",
        "1 OR 1=1",
        "²",
        "١",  # an Arabic-Indic digit: isdigit() but not an id
        "9" * 25,
        str(2**63),
        "99999",
    ],
)
def test_contactos_without_a_valid_client_are_none(cliente_soporte, contactos, cliente):
    params = {"q": "maria"} if cliente is None else {"q": "maria", "cliente": cliente}

    assert resultados(cliente_soporte, "contactos", **params) == []
    response = cliente_soporte.get(url("contactos"), params)
    assert response.status_code == 200
    assert "María" not in response.content.decode()


# --- Ejecutores and artículos ---------------------------------------------------------------


def test_ejecutores_by_name_and_email_active_only(cliente_soporte):
    ana = EjecutorFactory(nombre="Ana Pérez", email="aperez@efactory.com")
    EjecutorFactory(nombre="Andrés Ruiz", email="aruiz@efactory.com")
    baja = EjecutorFactory(nombre="Ana Inactiva", estatus=Estatus.INACTIVO)

    assert textos(cliente_soporte, "ejecutores", q="PEREZ") == ["Ana Pérez"]
    assert textos(cliente_soporte, "ejecutores", q="aperez@") == ["Ana Pérez"]
    assert textos(cliente_soporte, "ejecutores", q="an") == ["Ana Pérez", "Andrés Ruiz"]
    assert ids(cliente_soporte, "ejecutores", q="ana", inactivos="1") == [baja.pk, ana.pk]
    assert resultados(cliente_soporte, "ejecutores", q="ana")[0]["detalle"] == (
        "aperez@efactory.com"
    )


def test_articulos_by_code_and_name_active_only(cliente_soporte):
    soporte = ArticuloFactory(codigo="SOP-1", nombre="Soporte técnico")
    ArticuloFactory(codigo="SOP-2", nombre="Soporte remoto")
    ArticuloFactory(codigo="SOP-3", nombre="Soporte antiguo", activo=False)

    assert textos(cliente_soporte, "articulos", q="tecnico") == ["Soporte técnico"]
    assert ids(cliente_soporte, "articulos", q="sop-1") == [soporte.pk]
    assert textos(cliente_soporte, "articulos", q="soporte") == [
        "Soporte remoto",
        "Soporte técnico",
    ]
    assert len(resultados(cliente_soporte, "articulos", q="soporte", inactivos="1")) == 3


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tabla", ["casos", "usuarios", "cliente", "xx", "auth_user"])
def test_an_unknown_table_is_404(cliente_soporte, tabla):
    assert cliente_soporte.get(url(tabla), {"q": "a"}).status_code == 404


@pytest.mark.parametrize("tabla", ["clientes", "contactos", "ejecutores", "articulos"])
def test_anonymous_users_are_sent_to_login(client, tabla):
    response = client.get(url(tabla), {"q": "a", "formato": "json"})

    assert response.status_code == 302
    assert response["Location"].startswith("/cuentas/login/?next=")


@pytest.mark.parametrize("tabla", ["clientes", "contactos", "ejecutores", "articulos"])
def test_a_user_without_the_view_permission_gets_403(client, sin_grupo, nandu, tabla):
    client.force_login(sin_grupo)

    response = client.get(url(tabla), {"q": "nandu", "cliente": nandu.pk, "formato": "json"})

    assert response.status_code == 403
    assert "Ñandú" not in response.content.decode()


def test_only_get_is_allowed(cliente_soporte):
    assert cliente_soporte.post(url("clientes"), {"q": "a"}).status_code == 405


# --- Junk -----------------------------------------------------------------------------------

JUNK = [
    "%",
    "_",
    "%%",
    "a%b",
    "\\",
    "'",
    '"',
    "' OR '1'='1",
    "'; DROP TABLE customers_cliente; --",
    "x" * 500,
    "ñ" * 500,
    "😀",
    "Ñandú 😀",
    "²",
    "ﬁ",  # a ligature NFKD splits
    "9" * 40,
    str(2**63),
    "-0",
    "<script>alert(1)</script>",
    "\t\n",
    "\u200b",
    "a\x00b",  # PostgreSQL refuses NUL in text parameters
    "\x00",
]


@pytest.mark.parametrize("q", JUNK)
@pytest.mark.parametrize("tabla", ["clientes", "contactos", "ejecutores", "articulos"])
def test_junk_queries_are_answered_never_500(cliente_soporte, nandu, contactos, tabla, q):
    ClienteFactory(nombre="Ciento 100% real_mente", codigo="100%")
    params = {"q": q, "cliente": nandu.pk, "inactivos": "1"}

    assert cliente_soporte.get(url(tabla), params).status_code == 200
    assert cliente_soporte.get(url(tabla), {**params, "formato": "json"}).status_code == 200


def test_percent_and_underscore_are_literal_not_wildcards(cliente_soporte, nandu):
    porcentaje = ClienteFactory(nombre="Ciento 100% real", codigo="P100")
    guion = ClienteFactory(nombre="Guion bajo_aquí", codigo="GB")

    assert ids(cliente_soporte, "clientes", q="%") == [porcentaje.pk]
    assert ids(cliente_soporte, "clientes", q="0%") == [porcentaje.pk]
    assert ids(cliente_soporte, "clientes", q="_") == [guion.pk]
    assert ids(cliente_soporte, "clientes", q="o_a") == [guion.pk]


def test_superscripts_and_ligatures_match_their_plain_letters(cliente_soporte):
    dos = ClienteFactory(nombre="Oficina 2", codigo="OF-2")

    assert ids(cliente_soporte, "clientes", q="²") == [dos.pk]
    assert ids(cliente_soporte, "clientes", q="ﬁcina") == [dos.pk]


@pytest.mark.parametrize("param", ["inactivos", "formato", "cliente"])
def test_junk_in_the_other_parameters_is_ignored(cliente_soporte, nandu, param):
    response = cliente_soporte.get(url("clientes"), {"q": "nandu", param: "\u00b2" + "9" * 30})

    assert response.status_code == 200
    assert "Ferretería Ñandú" in response.content.decode()


def test_html_in_names_is_shown_as_text(cliente_soporte):
    ClienteFactory(nombre='<b onclick="x()">Negrita</b>', codigo="<i>")

    html = cliente_soporte.get(url("clientes"), {"q": "negrita"}).content.decode()
    datos = resultados(cliente_soporte, "clientes", q="negrita")

    assert "<b onclick" not in html
    assert "&lt;b onclick=&quot;x()&quot;&gt;Negrita&lt;/b&gt;" in html
    assert datos[0]["texto"] == '<b onclick="x()">Negrita</b>'


# --- Formats --------------------------------------------------------------------------------


def test_the_json_format(cliente_soporte, nandu):
    response = cliente_soporte.get(url("clientes"), {"q": "nandu", "formato": "json"})

    assert response.json() == {
        "resultados": [
            {
                "id": nandu.pk,
                "texto": "Ferretería Ñandú",
                "codigo": "FN-01",
                "detalle": "J-30123456-7 · compras@tiendanandu.com.ve",
                "activo": True,
                "estatus": "Activo",
                "interno": False,
            }
        ]
    }


def test_the_json_format_of_contactos_and_articulos(cliente_soporte, nandu, contactos):
    articulo = ArticuloFactory(codigo="RED-1", nombre="Cableado")

    assert resultados(cliente_soporte, "contactos", cliente=nandu.pk, q="maria") == [
        {
            "id": contactos["maria"].pk,
            "texto": "María Gómez",
            "codigo": "",
            "detalle": "Compras · maria@nandu.com",
            "activo": True,
            "estatus": "",
        }
    ]
    assert resultados(cliente_soporte, "articulos", q="cable") == [
        {
            "id": articulo.pk,
            "texto": "Cableado",
            "codigo": "RED-1",
            "detalle": "",
            "activo": True,
            "estatus": "",
        }
    ]


def test_the_html_fragment_is_table_rows_to_pick_from(cliente_soporte, nandu):
    response = cliente_soporte.get(url("clientes"), {"q": "nandu"})
    html = response.content.decode()

    assert response["Content-Type"].startswith("text/html")
    assert "<html" not in html and "<body" not in html
    fila = re.search(r"<tr [^>]*data-lupa-opcion[^>]*>", html).group(0)
    assert f'data-id="{nandu.pk}"' in fila
    assert 'data-texto="Ferretería Ñandú"' in fila
    assert 'tabindex="-1"' in fila
    assert "FN-01" in html and "compras@tiendanandu.com.ve" in html


def test_the_html_fragment_says_when_nothing_matches(cliente_soporte, nandu):
    html = cliente_soporte.get(url("clientes"), {"q": "zzz<b>"}).content.decode()

    assert "data-lupa-opcion" not in html
    assert "Nada coincide con «zzz&lt;b&gt;»." in html


# --- Queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("formato", ["json", "html"])
def test_the_search_runs_the_same_queries_for_10_and_100_matching_rows(
    consultas, cliente_soporte, formato, django_assert_num_queries
):
    nandu = ClienteFactory(nombre="Ñandú", codigo="N")
    Cliente.objects.bulk_create(
        Cliente(codigo=f"A{i:03d}", nombre=f"Ñandú {i:03d}") for i in range(10)
    )
    Contacto.objects.bulk_create(Contacto(cliente=nandu, nombre=f"Ñandú {i}") for i in range(10))
    cliente_soporte.get(url("clientes"))  # warm up the session
    params = {"q": "nandu", "cliente": nandu.pk, "formato": formato}
    pocos = {
        tabla: consultas(cliente_soporte, "get", url(tabla), params)
        for tabla in ("clientes", "contactos")
    }
    Cliente.objects.bulk_create(
        Cliente(codigo=f"B{i:03d}", nombre=f"Ñandú B{i:03d}") for i in range(90)
    )
    Contacto.objects.bulk_create(Contacto(cliente=nandu, nombre=f"Ñandú B{i}") for i in range(90))

    muchos = {tabla: consultas(cliente_soporte, "get", url(tabla), params) for tabla in pocos}

    for tabla in pocos:
        assert pocos[tabla].respuesta.status_code == muchos[tabla].respuesta.status_code == 200
        assert len(muchos[tabla]) == len(pocos[tabla]), "\n".join(muchos[tabla])
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the 20 rows (contacts: with their client joined)
    for tabla in pocos:
        with django_assert_num_queries(4):
            cliente_soporte.get(url(tabla), params)


# --- The editor's big-table fields: flat in the number of clients ---------------------------


def _crear_clientes(n: int, desde: int = 0):
    """``n`` clients with two contacts each, in bulk; names of different lengths."""
    nuevos = Cliente.objects.bulk_create(
        Cliente(codigo=f"M{i:06d}", nombre=f"Cliente masivo {'x' * (i % 7)}{i}")
        for i in range(desde, desde + n)
    )
    Contacto.objects.bulk_create(
        Contacto(cliente=c, nombre=f"Contacto {c.codigo} {j}") for c in nuevos for j in range(2)
    )


@pytest.fixture
def pagina(consultas):
    """``pagina(client, ruta)``: (bytes, queries, html) of a GET."""

    def medir(client, ruta) -> tuple[int, int, str]:
        sql = consultas(client, "get", ruta)
        assert sql.respuesta.status_code == 200, ruta
        return len(sql.respuesta.content), len(sql), sql.respuesta.content.decode()

    return medir


@pytest.fixture
def caso_con_cliente(db):
    cliente = ClienteFactory(nombre="Ferretería Ñandú", codigo="FN-01")
    contacto = ContactoFactory(cliente=cliente, nombre="María Gómez")
    ejecutor = EjecutorFactory(nombre="Ana Pérez")
    return CasoFactory(
        asunto="Impresora",
        cliente=cliente,
        contacto=contacto,
        ejecutor=ejecutor,
        fecha_inicio=datetime.date(2026, 3, 2),
    )


RUTAS = [
    "/casos/nuevo/",
    "editar",
    "/casos/rapido/",
    "/casos/",
    "cliente",
    "/casos/proximos/",
    "proximos-cliente",
]


def _ruta(ruta, caso):
    return {
        "editar": f"/casos/{caso.pk}/editar/",
        "cliente": f"/casos/?cliente={caso.cliente_id}",
        "proximos-cliente": f"/casos/proximos/?agrupar=cliente&cliente={caso.cliente_id}",
    }.get(ruta, ruta)


def test_the_pages_weigh_and_query_the_same_for_10_and_5000_clients(
    pagina, cliente_soporte, caso_con_cliente
):
    _crear_clientes(9)
    rutas = [_ruta(r, caso_con_cliente) for r in RUTAS]
    for ruta in rutas:
        cliente_soporte.get(ruta)  # warm up the session and caches
    pocos = {ruta: pagina(cliente_soporte, ruta) for ruta in rutas}
    assert Cliente.objects.count() == 10

    _crear_clientes(4990, desde=9)
    assert Cliente.objects.count() == 5000
    muchos = {ruta: pagina(cliente_soporte, ruta) for ruta in rutas}

    for ruta in rutas:
        (bytes_pocos, consultas_pocos, _), (bytes_muchos, consultas_muchos, html) = (
            pocos[ruta],
            muchos[ruta],
        )
        assert abs(bytes_muchos - bytes_pocos) <= 64, (ruta, bytes_pocos, bytes_muchos)
        assert consultas_muchos == consultas_pocos, ruta
        assert "Cliente masivo" not in html, ruta
        assert "Contacto M0" not in html, ruta


def test_the_editor_renders_only_the_chosen_client_and_contact(cliente_soporte, caso_con_cliente):
    _crear_clientes(50)
    html = cliente_soporte.get(f"/casos/{caso_con_cliente.pk}/editar/").content.decode()

    cliente = re.search(r'<select name="cliente".*?</select>', html, flags=re.S).group(0)
    contacto = re.search(r'<select name="contacto".*?</select>', html, flags=re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', cliente) == ["", str(caso_con_cliente.cliente_id)]
    assert re.findall(r'<option value="([^"]*)"', contacto) == [
        "",
        str(caso_con_cliente.contacto_id),
    ]
    assert re.search(r'<option value="\d+" selected>Ferretería Ñandú \(FN-01\)</option>', cliente)
    for etiqueta in ("Buscar cliente", "Buscar contacto", "Buscar ejecutor", "Buscar artículo"):
        assert f'aria-label="{etiqueta}"' in html
    assert '<input type="text" class="form-control" name="cliente_buscar"' in html
    assert 'data-lupa-depende="id_cliente"' in html


# --- Without JavaScript: the <noscript> box -------------------------------------------------


def _post_editor(client, **cambios):
    datos = {
        "asunto": "Sin JavaScript",
        "prioridad": "media",
        "cliente": "",
        "fecha_inicio": "2026-03-02",
        "avance": "0",
        "estimado": "0",
        "nivel": "0",
        "actividades-TOTAL_FORMS": "0",
        "actividades-INITIAL_FORMS": "0",
        "actividades-MIN_NUM_FORMS": "0",
        "actividades-MAX_NUM_FORMS": "1000",
    }
    datos.update(cambios)
    return client.post("/casos/nuevo/", datos)


def _error_de_cliente(html: str) -> str:
    """The text of the error shown under the Cliente field."""
    bloque = re.search(r'id="div_id_cliente".*?(?=id="div_id_)', html, flags=re.S)
    assert bloque, "no Cliente field"
    errores = re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</', bloque.group(0), re.S)
    return " ".join(re.sub(r"<[^>]+>", "", e).strip() for e in errores)


@pytest.fixture
def ferreterias(nandu):
    return {
        "nandu": nandu,
        "tornillo": ClienteFactory(nombre="Ferretería El Tornillo", codigo="FT-01"),
        "vieja": ClienteFactory(
            nombre="Ferretería Vieja", codigo="FV-01", estatus=Estatus.INACTIVO
        ),
    }


@pytest.mark.parametrize("texto", ["FN-01", "fn-01", " FN-01 ", "Ñandú", "tiendanandu"])
def test_without_javascript_a_code_or_unique_text_picks_the_client(
    cliente_soporte, soporte, ferreterias, texto
):
    response = _post_editor(cliente_soporte, cliente_buscar=texto)

    assert response.status_code == 302, _error_de_cliente(response.content.decode())
    caso = Caso.objects.get()
    assert response["Location"] == f"/casos/{caso.pk}/"
    assert (caso.cliente, caso.asunto, caso.propietario) == (
        ferreterias["nandu"],
        "Sin JavaScript",
        soporte,
    )


def test_without_javascript_the_select_wins_over_the_text(cliente_soporte, ferreterias):
    response = _post_editor(
        cliente_soporte, cliente=ferreterias["tornillo"].pk, cliente_buscar="FN-01"
    )

    assert response.status_code == 302
    assert Caso.objects.get().cliente == ferreterias["tornillo"]


@pytest.mark.parametrize(
    ("texto", "nombrado"),
    [
        ("Ferretería", "Ferretería"),  # two active clients match
        ("no existe", "no existe"),
        ("FV-01", "FV-01"),  # the inactive client is not offered
        ("%", "%"),
        ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
    ],
)
def test_without_javascript_an_ambiguous_or_unknown_text_is_refused_next_to_cliente(
    cliente_soporte, ferreterias, texto, nombrado
):
    response = _post_editor(cliente_soporte, cliente_buscar=texto, comentario="Se conserva")

    assert response.status_code == 200
    error = _error_de_cliente(response.content.decode())
    assert f"«{nombrado}»" in error
    assert "código exacto" in error
    assert Caso.objects.count() == 0
    html = response.content.decode()
    assert "Se conserva" in html
    assert 'value="Sin JavaScript"' in html


def test_without_javascript_no_client_at_all_asks_for_one(cliente_soporte, ferreterias):
    response = _post_editor(cliente_soporte, cliente_buscar="   ")

    assert response.status_code == 200
    assert _error_de_cliente(response.content.decode()) == "Seleccione el cliente del caso."
    assert Caso.objects.count() == 0


def test_without_javascript_the_typed_text_comes_back_in_the_box(cliente_soporte, ferreterias):
    response = _post_editor(cliente_soporte, cliente_buscar="Ferretería")

    html = response.content.decode()
    assert re.search(r'<input type="text"[^>]*name="cliente_buscar"[^>]*value="Ferretería"', html)
    select = re.search(r'<select name="cliente".*?</select>', html, flags=re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', select) == [""]


def test_without_javascript_digits_that_match_no_code_are_not_taken_for_an_id(
    cliente_soporte, ferreterias
):
    """ "7" is no client's code: it must not pick whichever client has the primary key 7."""
    Cliente.objects.bulk_create(
        Cliente(codigo=f"Z{i:02d}", nombre=f"Zeta {i}", rif=f"J-{i}77-0") for i in range(10)
    )
    pk = str(Cliente.objects.order_by("pk").last().pk)

    response = _post_editor(cliente_soporte, cliente_buscar=pk)

    assert response.status_code == 200
    assert f"«{pk}»" in _error_de_cliente(response.content.decode())
    assert Caso.objects.count() == 0


def test_without_javascript_client_and_contact_can_both_be_typed(cliente_soporte, contactos):
    response = _post_editor(cliente_soporte, cliente_buscar="FN-01", contacto_buscar="María")

    assert response.status_code == 302
    caso = Caso.objects.get()
    assert (caso.cliente.codigo, caso.contacto) == ("FN-01", contactos["maria"])


def test_without_javascript_a_contact_of_another_client_is_not_found(
    cliente_soporte, nandu, contactos
):
    response = _post_editor(cliente_soporte, cliente=nandu.pk, contacto_buscar="María Norte")

    assert response.status_code == 200
    assert "«María Norte»" in response.content.decode()
    assert Caso.objects.count() == 0
