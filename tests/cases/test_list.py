"""The coordinators' case list (/casos/): filters, sorting, pagination, bad input, queries."""

import datetime
import html
import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from cases.models import Articulo, Caso, Complejidad, Ejecutor, Etapa, Origen, Prioridad
from customers.models import Cliente
from efactory.listas import ConteoAcotadoPaginator
from tests.cases.datos import XSS, XSS_ESCAPADO
from tests.factories import (
    ActividadFactory,
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
    """Collects the list's column headers (aria-sort, link, label as a screen reader reads
    it: without aria-hidden text) and the page's links."""

    def __init__(self):
        super().__init__()
        self.encabezados = []  # [{"aria_sort", "href", "texto"}]
        self.paginacion = {}  # link text → href
        self.enlaces = {}  # link text → href (every <a>)
        self._en_lista = False
        self._th = None
        self._a = None
        self._oculto = 0  # depth inside an aria-hidden span of a header

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._th is not None and tag == "span" and (self._oculto or attrs.get("aria-hidden")):
            self._oculto += 1
        if tag == "table":
            self._en_lista = "lista-casos" in (attrs.get("class") or "")
        elif tag == "th" and attrs.get("scope") == "col" and self._en_lista:
            self._th = {"aria_sort": attrs.get("aria-sort"), "href": None, "texto": ""}
        elif tag == "a":
            self._a = {"href": attrs.get("href"), "clase": attrs.get("class") or "", "texto": ""}
            if self._th is not None:
                self._th["href"] = attrs.get("href")

    def handle_data(self, data):
        if self._th is not None and not self._oculto:
            self._th["texto"] += data
        if self._a is not None:
            self._a["texto"] += data

    def handle_endtag(self, tag):
        if tag == "span" and self._oculto:
            self._oculto -= 1
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
    assert '<input type="date" name="fecha_inicio_after" value="2026-02-01"' in contenido
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


@pytest.mark.parametrize(
    "orden", ["zzz", "asunto", "--numero", "-", "password", "cliente__nombre", "cliente,numero"]
)
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
        "Asunto",
        "Prioridad",
        "Inicio",
        "Días en ejecución",
        "Cliente",
        "Ejecutor",
        "Etapa",
        "Avance",
        "Horas",
        "Horas facturables",
        "Comentario",
    ]
    # The current column says how it is sorted, and its link reverses the direction.
    assert encabezados["Prioridad"]["aria_sort"] == "ascending"
    assert parametros(encabezados["Prioridad"]["href"]) == {
        "orden": ["-prioridad"],
        "etapa": ["retrasada"],
    }
    assert [th["aria_sort"] for t, th in encabezados.items() if t != "Prioridad"] == [None] * 11
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
    for texto in ("Asunto", "Horas", "Horas facturables", "Comentario"):
        assert encabezados[texto]["href"] is None


@pytest.mark.parametrize(
    ("params", "columna", "ascendente"),
    [
        ({"orden": "-cliente"}, "Cliente", "cliente"),
        ({}, "Documento", "numero"),  # the default order
    ],
    ids=["-cliente", "default"],
)
def test_a_descending_column_says_so_and_links_to_ascending(
    cliente_soporte, para_ordenar, params, columna, ascendente
):
    response = cliente_soporte.get(URL, params)

    encabezados = {th["texto"]: th for th in enlaces(response).encabezados if th["texto"]}
    assert encabezados[columna]["aria_sort"] == "descending"
    assert parametros(encabezados[columna]["href"]) == {"orden": [ascendente]}


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
        ({"orden": "cliente,-numero"}, "orden"),  # one key, not a list of them
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


def test_the_list_links_to_agregar_rapido(cliente_soporte):
    html = cliente_soporte.get(URL).content.decode()

    assert re.search(r'<a [^>]*href="/casos/rapido/"[^>]*>Agregar rápido</a>', html)


def test_the_list_hides_agregar_rapido_from_who_cannot_add(client, sin_grupo):
    sin_grupo.user_permissions.add(Permission.objects.get(codename="view_caso"))
    client.force_login(sin_grupo)

    html = client.get(URL).content.decode()

    assert 'href="/casos/rapido/"' not in html


# --- Queries -----------------------------------------------------------------------------


def test_the_list_runs_the_same_queries_for_10_and_100_rows(
    consultas, cliente_coordinador, django_assert_num_queries
):
    ana = EjecutorFactory(nombre="Ana")
    for i in range(110):
        CasoFactory(ejecutor=ana if i % 2 else None, etapa=Etapa.EN_PROGRESO)
    params = {"etapa": "en_progreso", "orden": "cliente"}
    cliente_coordinador.get(URL, params)  # warm up the session and caches

    diez = consultas(cliente_coordinador, "get", URL, {**params, "por_pagina": "10"})
    assert len(numeros(diez.respuesta)) == 10
    cien = consultas(cliente_coordinador, "get", URL, {**params, "por_pagina": "100"})
    assert len(numeros(cien.respuesta)) == 100

    assert len(diez) == len(cien), "\n".join(cien)
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the bounded count of the filtered cases (SELECT COUNT(*) FROM (… LIMIT cota + 1))
    # 5 the keys of the page (LIMIT/OFFSET over the sort's index only)
    # 6 the page of cases by those keys, with cliente and ejecutor joined
    # 7 the total and billable hours of those cases (one SUM over their activities)
    # 8-10 the filter form's choices of grupo, depto. and clase (coord., ejecutor and
    #   artículo are lupas, like cliente, and so are the bulk action bar's ejecutor and
    #   coord.: with nothing chosen they read no rows)
    with django_assert_num_queries(10):
        cliente_coordinador.get(URL, {**params, "por_pagina": "100"})


def crecer_tablas(*, ejecutores: int, articulos: int, clientes: int):
    """Bring the lookup tables up to these sizes, with rows no case points to."""
    Ejecutor.objects.bulk_create(
        Ejecutor(nombre=f"Ejecutor extra {i:05d}")
        for i in range(Ejecutor.objects.count(), ejecutores)
    )
    Articulo.objects.bulk_create(
        Articulo(codigo=f"XA{i:05d}", nombre=f"Artículo extra {i:05d}")
        for i in range(Articulo.objects.count(), articulos)
    )
    Cliente.objects.bulk_create(
        Cliente(codigo=f"XC{i:05d}", nombre=f"Cliente extra {i:05d}", tipo=Cliente.Tipo.EMPRESA)
        for i in range(Cliente.objects.count(), clientes)
    )


@pytest.mark.parametrize("filtrada", [False, True])
def test_the_page_weighs_and_queries_the_same_with_40_or_400_executors_and_5000_clients(
    consultas, cliente_coordinador, filtrada
):
    """The filters and the bulk bar offer executors, articles and clients through lupas:
    the page never lists the lookup tables, whatever their size."""
    ana = EjecutorFactory(nombre="Ana")
    articulo = ArticuloFactory()
    cliente = ClienteFactory()
    for _ in range(30):
        CasoFactory(ejecutor=ana, coordinador=ana, articulo=articulo, cliente=cliente)
    crecer_tablas(ejecutores=40, articulos=40, clientes=10)
    params = {}
    if filtrada:
        params = {"ejecutor": ana.pk, "coordinador": ana.pk, "articulo": articulo.pk}
        params["cliente"] = cliente.pk
    cliente_coordinador.get(URL, params)  # warm up the session and caches

    pocos = consultas(cliente_coordinador, "get", URL, params)
    crecer_tablas(ejecutores=400, articulos=400, clientes=5000)
    muchos = consultas(cliente_coordinador, "get", URL, params)

    assert len(numeros(muchos.respuesta)) == 25
    assert len(muchos) == len(pocos), "\n".join(muchos)
    assert len(muchos.respuesta.content) == len(pocos.respuesta.content)
    assert "Ejecutor extra" not in muchos.respuesta.content.decode()


# --- Overdue cases (vencidos) --------------------------------------------------------------


@pytest.fixture
def plazos():
    """Cases around today's deadline: only "vencido" is open and past its F/Cierre."""
    hoy = timezone.localdate()
    ayer = hoy - datetime.timedelta(days=1)
    inicio = hoy - datetime.timedelta(days=30)
    return {
        "vencido": CasoFactory(
            asunto="Vencido ayer", etapa=Etapa.RETRASADA, fecha_inicio=inicio, fecha_cierre=ayer
        ),
        "en_blanco_vencido": CasoFactory(
            asunto="En blanco vencido",
            etapa=Etapa.EN_BLANCO,
            fecha_inicio=inicio,
            fecha_cierre=ayer,
        ),
        "completado": CasoFactory(
            asunto="Completado a tiempo",
            etapa=Etapa.COMPLETADA,
            fecha_inicio=inicio,
            fecha_cierre=ayer,
        ),
        "hoy": CasoFactory(
            asunto="Cierra hoy", etapa=Etapa.EN_PROGRESO, fecha_inicio=inicio, fecha_cierre=hoy
        ),
        "sin_cierre": CasoFactory(
            asunto="Sin cierre", etapa=Etapa.EN_PROGRESO, fecha_inicio=inicio
        ),
    }


def test_vencidos_shows_the_open_cases_past_their_fecha_cierre(cliente_soporte, plazos):
    response = cliente_soporte.get(URL, {"vencidos": "true"})

    assert response.status_code == 200
    assert numeros(response) == de(plazos["en_blanco_vencido"], plazos["vencido"])
    assert texto_resultados(response) == "2 casos · 1 filtro activo"
    assert 'name="vencidos" value="true" id="id_vencidos" checked' in response.content.decode()


@pytest.mark.parametrize("valor", ["false", ""])
def test_vencidos_false_or_empty_is_the_same_as_no_filter(cliente_soporte, plazos, valor):
    response = cliente_soporte.get(URL, {"vencidos": valor})

    assert len(numeros(response)) == 5
    assert aviso_ignorados(response) is None


def test_a_junk_vencidos_value_is_ignored_and_the_page_says_so(cliente_soporte, plazos):
    response = cliente_soporte.get(URL, {"vencidos": "quizas"})

    assert len(numeros(response)) == 5
    assert aviso_ignorados(response) == "vencidos"


def test_overdue_rows_carry_a_vencido_badge_in_text(cliente_soporte, plazos):
    response = cliente_soporte.get(URL)

    filas = filas_de(response)
    marcados = {n for n, fila in filas.items() if any("Vencido" in celda for celda in fila)}
    assert marcados == {plazos["vencido"].documento, plazos["en_blanco_vencido"].documento}
    assert f"F/Cierre: {plazos['vencido'].fecha_cierre:%d/%m/%Y}" in response.content.decode()


# --- Hours and the other columns -------------------------------------------------------------


class _Filas(HTMLParser):
    """The list's body rows: documento → the text of each cell."""

    def __init__(self):
        super().__init__()
        self.filas = {}
        self._fila = None
        self._celda = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._fila = []
        elif tag == "td" and self._fila is not None:
            self._celda = ""

    def handle_data(self, data):
        if self._celda is not None:
            self._celda += data

    def handle_endtag(self, tag):
        if tag == "td" and self._celda is not None:
            self._fila.append(" ".join(self._celda.split()))
            self._celda = None
        elif tag == "tr" and self._fila:
            documento = next((c for c in self._fila if re.fullmatch(r"\d{8}", c)), None)
            if documento:
                self.filas[documento] = self._fila
            self._fila = None


def filas_de(response) -> dict[str, list[str]]:
    parser = _Filas()
    parser.feed(response.content.decode())
    return parser.filas


def test_each_row_shows_asunto_whole_and_its_hours_with_decimal_commas(cliente_soporte):
    asunto = "Migración del servidor de correo de la sede principal a la nube, con respaldo"
    caso = CasoFactory(asunto=asunto, etapa=Etapa.EN_PROGRESO)
    ActividadFactory(
        caso=caso, hora_inicio=datetime.time(9, 0), hora_fin=datetime.time(10, 30), facturable=True
    )
    ActividadFactory(
        caso=caso, hora_inicio=datetime.time(11, 0), hora_fin=datetime.time(12, 0), facturable=False
    )
    sin_horas = CasoFactory()

    filas = filas_de(cliente_soporte.get(URL))

    fila = filas[caso.documento]
    # Documento, Asunto (not cut to 30 characters), …, Horas, Horas facturables, Comentario
    assert fila[1] == asunto
    assert fila[-3:-1] == ["2,50", "1,50"]
    assert filas[sin_horas.documento][-3:-1] == ["0,00", "0,00"]


def test_html_typed_into_the_case_is_shown_as_text(cliente_soporte, caso_con_html):
    html = cliente_soporte.get(URL).content.decode()

    assert XSS not in html
    assert XSS_ESCAPADO in html


def test_the_hours_are_summed_for_the_cases_of_the_page_only(consultas, cliente_soporte):
    """One aggregate over the page's ids, not an annotation over the filtered set."""
    casos = [CasoFactory() for _ in range(12)]
    for caso in casos:
        ActividadFactory(caso=caso, hora_inicio=datetime.time(8, 0), hora_fin=datetime.time(8, 45))

    sql = consultas(cliente_soporte, "get", URL, {"por_pagina": "10"})

    pagina = sql.respuesta.context["object_list"]
    assert [c.horas_total for c in pagina] == [Decimal("0.75")] * 10
    sumas = [q for q in sql if "SUM(" in q.upper()]
    assert len(sumas) == 1
    # … WHERE "caso_id" IN (the ten ids of the page) GROUP BY …
    ids = re.search(r"\bIN \(([\d, ]+)\)", sumas[0]).group(1)
    assert {int(pk) for pk in ids.split(",")} == {c.pk for c in pagina}


def test_more_activities_add_no_queries(consultas, cliente_soporte):
    casos = [CasoFactory() for _ in range(10)]
    cliente_soporte.get(URL)  # warm up the session and caches
    pocas = consultas(cliente_soporte, "get", URL)
    for i, caso in enumerate(casos):
        for h in range(5):
            ActividadFactory(
                caso=caso,
                hora_inicio=datetime.time(8 + h, 0),
                hora_fin=datetime.time(8 + h, 30),
                facturable=bool(i % 2),
            )
    muchas = consultas(cliente_soporte, "get", URL)

    assert len(pocas) == len(muchas), "\n".join(muchas)
    assert {c.horas_total for c in muchas.respuesta.context["object_list"]} == {Decimal("2.50")}


# --- The filter form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "iso"),
    [
        ({"fecha_inicio_after": "31/12/2026"}, {"fecha_inicio_after": "2026-12-31"}),
        ({"fecha_inicio_before": "2026-01-05"}, {"fecha_inicio_before": "2026-01-05"}),
        ({"fecha_cierre_after": "1/2/2026"}, {"fecha_cierre_after": "2026-02-01"}),
        ({"fecha_cierre_before": "05/01/26"}, {"fecha_cierre_before": "2026-01-05"}),
    ],
)
def test_a_date_of_the_url_shows_in_its_date_box(cliente_soporte, mundo, params, iso):
    """HTML date inputs only display ISO values: a dd/mm/aaaa date must not leave them empty."""
    contenido = cliente_soporte.get(URL, params).content.decode()

    for nombre, valor in iso.items():
        assert f'<input type="date" name="{nombre}" value="{valor}"' in contenido


def mas_filtros_abierto(response) -> bool:
    etiqueta = re.search(r"<details[^>]*mas-filtros[^>]*>", response.content.decode()).group(0)
    return " open" in etiqueta


@pytest.mark.parametrize(
    ("params", "abierto"),
    [
        ({}, False),
        ({"q": "x", "etapa": "retrasada", "prioridad": "alta", "abiertos": "true"}, False),
        ({"vencidos": "true"}, False),
        ({"grupo": "{G1}"}, True),
        ({"interno": "true"}, True),
        ({"fecha_cierre_before": "31/12/2026"}, True),
        ({"origen": "blanco"}, True),
    ],
)
def test_mas_filtros_starts_open_only_when_one_of_its_filters_is_set(
    cliente_soporte, mundo, params, abierto
):
    query = {k: v.format(G1=mundo["G1"].pk) for k, v in params.items()}

    assert mas_filtros_abierto(cliente_soporte.get(URL, query)) is abierto


def test_every_filter_control_has_a_label(cliente_soporte, mundo):
    contenido = cliente_soporte.get(URL).content.decode()

    ids = re.findall(r"<(?:input|select)(?![^>]*type=\"hidden\")[^>]*\bid=\"([^\"]+)\"", contenido)
    etiquetados = set(re.findall(r"<label[^>]*\bfor=\"([^\"]+)\"", contenido))
    sin_etiqueta = [i for i in ids if i not in etiquetados]
    assert sin_etiqueta == []
    assert "id_vencidos" in ids


def test_the_form_repeats_orden_and_por_pagina_only_when_the_url_has_them(cliente_soporte, mundo):
    sin = cliente_soporte.get(URL).content.decode()
    con = cliente_soporte.get(URL, {"orden": "cliente", "por_pagina": "50"}).content.decode()

    assert 'name="orden"' not in sin
    assert 'name="por_pagina"' not in sin
    assert '<input type="hidden" name="orden" value="cliente">' in con
    assert '<input type="hidden" name="por_pagina" value="50">' in con


def test_the_export_menu_offers_csv_for_spanish_excel(cliente_coordinador, mundo):
    response = cliente_coordinador.get(URL, {"etapa": "retrasada"})

    exportar = enlaces(response).enlaces["CSV para Excel en español (;)"]
    assert parametros(exportar) == {"etapa": ["retrasada"], "formato": ["csv-excel"]}


# --- The empty list is valid HTML ------------------------------------------------------------


def celdas_por_fila(response) -> tuple[int, int]:
    """(header cells, columns the empty row spans)."""
    contenido = response.content.decode()
    thead = re.search(r"<thead>(.*?)</thead>", contenido, re.S).group(1)
    colspan = re.search(r'<td colspan="(\d+)"', contenido)
    return len(re.findall(r"<th\b", thead)), int(colspan.group(1)) if colspan else 0


@pytest.mark.parametrize("usuario", ["cliente_soporte", "cliente_coordinador"])
def test_the_empty_row_spans_exactly_the_columns_of_the_table(usuario, request):
    """Soporte has no selection column: a colspan past the last column is invalid HTML."""
    client = request.getfixturevalue(usuario)

    response = client.get(URL, {"q": "nada-que-encontrar"})

    assert "No hay casos con estos filtros." in response.content.decode()
    columnas, colspan = celdas_por_fila(response)
    assert colspan == columnas
    assert columnas == (13 if usuario == "cliente_coordinador" else 12)


def test_the_empty_list_passes_the_html_checker_for_both_roles(
    client, soporte, coordinador, tmp_path
):
    from tests.test_html_valid import validar

    documentos = {}
    for usuario in (soporte, coordinador):
        client.force_login(usuario)
        documentos[f"vacia-{usuario.username}"] = client.get(URL).content.decode()

    assert validar(documentos, tmp_path) == []


# --- Seguimiento de casos without JavaScript ------------------------------------------------


def test_the_seguimiento_bar_is_in_the_page_for_coordinators(cliente_coordinador, mundo):
    contenido = cliente_coordinador.get(URL).content.decode()

    barra = re.search(r"<form[^>]*id=\"form-seguimiento\"[^>]*>", contenido).group(0)
    # Rendered visible: only the list's script hides it until a case is ticked.
    assert "hidden" not in barra
    assert "data-seguimiento" in barra
    assert contenido.index('id="form-seguimiento"') > contenido.index("</table>")
