"""The client list (/clientes/): search, filters, bad input, pagination, queries."""

import re

import pytest

from customers.models import Cliente
from efactory.estatus import Estatus
from tests.factories import CasoFactory, ClienteFactory

pytestmark = pytest.mark.django_db

URL = "/clientes/"


def codigos(response) -> list[str]:
    """The códigos of the rows shown, in the order shown."""
    return [cliente.codigo for cliente in response.context["object_list"]]


def aviso_ignorados(response) -> str | None:
    match = re.search(r"Se ignoraron valores no válidos en:([^<]*)<", response.content.decode())
    return " ".join(match.group(1).split()) if match else None


@pytest.fixture
def nandu(db):
    return ClienteFactory(
        codigo="FN001",
        nombre="Ferretería Ñandú",
        rif="J-12345678-9",
        email="compras@nandu.com.ve",
    )


@pytest.fixture
def otros(db):
    return [
        ClienteFactory(codigo="AC001", nombre="Acme Venezuela", email="info@acme.example"),
        ClienteFactory(codigo="PZ002", nombre="Panadería Zuliana", rif="V-987"),
    ]


def test_it_lists_clients_by_name_with_their_columns(cliente_soporte, nandu, otros):
    nandu.estatus = Estatus.SUSPENDIDO
    nandu.interno = True
    nandu.save()

    response = cliente_soporte.get(URL)

    assert response.status_code == 200
    assert codigos(response) == ["AC001", "FN001", "PZ002"]
    html = response.content.decode()
    for texto in ("Código", "Nombre", "Tipo", "RIF", "Estatus", "Interno", "Casos"):
        assert f">{texto}</th>" in html
    assert "J-12345678-9" in html
    assert 'class="badge estatus-cliente text-bg-warning">Suspendido</span>' in html
    assert f'href="/clientes/{nandu.pk}/"' in html


@pytest.mark.parametrize("q", ["nandu", "ÑANDÚ", "Ñandú", "ferreteria nandu", "FERRETERÍA"])
def test_it_finds_a_client_typed_with_or_without_accents_or_capitals(
    cliente_soporte, nandu, otros, q
):
    response = cliente_soporte.get(URL, {"q": q})

    assert codigos(response) == ["FN001"]


@pytest.mark.parametrize(
    ("q", "esperados"),
    [
        ("fn001", ["FN001"]),  # código
        ("j-12345678", ["FN001"]),  # RIF
        ("acme.example", ["AC001"]),  # e-mail
        ("v-987", ["PZ002"]),
        ("a", ["AC001", "FN001", "PZ002"]),
    ],
)
def test_it_searches_codigo_rif_and_email(cliente_soporte, nandu, otros, q, esperados):
    response = cliente_soporte.get(URL, {"q": q})

    assert codigos(response) == esperados


def test_every_word_of_the_search_must_match(cliente_soporte, nandu, otros):
    assert codigos(cliente_soporte.get(URL, {"q": "ferreteria acme"})) == []
    assert codigos(cliente_soporte.get(URL, {"q": "acme venezuela"})) == ["AC001"]


@pytest.mark.parametrize(
    ("params", "esperados"),
    [
        ({"estatus": "inactivo"}, ["I"]),
        ({"estatus": "suspendido"}, ["S"]),
        ({"tipo": "persona"}, ["I"]),
        ({"interno": "true"}, ["S"]),
        ({"interno": "false"}, ["A", "I"]),
        ({"tipo": "empresa", "estatus": "activo"}, ["A"]),
    ],
    ids=lambda v: (
        "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else "+".join(v)
    ),
)
def test_it_filters_by_estatus_tipo_and_interno(cliente_soporte, params, esperados):
    ClienteFactory(codigo="A", estatus=Estatus.ACTIVO, tipo="empresa")
    ClienteFactory(codigo="I", estatus=Estatus.INACTIVO, tipo="persona")
    ClienteFactory(codigo="S", estatus=Estatus.SUSPENDIDO, tipo="empresa", interno=True)

    assert sorted(codigos(cliente_soporte.get(URL, params))) == esperados


@pytest.mark.parametrize(
    ("params", "ignorados"),
    [
        ({"estatus": "borrado"}, "estatus"),
        ({"tipo": "robot"}, "tipo"),
        ({"interno": "quizas"}, "interno"),
        ({"estatus": ["activo", "'; DROP TABLE x"], "tipo": "x"}, "estatus, tipo"),
        ({"q": "nul\x00byte"}, "q"),
    ],
)
def test_junk_filter_values_are_ignored_and_named(cliente_soporte, nandu, otros, params, ignorados):
    response = cliente_soporte.get(URL, params)

    assert response.status_code == 200
    assert aviso_ignorados(response) == ignorados
    assert len(codigos(response)) == 3


@pytest.mark.parametrize(
    ("page", "pagina"),
    [
        # junk: the first page
        ("abc", 1),
        ("0", 1),
        ("-3", 1),
        ("", 1),
        ("2.5", 1),
        ("１", 1),
        # past the end: the last page
        ("7", 2),
        ("9" * 30, 2),
    ],
)
def test_a_junk_or_out_of_range_page_shows_a_real_page(cliente_soporte, page, pagina):
    ClienteFactory.create_batch(30)

    response = cliente_soporte.get(URL, {"page": page})

    assert response.status_code == 200
    assert response.context["page_obj"].number == pagina


def test_it_paginates_25_per_page_keeping_the_filters(cliente_soporte):
    ClienteFactory.create_batch(60, tipo="persona")
    ClienteFactory.create_batch(3, tipo="empresa")

    primera = cliente_soporte.get(URL, {"tipo": "persona"})
    tercera = cliente_soporte.get(URL, {"tipo": "persona", "page": "3"})

    assert len(codigos(primera)) == 25
    assert len(codigos(tercera)) == 10
    html = primera.content.decode()
    assert "60 clientes" in html
    assert 'href="?tipo=persona&amp;page=2"' in html
    todos = set(codigos(primera))
    todos |= set(codigos(cliente_soporte.get(URL, {"tipo": "persona", "page": "2"})))
    todos |= set(codigos(tercera))
    assert todos == set(Cliente.objects.filter(tipo="persona").values_list("codigo", flat=True))


def test_it_shows_the_number_of_cases_of_each_client(cliente_soporte):
    con_casos = ClienteFactory(codigo="CON")
    ClienteFactory(codigo="SIN")
    CasoFactory.create_batch(3, cliente=con_casos)

    response = cliente_soporte.get(URL)

    assert {c.codigo: c.num_casos for c in response.context["object_list"]} == {
        "CON": 3,
        "SIN": 0,
    }


def test_the_new_client_button_is_only_for_users_who_may_add(client, soporte, coordinador, nandu):
    client.force_login(soporte)
    assert "Nuevo cliente" not in client.get(URL).content.decode()

    client.force_login(coordinador)
    assert 'href="/clientes/nuevo/">Nuevo cliente</a>' in client.get(URL).content.decode()


def test_html_in_a_client_name_is_shown_as_text(cliente_soporte):
    ClienteFactory(nombre="<script>alert(1)</script> & Cía")

    html = cliente_soporte.get(URL).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cía" in html


def test_the_list_runs_the_same_queries_for_5_and_50_clients(
    consultas, cliente_soporte, django_assert_num_queries
):
    for _ in range(5):
        CasoFactory(cliente=ClienteFactory())
    cliente_soporte.get(URL)  # warm up the session
    pocos = consultas(cliente_soporte, "get", URL + "?q=cliente&estatus=activo")
    for _ in range(45):
        CasoFactory(cliente=ClienteFactory())
    muchos = consultas(cliente_soporte, "get", URL + "?q=cliente&estatus=activo")

    assert pocos.respuesta.status_code == muchos.respuesta.status_code == 200
    assert len(pocos) == len(muchos), "\n".join(muchos)
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the bounded count of matching clients
    # 5 the keys of the page
    # 6 the page of clients by those keys, with their number of cases (a subquery)
    with django_assert_num_queries(6):
        cliente_soporte.get(URL + "?q=cliente&estatus=activo&page=2")
