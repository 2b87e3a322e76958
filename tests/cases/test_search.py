"""Free-text search of the case list (/casos/?q=): fields, accents, words, junk, the index,
and every way a case or its client is written (each must leave the case findable)."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cases.models import Caso, Etapa
from customers.models import Cliente
from tests.customers.datos import datos_de as datos_de_cliente
from tests.customers.datos import datos_post as datos_post_cliente
from tests.factories import CasoFactory, ClienteFactory
from tests.formularios import cuerpo_formset

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


def test_the_search_uses_the_accent_free_lowercase_column(casos, consultas_del_bloque):
    """On PostgreSQL the trigram index serves the search; on SQLite, the same SQL function."""
    qs = Caso.objects.buscar("MIGRACIÓN")

    with consultas_del_bloque() as consultas:
        encontrados = sorted(qs.values_list("numero", flat=True))

    assert encontrados == sorted([casos["migracion"].numero, casos["correo"].numero])
    sql = consultas[-1]
    # The case's column is stored normalised; the client's columns are normalised in the query.
    assert '"cases_caso"."busqueda"' in sql
    assert 'f_unaccent(LOWER(U0."nombre"))' in sql
    assert "migracion" in sql
    if connection.vendor == "postgresql":
        plan = plan_sin_seqscan(qs)
        assert "caso_busqueda_trgm" in plan
    else:
        # SQLite evaluates the Python f_unaccent registered on the connection.
        with connection.cursor() as cursor:
            cursor.execute("SELECT f_unaccent(LOWER(%s))", ["Ferretería ÑANDÚ"])
            assert cursor.fetchone()[0] == "ferreteria nandu"


def plan_sin_seqscan(qs) -> str:
    """PostgreSQL's plan of ``qs`` unordered, as if the tables were big (no seq scans).

    Unordered, like the list's bounded count: sorted by -numero, a table this small would
    rather walk the numero index and filter.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            return qs.order_by().explain()
        finally:
            cursor.execute("RESET enable_seqscan")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram indexes")
def test_each_word_is_an_index_scan_of_the_case_text_or_of_its_clients(casos):
    """A word of the asunto and a word of the client's name: every branch reads an index.

    Each word is a BitmapOr of the case text's trigram index and the case's cliente index
    over the clients that the clients' own trigram indexes (nombre, codigo) find.
    """
    qs = Caso.objects.buscar("migracion nandu")

    assert list(qs.values_list("pk", flat=True)) == [casos["correo"].pk]
    plan = plan_sin_seqscan(qs)
    assert "BitmapOr" in plan
    assert "caso_busqueda_trgm" in plan
    assert "customers_cliente_nombre_trgm" in plan
    assert "customers_cliente_codigo_trgm" in plan
    assert "cliente_id = ANY" in plan
    assert "Seq Scan" not in plan


# --- Every write path keeps the case findable -------------------------------------------------
# Each test writes the case one way, then searches the list for an accent-free word of its
# asunto and for one of its client's name.


@pytest.fixture
def nandu(db):
    return ClienteFactory(nombre="Ferretería Ñandú", codigo="FERNAN")


@pytest.fixture
def cliente_admin(staff):
    navegador = Client()
    navegador.force_login(staff)
    return navegador


def encuentra(client, caso, *palabras):
    """Each of ``palabras`` alone, and all of them together, find ``caso`` in the list."""
    for q in (*palabras, " ".join(palabras)):
        assert caso.numero in buscar(client, q), q


def no_encuentra(client, caso, *palabras):
    for q in palabras:
        assert caso.numero not in buscar(client, q), q


def campos_editor(caso, **cambios) -> dict:
    """The case editor's fields for a stored case, as the page sends them back."""
    datos = {
        campo: getattr(caso, f"{campo}_id") or ""
        for campo in (
            "cliente",
            "coordinador",
            "articulo",
            "clase",
            "grupo",
            "contacto",
            "ejecutor",
            "departamento",
            "revisor",
        )
    }
    datos.update(
        asunto=caso.asunto,
        prioridad=caso.prioridad,
        fecha_inicio=caso.fecha_inicio.isoformat(),
        fecha_cierre=caso.fecha_cierre.isoformat() if caso.fecha_cierre else "",
        etapa=caso.etapa,
        avance=caso.avance,
        interno=caso.interno,
        origen=caso.origen,
        comentario=caso.comentario,
        estimado=caso.estimado,
        complejidad=caso.complejidad,
        nivel=caso.nivel,
        facturable=caso.facturable,
        comentario_solucion=caso.comentario_solucion,
        version=caso.version,
    )
    datos.update(cambios)
    return cuerpo_formset(datos, "actividades", [], max_num=1000)


def test_a_case_created_in_the_editor_is_found(cliente_coordinador, nandu):
    nuevo = Caso(
        asunto="Migración del servidor de correo",
        cliente=nandu,
        fecha_inicio=datetime.date(2026, 3, 2),
    )

    response = cliente_coordinador.post("/casos/nuevo/", campos_editor(nuevo, version=""))

    assert response.status_code == 302
    encuentra(cliente_coordinador, Caso.objects.get(), "migracion", "nandu")


def test_a_case_edited_in_the_editor_is_found_by_its_new_words(cliente_coordinador, nandu):
    caso = CasoFactory(asunto="Revisar impresora", comentario="Tóner agotado", cliente=nandu)
    otro = ClienteFactory(nombre="Óptica Mérida", codigo="OPTMER")

    response = cliente_coordinador.post(
        f"/casos/{caso.pk}/editar/",
        campos_editor(caso, asunto="Configuración de VPN", comentario="", cliente=otro.pk),
    )

    assert response.status_code == 302
    encuentra(cliente_coordinador, caso, "configuracion", "merida")
    no_encuentra(cliente_coordinador, caso, "impresora", "toner", "nandu")


def test_a_case_added_quickly_is_found(cliente_coordinador, nandu):
    response = cliente_coordinador.post(
        "/casos/rapido/",
        {
            "asunto": "Cambiar el tóner de la impresora",
            "fecha": "2026-03-02",
            "prioridad": "media",
            "nivel": "0",
            "cliente": str(nandu.pk),
            "contacto": "",
            "ejecutor": "",
            "etapa": "",
            "comentario": "Llamó a las 9",
        },
    )

    assert response.status_code == 302
    encuentra(cliente_coordinador, Caso.objects.get(), "toner", "nandu")


def test_a_case_changed_in_the_admin_is_found(cliente_admin, cliente_coordinador, nandu):
    caso = CasoFactory(asunto="Revisar impresora", cliente=nandu)
    datos = {
        "asunto": "Auditoría de la red inalámbrica",
        "prioridad": caso.prioridad,
        "cliente": str(nandu.pk),
        "fecha_inicio": caso.fecha_inicio.strftime("%d/%m/%Y"),
        "etapa": caso.etapa,
        "avance": str(caso.avance),
        "origen": caso.origen,
        "comentario": "",
        "estimado": str(caso.estimado),
        "complejidad": caso.complejidad,
        "nivel": str(caso.nivel),
        "version": str(caso.version),
        "actividades-TOTAL_FORMS": "0",
        "actividades-INITIAL_FORMS": "0",
    }

    response = cliente_admin.post(reverse("admin:cases_caso_change", args=[caso.pk]), datos)

    assert response.status_code == 302, response.content.decode()[:2000]
    encuentra(cliente_coordinador, caso, "auditoria", "inalambrica", "nandu")
    no_encuentra(cliente_coordinador, caso, "impresora")


def test_cases_changed_by_the_bulk_follow_up_are_found(cliente_coordinador, nandu):
    casos = [CasoFactory(asunto=f"Migración de nómina {n}", cliente=nandu) for n in range(2)]

    response = cliente_coordinador.post(
        "/casos/seguimiento/", {"casos": [c.pk for c in casos], "etapa": Etapa.RETRASADA}
    )

    assert response.status_code == 302
    assert set(Caso.objects.values_list("etapa", flat=True)) == {Etapa.RETRASADA}
    for caso in casos:
        encuentra(cliente_coordinador, caso, "nomina", "nandu")


def test_renaming_the_client_in_its_editor_finds_its_cases_by_the_new_name(
    cliente_coordinador, nandu
):
    caso = CasoFactory(asunto="Migración de correo", cliente=nandu)

    response = cliente_coordinador.post(
        f"/clientes/{nandu.pk}/editar/",
        datos_post_cliente(datos_de_cliente(nandu, nombre="Óptica Colibrí", codigo="OPTCOL"), []),
    )

    assert response.status_code == 302
    encuentra(cliente_coordinador, caso, "migracion", "colibri")
    encuentra(cliente_coordinador, caso, "optcol")
    no_encuentra(cliente_coordinador, caso, "nandu", "fernan")


def test_saving_a_client_reads_and_writes_nothing_else(nandu, consultas_del_bloque):
    """No SELECT of the old name and no UPDATE of its cases: the search reads the client."""
    CasoFactory.create_batch(3, cliente=nandu)
    nandu.nombre = "Óptica Colibrí"

    with consultas_del_bloque() as sqls:
        nandu.save()

    assert not [sql for sql in sqls if "cases_caso" in sql], sqls
    assert not [sql for sql in sqls if sql.lstrip().upper().startswith("SELECT")], sqls


def test_cases_made_with_bulk_create_are_found(cliente_coordinador, nandu):
    """The import's way in: bulk_create skips save(), the database computes the text."""
    creados = Caso.objects.bulk_create(
        Caso(
            numero=1000 + n,
            asunto=f"Instalación de antivirus {n}",
            comentario="Licencias renovadas",
            cliente=nandu,
            fecha_inicio=datetime.date(2026, 3, 2),
        )
        for n in range(2)
    )

    for caso in creados:
        encuentra(cliente_coordinador, caso, "instalacion", "licencias", "nandu")


def test_cases_changed_with_queryset_update_are_found(cliente_coordinador, nandu):
    """Data fixes and the import's updates: QuerySet.update skips save() too."""
    caso = CasoFactory(asunto="Revisar impresora", cliente=nandu)
    otro = ClienteFactory(nombre="Óptica Mérida", codigo="OPTMER")

    Caso.objects.filter(pk=caso.pk).update(
        asunto="Reubicación del servidor", comentario="Sala nueva", cliente=otro
    )

    encuentra(cliente_coordinador, caso, "reubicacion", "sala", "merida")
    no_encuentra(cliente_coordinador, caso, "impresora", "nandu")


def test_cases_changed_with_bulk_update_are_found(cliente_coordinador, nandu):
    caso = CasoFactory(asunto="Revisar impresora", cliente=nandu)
    caso.asunto = "Cotización de portátiles"

    Caso.objects.bulk_update([caso], ["asunto"])

    encuentra(cliente_coordinador, caso, "cotizacion", "nandu")
    no_encuentra(cliente_coordinador, caso, "impresora")


def test_a_client_renamed_with_queryset_update_is_found_by_its_new_name(cliente_coordinador, nandu):
    caso = CasoFactory(asunto="Migración de correo", cliente=nandu)

    Cliente.objects.filter(pk=nandu.pk).update(nombre="Óptica Colibrí")

    encuentra(cliente_coordinador, caso, "migracion", "colibri")
    no_encuentra(cliente_coordinador, caso, "nandu")


def test_the_search_text_is_computed_by_the_database_and_kept_out_of_the_history(nandu):
    caso = CasoFactory(asunto="Migración", comentario="Fin de semana", cliente=nandu)
    assert caso.busqueda == "migracion fin de semana"  # returned by the INSERT

    Caso.objects.filter(pk=caso.pk).update(comentario="Sábado ÑANDÚ")

    assert Caso.objects.get(pk=caso.pk).busqueda == "migracion sabado nandu"
    historico = {campo.name for campo in Caso.history.model._meta.fields}
    assert "busqueda" not in historico
    assert {"asunto", "comentario"} <= historico
