"""Free-text search of the case list (/casos/?q=): fields, accents, words, junk, the index."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Caso
from tests.factories import CasoFactory, ClienteFactory

pytestmark = pytest.mark.django_db

URL = "/casos/"


def buscar(client, q) -> list[int]:
    """Search the list as a user does; return the documento numbers shown, in order."""
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    return [caso.numero for caso in response.context["object_list"]]


def de(*casos) -> list[int]:
    """Documento numbers, newest first (the list's default order)."""
    return sorted((caso.numero for caso in casos), reverse=True)


@pytest.fixture
def sin_digitos():
    """A client whose name and code have no digits, so number searches only hit numero."""
    return ClienteFactory(nombre="Librería Central", codigo="LIBCEN")


@pytest.fixture
def casos(sin_digitos):
    nandu = ClienteFactory(nombre="Ferretería Ñandú", codigo="FERNAN")
    return {
        "migracion": CasoFactory(
            asunto="Migración de servidores", comentario="Fin de semana", cliente=sin_digitos
        ),
        "correo": CasoFactory(
            asunto="Migración de correo", comentario="Buzones grandes", cliente=nandu
        ),
        "impresora": CasoFactory(
            asunto="Soporte en sitio", comentario="Revisar la impresora láser", cliente=sin_digitos
        ),
        "codigo": CasoFactory(
            asunto="Instalar antivirus",
            cliente=ClienteFactory(nombre="Papelería Norte", codigo="ZX-PAPEL"),
        ),
    }


@pytest.mark.parametrize(
    ("q", "esperados"),
    [
        ("servidores", ["migracion"]),  # asunto
        ("impresora", ["impresora"]),  # comentario
        ("Buzones", ["correo"]),  # comentario, another case
        ("Papelería", ["codigo"]),  # client's nombre
        ("ZX-PAPEL", ["codigo"]),  # client's codigo
        ("zx-papel", ["codigo"]),
        ("librería central", ["migracion", "impresora"]),
    ],
)
def test_it_finds_by_asunto_comentario_and_client(cliente_soporte, casos, q, esperados):
    assert buscar(cliente_soporte, q) == de(*(casos[n] for n in esperados))


def test_the_page_shows_the_cases_found_and_keeps_the_query(cliente_soporte, casos):
    response = cliente_soporte.get(URL, {"q": "impresora"})

    contenido = response.content.decode()
    assert casos["impresora"].documento in contenido
    assert "Revisar la impresora láser" in contenido
    assert casos["migracion"].asunto not in contenido
    assert 'value="impresora"' in contenido


def test_it_finds_a_case_by_its_number(cliente_soporte, sin_digitos):
    caso_42 = CasoFactory(numero=42, asunto="Cambiar disco", cliente=sin_digitos)
    CasoFactory(numero=43, asunto="Cambiar teclado", cliente=sin_digitos)
    CasoFactory(numero=4, asunto="Cambiar monitor", cliente=sin_digitos)

    assert buscar(cliente_soporte, "42") == de(caso_42)
    # … and by the documento as the list shows it, zero-padded.
    assert buscar(cliente_soporte, caso_42.documento) == de(caso_42)
    assert buscar(cliente_soporte, "99") == []


@pytest.mark.parametrize("q", ["migracion", "MIGRACIÓN", "Migración", "mIgRaCiOn", "migración"])
def test_it_ignores_accents_and_case(cliente_soporte, casos, q):
    assert buscar(cliente_soporte, q) == de(casos["migracion"], casos["correo"])


@pytest.mark.parametrize("q", ["nandu", "ÑANDÚ", "ferreteria nandu", "Ferretería"])
def test_it_finds_a_client_name_with_accents_and_enye(cliente_soporte, casos, q):
    assert buscar(cliente_soporte, q) == de(casos["correo"])


@pytest.mark.parametrize(
    ("q", "esperados"),
    [
        ("migracion servidores", ["migracion"]),
        ("servidores migracion", ["migracion"]),
        ("migracion nandu", ["correo"]),  # asunto and client name
        ("migracion impresora", []),  # each word is in some case, never both in one
        ("  migracion   de  ", ["migracion", "correo"]),
    ],
)
def test_every_word_must_appear(cliente_soporte, casos, q, esperados):
    assert buscar(cliente_soporte, q) == de(*(casos[n] for n in esperados))


def test_renaming_a_client_updates_the_search(cliente_soporte, casos):
    cliente = casos["correo"].cliente
    cliente.nombre = "Ferretería Colibrí"
    cliente.codigo = "FERCOL"
    cliente.save()

    assert buscar(cliente_soporte, "colibri") == de(casos["correo"])
    assert buscar(cliente_soporte, "fercol") == de(casos["correo"])
    assert buscar(cliente_soporte, "nandu") == []
    assert buscar(cliente_soporte, "fernan") == []


def test_editing_a_case_updates_the_search(cliente_soporte, casos):
    caso = casos["impresora"]
    caso.asunto = "Cableado estructurado"
    caso.comentario = ""
    caso.save()

    assert buscar(cliente_soporte, "cableado") == de(caso)
    assert buscar(cliente_soporte, "impresora") == []


@pytest.fixture
def comodines(sin_digitos):
    return {
        "porcentaje": CasoFactory(asunto="Descuento del 50% aplicado", cliente=sin_digitos),
        "quinientos": CasoFactory(asunto="Descuento de 500 unidades", cliente=sin_digitos),
        "guion_bajo": CasoFactory(asunto="Falta archivo_final en el servidor", cliente=sin_digitos),
        "espacio": CasoFactory(asunto="Falta archivo final en la carpeta", cliente=sin_digitos),
        "comillas": CasoFactory(asunto='Error "fatal" en O\'Brien', cliente=sin_digitos),
    }


@pytest.mark.parametrize(
    ("q", "esperados"),
    [
        ("50%", ["porcentaje"]),
        ("%", ["porcentaje"]),
        ("%%", []),
        ("5_0", []),
        ("archivo_final", ["guion_bajo"]),
        ("_", ["guion_bajo"]),
        ("o'brien", ["comillas"]),
    ],
)
def test_percent_and_underscore_are_taken_literally(cliente_soporte, comodines, q, esperados):
    assert buscar(cliente_soporte, q) == de(*(comodines[n] for n in esperados))


@pytest.mark.parametrize(
    "q",
    [
        "x" * 5000,
        "migración " * 300,
        "'",
        '"',
        "\\",
        "😀",
        "🔧 migración",
        "'; DROP TABLE cases_caso; --",
        "1' OR '1'='1",
        "%' OR 1=1 --",
        "\u200b",
        "999999999999999999999999",
        "a\tb\nc",
    ],
    ids=lambda q: repr(q[:20]),
)
def test_junk_queries_never_fail(cliente_soporte, comodines, q):
    response = cliente_soporte.get(URL, {"q": q})

    assert response.status_code == 200
    assert Caso.objects.count() == len(comodines)


def test_a_null_character_is_ignored_and_reported(cliente_soporte, comodines):
    response = cliente_soporte.get(URL, {"q": "archivo\x00"})

    assert response.status_code == 200
    assert len(response.context["object_list"]) == len(comodines)
    assert re.search(r"Se ignoraron valores no válidos en:\s*q\b", response.content.decode())


def test_the_search_uses_the_accent_free_lowercase_column(casos):
    """On PostgreSQL the trigram index serves the search; on SQLite, the same SQL function."""
    qs = Caso.objects.buscar("MIGRACIÓN")

    with CaptureQueriesContext(connection) as consultas:
        encontrados = sorted(qs.values_list("numero", flat=True))

    assert encontrados == sorted([casos["migracion"].numero, casos["correo"].numero])
    sql = consultas.captured_queries[-1]["sql"]
    assert "f_unaccent(LOWER(" in sql
    assert "migracion" in sql
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            try:
                # Unordered, like the list's bounded count: sorted by -numero, a table this
                # small would rather walk the numero index and filter.
                plan = qs.order_by().explain()
            finally:
                cursor.execute("RESET enable_seqscan")
        assert "caso_busqueda_trgm" in plan
    else:
        # SQLite evaluates the Python f_unaccent registered on the connection.
        with connection.cursor() as cursor:
            cursor.execute("SELECT f_unaccent(LOWER(%s))", ["Ferretería ÑANDÚ"])
            assert cursor.fetchone()[0] == "ferreteria nandu"
