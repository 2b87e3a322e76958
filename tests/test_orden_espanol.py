"""Names sort the Spanish way on every database, through the real pages.

"Óptica" between "Oficina" and "Pinturas", "Ñ" after "N", lower and upper case together: the
name columns use the collation ``es`` (an ICU collation on PostgreSQL, a Python one registered
on every SQLite connection; efactory/busqueda.py). Run on SQLite and on PostgreSQL.
"""

import csv
import io
import random
import re

import pytest
from django.db import connection

from cases.models import Articulo, Ejecutor
from customers.models import Cliente
from efactory.busqueda import COLACION, Normalizado, clave_espanol
from tests.factories import (
    ArticuloFactory,
    CasoFactory,
    ClienteFactory,
    ContactoFactory,
    EjecutorFactory,
)

pytestmark = pytest.mark.django_db

# Created in this (scrambled) order, so that neither insertion order nor code-point order
# gives the Spanish one.
NOMBRES = [
    "Transporte Y",
    "zapatería",
    "Óptica Mérida",
    "Pinturas X",
    "Óscar Zambrano",
    "Nube",
    "Oficina Central",
    "Ñandú",
    "Oscar Alvarez",
]
EN_ESPANOL = [
    "Nube",
    "Ñandú",
    "Oficina Central",
    "Óptica Mérida",
    "Oscar Alvarez",
    "Óscar Zambrano",
    "Pinturas X",
    "Transporte Y",
    "zapatería",
]


def orden_en(texto: str, nombres=EN_ESPANOL) -> list[str]:
    """The ``nombres`` in the order they first appear in ``texto`` (each must appear)."""
    posiciones = {nombre: texto.find(nombre) for nombre in nombres}
    faltan = [nombre for nombre, pos in posiciones.items() if pos < 0]
    assert not faltan, f"not on the page: {faltan}"
    return sorted(nombres, key=posiciones.get)


def opciones(html: str, nombre: str) -> list[str]:
    """The option labels of the <select name=``nombre``> of a page, in order."""
    select = re.search(rf'<select name="{nombre}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {nombre}"
    return [t.strip() for t in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))]


@pytest.fixture
def clientes(db):
    return [ClienteFactory(nombre=nombre) for nombre in NOMBRES]


@pytest.fixture
def ejecutores(db):
    return [EjecutorFactory(nombre=nombre) for nombre in NOMBRES]


# --- The key and the collation --------------------------------------------------------------


def test_the_python_key_sorts_the_spanish_way():
    assert sorted(NOMBRES, key=clave_espanol) == EN_ESPANOL
    # ñ is a letter after n (not an accented n), and before o.
    assert sorted(["ño", "nz", "o", "na"], key=clave_espanol) == ["na", "nz", "ño", "o"]
    # Accents and case only break ties, unaccented and lower case first.
    assert sorted(["Ángel", "angel", "Angel", "ángel"], key=clave_espanol) == [
        "angel",
        "Angel",
        "ángel",
        "Ángel",
    ]
    # Spaces and punctuation before letters: "Oscar Alvarez" before "Oscarito".
    assert sorted(["Oscarito", "Oscar Alvarez", "Oscar-Alvarez"], key=clave_espanol) == [
        "Oscar Alvarez",
        "Oscar-Alvarez",
        "Oscarito",
    ]


def test_the_database_orders_names_with_the_collation_and_keeps_equality_exact(clientes):
    assert list(Cliente.objects.values_list("nombre", flat=True)) == EN_ESPANOL
    assert list(Cliente.objects.order_by("-nombre").values_list("nombre", flat=True)) == list(
        reversed(EN_ESPANOL)
    )
    # A deterministic collation: "=" still compares the exact text.
    assert Cliente.objects.filter(nombre="Ñandú").count() == 1
    assert Cliente.objects.filter(nombre="Nandu").count() == 0
    assert Cliente.objects.filter(nombre__startswith="Ó").count() == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="compares SQLite's key with PostgreSQL's ICU"
)
def test_the_sqlite_key_gives_the_order_of_postgresqls_icu_collation():
    """The Python collation SQLite uses orders like PostgreSQL's: the same app, the same lists."""
    rng = random.Random(9)
    letras = "aAáÁeéÉñÑnNoóÓuüÜ zZ-.'1,_!?()@&/$"
    textos = {"".join(rng.choice(letras) for _ in range(rng.randint(1, 8))) for _ in range(3000)}
    textos.update(NOMBRES)
    textos = list(textos)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT t FROM unnest(%s::text[]) AS t ORDER BY t COLLATE "{COLACION}"', [textos]
        )
        orden_postgresql = [fila[0] for fila in cursor.fetchall()]
    assert orden_postgresql == sorted(textos, key=clave_espanol)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
def test_accent_free_searches_still_use_the_trigram_indexes_of_the_name_columns(clientes):
    """The columns changed collation; PostgreSQL rebuilt their indexes, which still serve
    the lupa's ``f_unaccent(lower(nombre)) LIKE '%…%'``."""
    qs = Cliente.objects.alias(n=Normalizado("nombre")).filter(n__contains="optica")
    assert [c.nombre for c in qs] == ["Óptica Mérida"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    # Unordered: ordered by nombre, the planner may walk the btree on nombre instead.
    assert "customers_cliente_nombre_trgm" in qs.order_by().explain()


# --- Through the pages -------------------------------------------------------------------------


def test_the_client_list_sorts_names_the_spanish_way(cliente_soporte, clientes):
    html = cliente_soporte.get("/clientes/").content.decode()
    assert orden_en(html) == EN_ESPANOL


def test_the_editor_lookups_offer_ejecutores_the_spanish_way(cliente_soporte, ejecutores):
    """Coord., Ejecutor, Revisor and the rows' Ejecutor list only their chosen row; what a
    person picks from is the lupa's list, in Spanish order."""
    html = cliente_soporte.get("/casos/nuevo/").content.decode()
    for campo in ("ejecutor", "coordinador", "revisor", "actividades-0-ejecutor"):
        assert [o for o in opciones(html, campo) if o != "---------"] == [], campo
    respuesta = cliente_soporte.get("/buscar/ejecutores/", {"q": "", "formato": "json"})
    assert [r["texto"] for r in respuesta.json()["resultados"]] == EN_ESPANOL


def test_the_articulo_lookups_and_table_sort_the_spanish_way(cliente_soporte):
    for i, nombre in enumerate(NOMBRES):
        ArticuloFactory(codigo=f"ART{i}", nombre=nombre)
    respuesta = cliente_soporte.get("/buscar/articulos/", {"q": "", "formato": "json"})
    assert [r["texto"] for r in respuesta.json()["resultados"]] == EN_ESPANOL
    assert list(Articulo.objects.values_list("nombre", flat=True)) == EN_ESPANOL


def test_the_lupa_lists_results_the_spanish_way(cliente_soporte, clientes, ejecutores):
    for tabla in ("clientes", "ejecutores"):
        respuesta = cliente_soporte.get(f"/buscar/{tabla}/", {"q": "", "formato": "json"})
        assert [r["texto"] for r in respuesta.json()["resultados"]] == EN_ESPANOL, tabla
    # Within one relevance group (names with a word starting "o"), the same order.
    respuesta = cliente_soporte.get("/buscar/clientes/", {"q": "o", "formato": "json"})
    textos = [r["texto"] for r in respuesta.json()["resultados"]]
    assert textos[:4] == ["Oficina Central", "Óptica Mérida", "Oscar Alvarez", "Óscar Zambrano"]


def test_the_contacts_of_a_client_sort_the_spanish_way(cliente_soporte):
    cliente = ClienteFactory(nombre="Ferretería")
    for nombre in NOMBRES:
        ContactoFactory(cliente=cliente, nombre=nombre)
    html = cliente_soporte.get(f"/clientes/{cliente.pk}/").content.decode()
    assert orden_en(html) == EN_ESPANOL
    respuesta = cliente_soporte.get(
        "/buscar/contactos/", {"q": "", "cliente": cliente.pk, "formato": "json"}
    )
    assert [r["texto"] for r in respuesta.json()["resultados"]] == EN_ESPANOL


def test_the_case_list_and_its_export_sort_by_client_the_spanish_way(cliente_coordinador, clientes):
    for cliente in clientes:
        CasoFactory(cliente=cliente, asunto=f"Caso de {cliente.nombre}")
    html = cliente_coordinador.get("/casos/", {"orden": "cliente"}).content.decode()
    assert orden_en(html) == EN_ESPANOL

    respuesta = cliente_coordinador.get("/casos/exportar/", {"formato": "csv", "orden": "cliente"})
    contenido = b"".join(respuesta.streaming_content).decode("utf-8-sig")
    filas = list(csv.DictReader(io.StringIO(contenido)))
    assert [f["Cliente"] for f in filas] == EN_ESPANOL


def test_the_admin_lists_names_the_spanish_way(client, staff, clientes, ejecutores):
    client.force_login(staff)
    html = client.get("/admin/customers/cliente/").content.decode()
    assert orden_en(html) == EN_ESPANOL
    html = client.get("/admin/cases/ejecutor/").content.decode()
    assert orden_en(html) == EN_ESPANOL
    assert list(Ejecutor.objects.values_list("nombre", flat=True)) == EN_ESPANOL
