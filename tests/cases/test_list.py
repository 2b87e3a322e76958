"""The coordinators' case list (/casos/): filters, sorting, pagination, bad input, queries."""

import datetime
import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Caso, Complejidad, Etapa, Origen, Prioridad
from cases.pagination import ConteoAcotadoPaginator
from tests.factories import (
    ArticuloFactory,
    CasoFactory,
    ClaseFactory,
    ClienteFactory,
    DepartamentoFactory,
    EjecutorFactory,
    GrupoFactory,
)

pytestmark = pytest.mark.django_db

URL = "/casos/"
ENORME = "9" * 25  # more than any 64-bit integer column holds


def numeros(response) -> list[int]:
    """The documento numbers of the rows shown, in the order shown."""
    return [caso.numero for caso in response.context["object_list"]]


def de(*casos) -> list[int]:
    return [caso.numero for caso in casos]


def texto_resultados(response) -> str:
    """The results counter beside the filter buttons ("3 casos", "Más de 110 casos")."""
    match = re.search(
        r"<span[^>]*data-resultados[^>]*>(.*?)</span>", response.content.decode(), re.S
    )
    assert match, "the page shows a results counter"
    return " ".join(match.group(1).split())


def aviso_ignorados(response) -> str | None:
    """The warning naming the parameters whose values were ignored, if the page shows one."""
    match = re.search(r"Se ignoraron valores no válidos en:([^<]*)<", response.content.decode())
    return " ".join(match.group(1).split()) if match else None


class _Enlaces(HTMLParser):
    """Collects the list's column headers (aria-sort, link, label) and the page's links."""

    def __init__(self):
        super().__init__()
        self.encabezados = []  # [{"aria_sort", "href", "texto"}]
        self.paginacion = {}  # link text → href
        self.enlaces = {}  # link text → href (every <a>)
        self._en_lista = False
        self._th = None
        self._a = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._en_lista = "lista-casos" in (attrs.get("class") or "")
        elif tag == "th" and attrs.get("scope") == "col" and self._en_lista:
            self._th = {"aria_sort": attrs.get("aria-sort"), "href": None, "texto": ""}
        elif tag == "a":
            self._a = {"href": attrs.get("href"), "clase": attrs.get("class") or "", "texto": ""}
            if self._th is not None:
                self._th["href"] = attrs.get("href")

    def handle_data(self, data):
        if self._th is not None:
            self._th["texto"] += data
        if self._a is not None:
            self._a["texto"] += data

    def handle_endtag(self, tag):
        if tag == "table":
            self._en_lista = False
        elif tag == "a" and self._a is not None:
            texto = " ".join(self._a["texto"].split())
            self.enlaces.setdefault(texto, self._a["href"])
            if "page-link" in self._a["clase"]:
                self.paginacion[texto] = self._a["href"]
            self._a = None
        elif tag == "th" and self._th is not None:
            self._th["texto"] = " ".join(
                self._th["texto"].replace("▲", "").replace("▼", "").split()
            )
            self.encabezados.append(self._th)
            self._th = None


def enlaces(response) -> _Enlaces:
    parser = _Enlaces()
    parser.feed(response.content.decode())
    return parser


def parametros(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(html.unescape(href)).query)


# --- Filters -----------------------------------------------------------------------------


@pytest.fixture
def mundo():
    """Three cases that differ in every filtered field, plus the lookup rows they use."""
    m = {
        "X": ClienteFactory(nombre="Ferretería X"),
        "Y": ClienteFactory(nombre="Panadería Y"),
        "Ana": EjecutorFactory(nombre="Ana"),
        "Beto": EjecutorFactory(nombre="Beto"),
        "G1": GrupoFactory(),
        "G2": GrupoFactory(),
        "D1": DepartamentoFactory(),
        "D2": DepartamentoFactory(),
        "A1": ArticuloFactory(),
        "A2": ArticuloFactory(),
        "C1": ClaseFactory(),
        "C2": ClaseFactory(),
    }
    m["uno"] = CasoFactory(
        asunto="Primer caso retrasado",
        prioridad=Prioridad.ALTA,
        etapa=Etapa.RETRASADA,
        cliente=m["X"],
        coordinador=m["Beto"],
        ejecutor=m["Ana"],
        grupo=m["G1"],
        departamento=m["D1"],
        articulo=m["A1"],
        clase=m["C1"],
        origen=Origen.CORREO,
        complejidad=Complejidad.ALTA,
        fecha_inicio=datetime.date(2026, 3, 1),
        interno=True,
        facturable=True,
    )
    m["dos"] = CasoFactory(
        asunto="Segundo caso en blanco",
        prioridad=Prioridad.BAJA,
        etapa=Etapa.EN_BLANCO,
        cliente=m["Y"],
        coordinador=m["Ana"],
        ejecutor=m["Beto"],
        grupo=m["G2"],
        departamento=m["D2"],
        articulo=m["A2"],
        clase=m["C2"],
        origen=Origen.EN_BLANCO,
        complejidad=Complejidad.EN_BLANCO,
        fecha_inicio=datetime.date(2026, 2, 10),
        fecha_cierre=datetime.date(2026, 2, 20),
        interno=False,
        facturable=False,
    )
    m["tres"] = CasoFactory(
        asunto="Tercer caso completado",
        prioridad=Prioridad.MEDIA,
        etapa=Etapa.COMPLETADA,
        cliente=m["X"],
        origen=Origen.LLAMADA,
        complejidad=Complejidad.BAJA,
        fecha_inicio=datetime.date(2026, 1, 15),
        fecha_cierre=datetime.date(2026, 3, 10),
        interno=False,
        facturable=True,
    )
    return m


# (query parameters, the cases expected; "{X}" stands for the primary key of mundo["X"])
FILTROS = [
    ({"prioridad": "alta"}, ["uno"]),
    ({"prioridad": "baja"}, ["dos"]),
    ({"etapa": "retrasada"}, ["uno"]),
    ({"etapa": "blanco"}, ["dos"]),
    ({"etapa": "completada"}, ["tres"]),
    ({"abiertos": "true"}, ["uno", "dos"]),
    ({"cliente": "{X}"}, ["uno", "tres"]),
    ({"coordinador": "{Beto}"}, ["uno"]),
    ({"ejecutor": "{Ana}"}, ["uno"]),
    ({"ejecutor": "{Beto}"}, ["dos"]),
    ({"grupo": "{G2}"}, ["dos"]),
    ({"departamento": "{D1}"}, ["uno"]),
    ({"articulo": "{A2}"}, ["dos"]),
    ({"clase": "{C1}"}, ["uno"]),
    ({"origen": "llamada"}, ["tres"]),
    ({"origen": "blanco"}, ["dos"]),
    ({"complejidad": "alta"}, ["uno"]),
    ({"complejidad": "blanco"}, ["dos"]),
    ({"fecha_inicio_after": "2026-02-01"}, ["uno", "dos"]),
    ({"fecha_inicio_after": "01/02/2026"}, ["uno", "dos"]),
    ({"fecha_inicio_before": "2026-02-10"}, ["dos", "tres"]),
    ({"fecha_inicio_before": "10/02/2026"}, ["dos", "tres"]),
    ({"fecha_inicio_after": "2026-02-01", "fecha_inicio_before": "28/02/2026"}, ["dos"]),
    ({"fecha_cierre_after": "2026-03-01"}, ["tres"]),
    ({"fecha_cierre_before": "20/02/2026"}, ["dos"]),
    ({"fecha_cierre_after": "01/01/2026", "fecha_cierre_before": "2026-12-31"}, ["dos", "tres"]),
    ({"interno": "true"}, ["uno"]),
    ({"interno": "false"}, ["dos", "tres"]),
    ({"facturable": "true"}, ["uno", "tres"]),
    ({"facturable": "false"}, ["dos"]),
]


@pytest.mark.parametrize(
    ("params", "esperados"),
    FILTROS,
    ids=["&".join(f"{k}={v}" for k, v in p.items()) for p, _ in FILTROS],
)
def test_each_filter_narrows_the_list(cliente_soporte, mundo, params, esperados):
    pks = {nombre: obj.pk for nombre, obj in mundo.items()}
    query = {k: v.format(**pks) for k, v in params.items()}

    response = cliente_soporte.get(URL, query)

    assert response.status_code == 200
    # Newest first (the default order, -numero).
    esperados_casos = sorted((mundo[n] for n in esperados), key=lambda c: -c.numero)
    assert numeros(response) == de(*esperados_casos)
    contenido = response.content.decode()
    for nombre in ("uno", "dos", "tres"):
        assert (mundo[nombre].asunto in contenido) == (nombre in esperados)
    n = len(esperados)
    assert texto_resultados(response).startswith(f"{n} caso" if n == 1 else f"{n} casos")
    assert aviso_ignorados(response) is None


def test_without_filters_it_shows_every_case_newest_first(cliente_soporte, mundo):
    response = cliente_soporte.get(URL)

    assert response.status_code == 200
    assert numeros(response) == de(mundo["tres"], mundo["dos"], mundo["uno"])
    assert texto_resultados(response) == "3 casos"


def test_the_filter_form_keeps_what_was_asked(cliente_soporte, mundo):
    response = cliente_soporte.get(
        URL, {"etapa": "retrasada", "fecha_inicio_after": "2026-02-01", "q": "retrasado"}
    )

    contenido = response.content.decode()
    assert '<option value="retrasada" selected>' in contenido
    assert 'name="fecha_inicio_after" id="id_fecha_inicio_0" value="2026-02-01"' in contenido
    assert 'value="retrasado"' in contenido
    assert "3 filtros activos" in texto_resultados(response)


def test_combined_filters_give_exactly_those_cases_in_that_order(cliente_soporte):
    """The delayed cases of client X assigned to Ana, heaviest first."""
    x = ClienteFactory(nombre="Ferretería X")
    otro_cliente = ClienteFactory(nombre="Otro cliente")
    ana = EjecutorFactory(nombre="Ana")
    beto = EjecutorFactory(nombre="Beto")
    comun = {"etapa": Etapa.RETRASADA, "cliente": x, "ejecutor": ana}
    liviano = CasoFactory(nivel=1, **comun)
    pesado = CasoFactory(nivel=9, **comun)
    medio = CasoFactory(nivel=5, **comun)
    CasoFactory(nivel=50, **{**comun, "etapa": Etapa.EN_PROGRESO})
    CasoFactory(nivel=50, **{**comun, "cliente": otro_cliente})
    CasoFactory(nivel=50, **{**comun, "ejecutor": beto})
    CasoFactory(nivel=50, **{**comun, "ejecutor": None})

    response = cliente_soporte.get(
        URL, {"etapa": "retrasada", "cliente": x.pk, "ejecutor": ana.pk, "orden": "-nivel"}
    )

    assert response.status_code == 200
    assert numeros(response) == de(pesado, medio, liviano)
    assert texto_resultados(response).startswith("3 casos")


# --- Sorting -----------------------------------------------------------------------------


@pytest.fixture
def para_ordenar():
    """Four cases a, b, c, d (created in that order) whose sort keys differ.

    Each key orders them differently, so a wrong column or direction shows.
    """
    hoy = timezone.localdate()
    ana = EjecutorFactory(nombre="Ana")
    mario = EjecutorFactory(nombre="Mario")
    zoe = EjecutorFactory(nombre="Zoe")
    casos = {}
    casos["a"] = CasoFactory(
        prioridad=Prioridad.BAJA,
        fecha_inicio=hoy - datetime.timedelta(days=3),
        cliente=ClienteFactory(nombre="Delta"),
        ejecutor=None,
        etapa=Etapa.RETRASADA,
        avance=50,
        nivel=3,
    )
    casos["b"] = CasoFactory(
        prioridad=Prioridad.ALTA,
        fecha_inicio=hoy - datetime.timedelta(days=10),
        cliente=ClienteFactory(nombre="Bravo"),
        ejecutor=zoe,
        etapa=Etapa.EN_BLANCO,
        avance=100,
        nivel=-1,
    )
    # Completed the day after it started: 1 día en ejecución, although it started first.
    casos["c"] = CasoFactory(
        prioridad=Prioridad.MEDIA,
        fecha_inicio=hoy - datetime.timedelta(days=20),
        fecha_cierre=hoy - datetime.timedelta(days=19),
        cliente=ClienteFactory(nombre="Alfa"),
        ejecutor=ana,
        etapa=Etapa.COMPLETADA,
        avance=0,
        nivel=10,
    )
    casos["d"] = CasoFactory(
        prioridad=Prioridad.ALTA,
        fecha_inicio=hoy - datetime.timedelta(days=5),
        cliente=ClienteFactory(nombre="Charlie"),
        ejecutor=mario,
        etapa=Etapa.NO_INICIADA,
        avance=20,
        nivel=0,
    )
    return casos


ORDENES = [
    ("numero", "abcd"),
    ("-numero", "dcba"),
    # alta first; ties by numero in the same direction (the two alta cases oldest first)
    ("prioridad", "bdca"),
    ("-prioridad", "acdb"),
    ("fecha_inicio", "cbda"),
    ("-fecha_inicio", "adbc"),
    ("cliente", "cbda"),
    ("-cliente", "adbc"),
    # the case without ejecutor goes last both ways
    ("ejecutor", "cdba"),
    ("-ejecutor", "bdca"),
    # workflow order: en blanco, no iniciada, …, completada, …, retrasada
    ("etapa", "bdca"),
    ("-etapa", "acdb"),
    ("avance", "cdab"),
    ("-avance", "badc"),
    ("nivel", "bdac"),
    ("-nivel", "cadb"),
    # días en ejecución: c 1 (completed), a 3, d 5, b 10
    ("dias", "cadb"),
    ("-dias", "bdac"),
]


@pytest.mark.parametrize(("orden", "esperado"), ORDENES, ids=[o for o, _ in ORDENES])
def test_every_sort_key_orders_the_list(cliente_soporte, para_ordenar, orden, esperado):
    response = cliente_soporte.get(URL, {"orden": orden})

    assert response.status_code == 200
    assert numeros(response) == de(*(para_ordenar[letra] for letra in esperado))
    assert aviso_ignorados(response) is None


def test_ties_are_broken_by_numero_in_the_sort_direction(cliente_soporte):
    # Same direction for the key and numero: PostgreSQL reads (key, numero) from one index.
    primero, segundo, tercero = (CasoFactory(prioridad=Prioridad.MEDIA) for _ in range(3))

    ascendente = cliente_soporte.get(URL, {"orden": "prioridad"})
    descendente = cliente_soporte.get(URL, {"orden": "-prioridad"})

    assert numeros(ascendente) == de(primero, segundo, tercero)
    assert numeros(descendente) == de(tercero, segundo, primero)


@pytest.mark.parametrize("orden", ["zzz", "asunto", "--numero", "-", "password", "cliente__nombre"])
def test_an_unknown_sort_is_ignored(cliente_soporte, para_ordenar, orden):
    response = cliente_soporte.get(URL, {"orden": orden})

    assert response.status_code == 200
    assert numeros(response) == de(*(para_ordenar[letra] for letra in "dcba"))
    assert response.context["orden"] == "-numero"


def test_column_headers_link_to_their_sort_and_mark_the_current_one(cliente_soporte, para_ordenar):
    response = cliente_soporte.get(URL, {"orden": "prioridad", "etapa": "retrasada"})

    encabezados = {th["texto"]: th for th in enlaces(response).encabezados if th["texto"]}
    assert list(encabezados) == [
        "Documento",
        "Prioridad",
        "Inicio",
        "Días en ejecución",
        "Cliente",
        "Ejecutor",
        "Etapa",
        "Avance",
        "Comentario",
    ]
    # The current column says how it is sorted, and its link reverses the direction.
    assert encabezados["Prioridad"]["aria_sort"] == "ascending"
    assert parametros(encabezados["Prioridad"]["href"]) == {
        "orden": ["-prioridad"],
        "etapa": ["retrasada"],
    }
    assert [th["aria_sort"] for t, th in encabezados.items() if t != "Prioridad"] == [None] * 8
    # Every other sortable column links to its own ascending sort, keeping the filters.
    claves = {
        "Documento": "numero",
        "Inicio": "fecha_inicio",
        "Días en ejecución": "dias",
        "Cliente": "cliente",
        "Ejecutor": "ejecutor",
        "Etapa": "etapa",
        "Avance": "avance",
    }
    for texto, clave in claves.items():
        assert parametros(encabezados[texto]["href"]) == {"orden": [clave], "etapa": ["retrasada"]}
    assert encabezados["Comentario"]["href"] is None


def test_a_descending_column_says_so_and_links_to_ascending(cliente_soporte, para_ordenar):
    response = cliente_soporte.get(URL, {"orden": "-cliente"})

    encabezados = {th["texto"]: th for th in enlaces(response).encabezados if th["texto"]}
    assert encabezados["Cliente"]["aria_sort"] == "descending"
    assert parametros(encabezados["Cliente"]["href"]) == {"orden": ["cliente"]}


def test_the_default_order_is_marked_on_documento(cliente_soporte, para_ordenar):
    response = cliente_soporte.get(URL)

    encabezados = {th["texto"]: th for th in enlaces(response).encabezados if th["texto"]}
    assert encabezados["Documento"]["aria_sort"] == "descending"
    assert parametros(encabezados["Documento"]["href"]) == {"orden": ["numero"]}


def test_the_clear_filters_link_points_to_the_bare_list(cliente_soporte, mundo):
    response = cliente_soporte.get(URL, {"etapa": "retrasada", "orden": "nivel"})

    assert enlaces(response).enlaces["Limpiar filtros"] == "/casos/"


# --- Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "ignorado"),
    [
        ({"etapa": "zzz"}, "etapa"),
        ({"prioridad": "urgentisima"}, "prioridad"),
        ({"cliente": "abc"}, "cliente"),
        ({"cliente": "999999"}, "cliente"),
        ({"ejecutor": "-1"}, "ejecutor"),
        ({"ejecutor": ENORME}, "ejecutor"),
        ({"cliente": ENORME}, "cliente"),
        ({"fecha_inicio_after": "31/31/2026"}, "fecha_inicio"),
        ({"fecha_cierre_before": "2026-02-30"}, "fecha_cierre"),
        ({"interno": "maybe"}, "interno"),
        ({"facturable": "quizas"}, "facturable"),
        ({"orden": "zzz"}, "orden"),
    ],
)
def test_a_bad_filter_value_is_ignored_and_the_page_says_so(
    cliente_soporte, mundo, params, ignorado
):
    response = cliente_soporte.get(URL, params)

    assert response.status_code == 200
    assert numeros(response) == de(mundo["tres"], mundo["dos"], mundo["uno"])
    assert aviso_ignorados(response) == ignorado


def test_the_warning_names_every_ignored_parameter_and_the_rest_still_filter(
    cliente_soporte, mundo
):
    response = cliente_soporte.get(
        URL, {"etapa": "zzz", "cliente": "abc", "prioridad": "alta", "interno": "maybe"}
    )

    assert response.status_code == 200
    assert numeros(response) == de(mundo["uno"])
    assert aviso_ignorados(response) == "cliente, etapa, interno"


@pytest.fixture
def treinta():
    """Thirty cases, newest first as the list shows them."""
    return sorted((CasoFactory() for _ in range(30)), key=lambda c: -c.numero)


@pytest.mark.parametrize(
    ("por_pagina", "filas"),
    [("-5", 10), ("0", 10), ("10", 10), ("12", 12), ("100000", 30), ("abc", 25), ("", 25)],
)
def test_rows_per_page_is_clamped_between_10_and_200(cliente_soporte, treinta, por_pagina, filas):
    response = cliente_soporte.get(URL, {"por_pagina": por_pagina})

    assert response.status_code == 200
    assert numeros(response) == de(*treinta[:filas])


def test_rows_per_page_never_exceeds_200(cliente_soporte):
    CasoFactory.create_batch(205)

    response = cliente_soporte.get(URL, {"por_pagina": "100000"})

    assert response.status_code == 200
    assert len(numeros(response)) == 200
    assert response.context["por_pagina"] == 200


@pytest.mark.parametrize(
    ("page", "pagina"),
    [
        ("0", 1),
        ("-1", 1),
        ("abc", 1),
        ("", 1),
        ("1.5", 1),
        ("999999", 3),
        (ENORME, 3),
        ("3", 3),
        ("2", 2),
    ],
)
def test_a_junk_or_out_of_range_page_shows_a_real_page(cliente_soporte, treinta, page, pagina):
    response = cliente_soporte.get(URL, {"page": page, "por_pagina": "10"})

    assert response.status_code == 200
    assert response.context["page_obj"].number == pagina
    assert numeros(response) == de(*treinta[(pagina - 1) * 10 : pagina * 10])
    assert f"Página {pagina} de 3" in response.content.decode()


# --- Pagination --------------------------------------------------------------------------


def test_pagination_shows_the_rows_asked_for_and_links_keep_the_parameters(
    cliente_soporte, treinta
):
    ana = EjecutorFactory(nombre="Ana")
    retrasados = [CasoFactory(etapa=Etapa.RETRASADA, ejecutor=ana, nivel=n) for n in range(15)]
    params = {"etapa": "retrasada", "ejecutor": ana.pk, "orden": "-nivel", "por_pagina": "10"}

    response = cliente_soporte.get(URL, params)

    assert response.status_code == 200
    assert numeros(response) == de(*retrasados[::-1][:10])
    assert texto_resultados(response).startswith("15 casos")
    assert "Página 1 de 2" in response.content.decode()
    siguiente = enlaces(response).paginacion["Siguiente"]
    assert parametros(siguiente) == {
        "etapa": ["retrasada"],
        "ejecutor": [str(ana.pk)],
        "orden": ["-nivel"],
        "por_pagina": ["10"],
        "page": ["2"],
    }

    segunda = cliente_soporte.get(URL + html.unescape(siguiente))

    assert numeros(segunda) == de(*retrasados[::-1][10:])
    anterior = enlaces(segunda).paginacion["Anterior"]
    assert parametros(anterior)["orden"] == ["-nivel"]
    assert parametros(anterior)["page"] == ["1"]


def test_the_results_count_is_shown(cliente_soporte, treinta):
    response = cliente_soporte.get(URL, {"por_pagina": "10"})

    assert texto_resultados(response) == "30 casos"
    assert len(numeros(response)) == 10


def test_one_result_is_singular(cliente_soporte):
    CasoFactory()

    assert texto_resultados(cliente_soporte.get(URL)) == "1 caso"


def test_no_results_says_so(cliente_soporte, mundo):
    response = cliente_soporte.get(URL, {"q": "inexistente"})

    assert numeros(response) == []
    assert "No hay casos con estos filtros." in response.content.decode()
    assert texto_resultados(response).startswith("0 casos")


def test_the_bounded_count_says_more_than_and_far_pages_still_work(cliente_soporte, monkeypatch):
    monkeypatch.setattr(ConteoAcotadoPaginator, "COTA_MINIMA", 5)
    casos = sorted(CasoFactory.create_batch(120), key=lambda c: -c.numero)

    # Page 1 of 10 rows counts at most (1 + 10) × 10 = 110 rows.
    response = cliente_soporte.get(URL, {"por_pagina": "10"})

    assert response.status_code == 200
    assert response.context["paginator"].exacto is False
    assert texto_resultados(response) == "Más de 110 casos"
    assert numeros(response) == de(*casos[:10])
    links = enlaces(response).paginacion
    assert "Siguiente" in links
    assert "Última" not in links  # the last page is unknown

    # Page 12 is past that bound; its own request counts further and finds the real end.
    lejos = cliente_soporte.get(URL, {"por_pagina": "10", "page": "12"})

    assert lejos.status_code == 200
    assert lejos.context["page_obj"].number == 12
    assert numeros(lejos) == de(*casos[110:120])
    assert lejos.context["paginator"].exacto is True
    assert texto_resultados(lejos) == "120 casos"


def test_the_bounded_paginator_counts_exactly_below_its_bound(monkeypatch):
    monkeypatch.setattr(ConteoAcotadoPaginator, "COTA_MINIMA", 5)
    CasoFactory.create_batch(30)

    cerca = ConteoAcotadoPaginator(Caso.objects.all(), 2, pagina_pedida=1)
    lejos = ConteoAcotadoPaginator(Caso.objects.all(), 2, pagina_pedida=10)

    # cota = (1 + 10) × 2 = 22 < 30 rows
    assert (cerca.count, cerca.exacto, cerca.num_pages) == (22, False, 11)
    assert len(cerca.page(11).object_list) == 2
    # cota = (10 + 10) × 2 = 40 ≥ 30 rows
    assert (lejos.count, lejos.exacto, lejos.num_pages) == (30, True, 15)


# --- Permissions -------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/cuentas/login/")


def test_users_without_permission_get_403(client, sin_grupo):
    client.force_login(sin_grupo)

    assert client.get(URL).status_code == 403


def test_soporte_sees_neither_bulk_actions_nor_export(cliente_soporte, mundo):
    response = cliente_soporte.get(URL)

    contenido = response.content.decode()
    assert "Seguimiento de casos" not in contenido
    assert "/casos/exportar/" not in contenido
    assert 'name="casos"' not in contenido


def test_coordinador_sees_bulk_actions_and_export_with_the_filters(cliente_coordinador, mundo):
    response = cliente_coordinador.get(URL, {"etapa": "retrasada", "orden": "nivel", "page": "1"})

    contenido = response.content.decode()
    assert "Seguimiento de casos" in contenido
    assert f'name="casos" value="{mundo["uno"].pk}"' in contenido
    exportar = enlaces(response).enlaces["Excel (XLSX)"]
    assert exportar.startswith("/casos/exportar/?")
    assert parametros(exportar) == {"etapa": ["retrasada"], "orden": ["nivel"], "formato": ["xlsx"]}


# --- Queries -----------------------------------------------------------------------------


def test_the_list_runs_the_same_queries_for_10_and_100_rows(
    cliente_coordinador, django_assert_max_num_queries
):
    ana = EjecutorFactory(nombre="Ana")
    for i in range(110):
        CasoFactory(ejecutor=ana if i % 2 else None, etapa=Etapa.EN_PROGRESO)
    params = {"etapa": "en_progreso", "orden": "cliente"}
    cliente_coordinador.get(URL, params)

    with CaptureQueriesContext(connections["default"]) as diez:
        response = cliente_coordinador.get(URL, {**params, "por_pagina": "10"})
    assert len(numeros(response)) == 10
    with CaptureQueriesContext(connections["default"]) as cien:
        response = cliente_coordinador.get(URL, {**params, "por_pagina": "100"})
    assert len(numeros(response)) == 100

    assert len(diez.captured_queries) == len(cien.captured_queries)
    # 1-4 session, user, user permissions, group permissions
    # 5 the bounded count of the filtered cases (SELECT COUNT(*) FROM (… LIMIT cota + 1))
    # 6-11 the filter form's choices: coord., ejecutor, grupo, depto., artículo, clase
    # 12-13 the bulk action bar's choices of ejecutor and coord. (active ones)
    # 14 the keys of the page (LIMIT/OFFSET over the sort's index only)
    # 15 the page of cases by those keys, with cliente and ejecutor joined
    with django_assert_max_num_queries(15):
        cliente_coordinador.get(URL, {**params, "por_pagina": "100"})
