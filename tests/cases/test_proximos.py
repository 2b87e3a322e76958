"""Próximos Casos a Ejecutar (/casos/proximos/): open cases per group, in work order."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from cases.models import Etapa, Prioridad
from efactory.estatus import Estatus
from tests.cases.test_list import crecer_tablas
from tests.factories import ActividadFactory, CasoFactory, ClienteFactory, EjecutorFactory

pytestmark = pytest.mark.django_db

URL = "/casos/proximos/"
DIA = datetime.date(2026, 3, 1)


def grupos(response) -> list[tuple[str, list[int]]]:
    """The page's groups as (group name, [case numbers in the order shown])."""
    return [
        (grupo.nombre if grupo is not None else None, [caso.numero for caso in casos])
        for grupo, casos, _abiertos in response.context["grupos"]
    ]


def conteos(response) -> list[str]:
    """What each group's header says about its open cases, in the order shown."""
    return [
        " ".join(texto.split())
        for texto in re.findall(
            r"<span[^>]*data-abiertos[^>]*>(.*?)</span>", response.content.decode()
        )
    ]


class _Filas(HTMLParser):
    """The rows of the page's tables as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.filas = []
        self._celda = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.filas.append([])
        elif tag == "td":
            self._celda = ""

    def handle_data(self, data):
        if self._celda is not None:
            self._celda += data

    def handle_endtag(self, tag):
        if tag == "td" and self._celda is not None:
            self.filas[-1].append(" ".join(self._celda.split()))
            self._celda = None


def fila_de(response, caso) -> list[str]:
    parser = _Filas()
    parser.feed(response.content.decode())
    return next(fila for fila in parser.filas if caso.documento in fila)


def numeros(*casos) -> list[int]:
    return [caso.numero for caso in casos]


@pytest.fixture
def ana():
    return EjecutorFactory(nombre="Ana")


@pytest.fixture
def beto():
    return EjecutorFactory(nombre="Beto")


@pytest.fixture
def cliente():
    return ClienteFactory(nombre="Cliente Uno")


def test_it_shows_open_cases_grouped_by_ejecutor(cliente_soporte, ana, beto, cliente):
    de_ana = CasoFactory(ejecutor=ana, cliente=cliente, etapa=Etapa.EN_PROGRESO)
    de_beto = CasoFactory(ejecutor=beto, cliente=cliente, etapa=Etapa.NO_INICIADA)

    response = cliente_soporte.get(URL)

    assert response.status_code == 200
    assert grupos(response) == [("Ana", numeros(de_ana)), ("Beto", numeros(de_beto))]
    html = response.content.decode()
    assert de_ana.documento in html
    assert de_beto.documento in html


def test_completed_cases_are_left_out(cliente_soporte, ana, cliente):
    abierto = CasoFactory(ejecutor=ana, cliente=cliente, etapa=Etapa.RETRASADA)
    completado = CasoFactory(ejecutor=ana, cliente=cliente, etapa=Etapa.COMPLETADA)
    sin_etapa = CasoFactory(ejecutor=ana, cliente=cliente, etapa=Etapa.EN_BLANCO)

    response = cliente_soporte.get(URL)

    assert grupos(response) == [("Ana", numeros(abierto, sin_etapa))]
    assert completado.documento not in response.content.decode()


def test_it_groups_by_cliente(cliente_soporte, ana, beto):
    uno = ClienteFactory(nombre="Alfa")
    dos = ClienteFactory(nombre="Beta")
    a1 = CasoFactory(cliente=uno, ejecutor=ana)
    b1 = CasoFactory(cliente=dos, ejecutor=ana)
    a2 = CasoFactory(cliente=uno, ejecutor=beto)

    response = cliente_soporte.get(URL, {"agrupar": "cliente"})

    assert grupos(response) == [("Alfa", numeros(a1, a2)), ("Beta", numeros(b1))]


def test_it_shows_at_most_5_cases_per_group_by_default(cliente_soporte, ana, beto, cliente):
    de_ana = [CasoFactory(ejecutor=ana, cliente=cliente) for _ in range(7)]
    de_beto = [CasoFactory(ejecutor=beto, cliente=cliente) for _ in range(2)]

    response = cliente_soporte.get(URL)

    assert grupos(response) == [("Ana", numeros(*de_ana[:5])), ("Beto", numeros(*de_beto))]


def test_limite_sets_the_cases_per_group(cliente_soporte, ana, beto, cliente):
    de_ana = [CasoFactory(ejecutor=ana, cliente=cliente) for _ in range(4)]
    de_beto = [CasoFactory(ejecutor=beto, cliente=cliente) for _ in range(4)]

    response = cliente_soporte.get(URL, {"limite": "2"})

    assert grupos(response) == [("Ana", numeros(*de_ana[:2])), ("Beto", numeros(*de_beto[:2]))]


def test_limite_applies_per_client_when_grouping_by_cliente(cliente_soporte, ana):
    uno = ClienteFactory(nombre="Alfa")
    dos = ClienteFactory(nombre="Beta")
    de_uno = [CasoFactory(cliente=uno, ejecutor=ana) for _ in range(3)]
    de_dos = [CasoFactory(cliente=dos, ejecutor=ana) for _ in range(3)]

    response = cliente_soporte.get(URL, {"agrupar": "cliente", "limite": "1"})

    assert grupos(response) == [("Alfa", numeros(de_uno[0])), ("Beta", numeros(de_dos[0]))]


def test_cases_are_ordered_by_nivel_prioridad_fecha_inicio_and_numero(
    cliente_soporte, ana, cliente
):
    def caso(**kwargs):
        return CasoFactory(ejecutor=ana, cliente=cliente, **kwargs)

    # Created in an order that is none of the sort keys.
    baja_nivel_0 = caso(nivel=0, prioridad=Prioridad.BAJA, fecha_inicio=DIA)
    media_nivel_0_tarde = caso(nivel=0, prioridad=Prioridad.MEDIA, fecha_inicio=DIA + _dias(3))
    alta_nivel_0 = caso(nivel=0, prioridad=Prioridad.ALTA, fecha_inicio=DIA + _dias(9))
    media_nivel_0_temprano_antes = caso(nivel=0, prioridad=Prioridad.MEDIA, fecha_inicio=DIA)
    baja_nivel_5 = caso(nivel=5, prioridad=Prioridad.BAJA, fecha_inicio=DIA + _dias(30))
    media_nivel_0_temprano_despues = caso(nivel=0, prioridad=Prioridad.MEDIA, fecha_inicio=DIA)
    negativo = caso(nivel=-1, prioridad=Prioridad.ALTA, fecha_inicio=DIA)

    response = cliente_soporte.get(URL, {"limite": "100"})

    assert grupos(response) == [
        (
            "Ana",
            numeros(
                baja_nivel_5,
                alta_nivel_0,
                media_nivel_0_temprano_antes,
                media_nivel_0_temprano_despues,
                media_nivel_0_tarde,
                baja_nivel_0,
                negativo,
            ),
        )
    ]


def test_the_limit_keeps_the_first_cases_in_work_order(cliente_soporte, ana, cliente):
    urgentes = [
        CasoFactory(ejecutor=ana, cliente=cliente, nivel=0, prioridad=Prioridad.BAJA),
        CasoFactory(ejecutor=ana, cliente=cliente, nivel=9, prioridad=Prioridad.BAJA),
        CasoFactory(ejecutor=ana, cliente=cliente, nivel=0, prioridad=Prioridad.ALTA),
    ]

    response = cliente_soporte.get(URL, {"limite": "2"})

    assert grupos(response) == [("Ana", numeros(urgentes[1], urgentes[2]))]


def test_cases_of_an_inactive_ejecutor_are_hidden_by_default(cliente_soporte, ana, cliente):
    inactivo = EjecutorFactory(nombre="Inactivo", estatus=Estatus.INACTIVO)
    de_ana = CasoFactory(ejecutor=ana, cliente=cliente)
    CasoFactory(ejecutor=inactivo, cliente=cliente)

    response = cliente_soporte.get(URL)

    assert grupos(response) == [("Ana", numeros(de_ana))]


@pytest.mark.parametrize("estatus", ["", "inactivo"])
def test_estatus_ejecutor_shows_cases_of_inactive_ejecutores(
    cliente_soporte, ana, cliente, estatus
):
    inactivo = EjecutorFactory(nombre="Inactivo", estatus=Estatus.INACTIVO)
    de_ana = CasoFactory(ejecutor=ana, cliente=cliente)
    del_inactivo = CasoFactory(ejecutor=inactivo, cliente=cliente)

    response = cliente_soporte.get(URL, {"estatus_ejecutor": estatus})

    esperado = [("Inactivo", numeros(del_inactivo))]
    if estatus == "":
        esperado = [("Ana", numeros(de_ana)), *esperado]
    assert grupos(response) == esperado


def test_the_limit_counts_only_the_cases_that_pass_the_filters(cliente_soporte, ana, cliente):
    """The window numbering runs after the filters, so hidden cases take no place."""
    otro_cliente = ClienteFactory(estatus=Estatus.INACTIVO)
    for _ in range(3):
        CasoFactory(ejecutor=ana, cliente=otro_cliente, nivel=9)
    visibles = [CasoFactory(ejecutor=ana, cliente=cliente) for _ in range(2)]

    response = cliente_soporte.get(URL, {"limite": "2"})

    assert grupos(response) == [("Ana", numeros(*visibles))]


def test_cases_of_an_inactive_client_are_hidden_by_default(cliente_soporte, ana, cliente):
    inactivo = ClienteFactory(estatus=Estatus.INACTIVO)
    visible = CasoFactory(ejecutor=ana, cliente=cliente)
    oculto = CasoFactory(ejecutor=ana, cliente=inactivo)

    assert grupos(cliente_soporte.get(URL)) == [("Ana", numeros(visible))]
    assert grupos(cliente_soporte.get(URL, {"estatus_cliente": ""})) == [
        ("Ana", numeros(visible, oculto))
    ]


def test_it_filters_by_ejecutor_and_by_cliente(cliente_soporte, ana, beto, cliente):
    otro = ClienteFactory()
    de_ana = CasoFactory(ejecutor=ana, cliente=cliente)
    de_ana_otro = CasoFactory(ejecutor=ana, cliente=otro)
    CasoFactory(ejecutor=beto, cliente=cliente)

    assert grupos(cliente_soporte.get(URL, {"ejecutor": ana.pk})) == [
        ("Ana", numeros(de_ana, de_ana_otro))
    ]
    assert grupos(cliente_soporte.get(URL, {"ejecutor": ana.pk, "cliente": cliente.pk})) == [
        ("Ana", numeros(de_ana))
    ]


@pytest.mark.parametrize(
    "parametros",
    [
        {"limite": "abc"},
        {"limite": "-3"},
        {"limite": "0"},
        {"limite": "99999999999999999999"},
        {"agrupar": "xyz"},
        {"ejecutor": "999999"},
        {"ejecutor": "abc"},
        {"ejecutor": "99999999999999999999999"},
        {"cliente": "99999999999999999999999"},
        {"cliente": "zz"},
        {"cliente": "999999"},
        {"estatus_ejecutor": "raro"},
        {"estatus_cliente": "<script>"},
        {"orden": "nada", "page": "x"},
    ],
    ids=lambda parametros: "&".join(f"{k}={v}" for k, v in parametros.items()),
)
def test_junk_parameters_give_200_with_the_defaults(cliente_soporte, ana, cliente, parametros):
    casos = [CasoFactory(ejecutor=ana, cliente=cliente) for _ in range(6)]

    response = cliente_soporte.get(URL, parametros)

    assert response.status_code == 200
    assert grupos(response) == [("Ana", numeros(*casos[:5]))]


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/cuentas/login/?next={URL}"


def test_a_user_without_group_gets_403(client, sin_grupo):
    client.force_login(sin_grupo)

    assert client.get(URL).status_code == 403


def test_an_empty_queue_says_so(cliente_soporte):
    response = cliente_soporte.get(URL)

    assert response.status_code == 200
    assert "No hay casos abiertos con estos filtros." in response.content.decode()


def _dias(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _llenar(ejecutores, clientes, por_grupo: int):
    for ejecutor in ejecutores:
        for i in range(por_grupo):
            CasoFactory(ejecutor=ejecutor, cliente=clientes[i % len(clientes)], nivel=i % 3)


@pytest.mark.parametrize(("agrupar", "esperadas"), [("ejecutor", 8), ("cliente", 7)])
def test_the_page_runs_the_same_queries_for_3_and_30_cases_per_group(
    consultas, cliente_soporte, django_assert_num_queries, agrupar, esperadas
):
    ejecutores = [EjecutorFactory() for _ in range(3)]
    clientes = [ClienteFactory() for _ in range(3)]
    parametros = {"agrupar": agrupar, "limite": "50"}
    _llenar(ejecutores, clientes, 3)
    cliente_soporte.get(URL, parametros)  # warm up the session and caches

    pocos = consultas(cliente_soporte, "get", URL, parametros)
    _llenar(ejecutores, clientes, 27)
    muchos = consultas(cliente_soporte, "get", URL, parametros)

    assert sum(len(casos) for _, casos in grupos(muchos.respuesta)) == 90
    assert len(pocos) == len(muchos), "\n".join(muchos)
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the groups of this page (clients or executors with an open case: EXISTS)
    # 5 agrupar=ejecutor only: whether unassigned open cases exist ("Sin ejecutor")
    # 5/6 the open cases of each group of the page (one grouped COUNT)
    # 6/7 the cases: one query, a window function numbers the cases of each group, with
    #   cliente and ejecutor joined
    # 7/8 the hours of the cases shown (one SUM over their activities, grouped by case)
    # (the filter form reads no rows: Ejecutor and Cliente are lupas, with nothing chosen)
    with django_assert_num_queries(esperadas):
        cliente_soporte.get(URL, parametros)


def test_more_groups_and_activities_add_no_queries(consultas, cliente_soporte):
    """Counts and hours are one query each for the whole page, not one per group or row."""
    ejecutores = [EjecutorFactory() for _ in range(2)]
    clientes = [ClienteFactory() for _ in range(2)]
    _llenar(ejecutores, clientes, 2)
    cliente_soporte.get(URL)  # warm up the session and caches

    pocos = consultas(cliente_soporte, "get", URL)
    mas = [EjecutorFactory() for _ in range(6)]
    _llenar(mas, clientes, 4)
    for caso in CasoFactory._meta.model.objects.all():
        ActividadFactory(caso=caso)  # each with an ejecutor of its own: no overlaps
    muchos = consultas(cliente_soporte, "get", URL)

    assert len(grupos(muchos.respuesta)) == 8
    assert len(pocos) == len(muchos), "\n".join(muchos)


@pytest.mark.parametrize(
    "parametros",
    [{}, {"agrupar": "cliente"}, {"ejecutor": "ana", "cliente": "cliente"}],
    ids=["por ejecutor", "por cliente", "filtrada"],
)
def test_the_page_weighs_and_queries_the_same_with_40_or_400_executors_and_5000_clients(
    consultas, cliente_soporte, ana, cliente, parametros
):
    """Ejecutor and Cliente are lupas: the filter bar never lists their tables."""
    for i in range(12):
        CasoFactory(ejecutor=ana, cliente=cliente, nivel=i % 3)
    parametros = {
        clave: {"ana": ana.pk, "cliente": cliente.pk}.get(valor, valor)
        for clave, valor in parametros.items()
    }
    crecer_tablas(ejecutores=40, articulos=40, clientes=10)
    cliente_soporte.get(URL, parametros)  # warm up the session and caches

    pocos = consultas(cliente_soporte, "get", URL, parametros)
    crecer_tablas(ejecutores=400, articulos=400, clientes=5000)
    muchos = consultas(cliente_soporte, "get", URL, parametros)

    assert sum(len(casos) for _, casos in grupos(muchos.respuesta)) == 5
    assert len(muchos) == len(pocos), "\n".join(muchos)
    assert len(muchos.respuesta.content) == len(pocos.respuesta.content)


def test_a_group_with_more_open_cases_than_the_bound_says_more_than(
    cliente_soporte, ana, cliente, monkeypatch
):
    """Open cases are counted up to a bound per group (counting a million costs more than
    the page); past it the header says "más de"."""
    monkeypatch.setattr("cases.views.COTA_ABIERTOS", 3)
    beto = EjecutorFactory(nombre="Beto")
    for _ in range(5):
        CasoFactory(ejecutor=ana, cliente=cliente)
    for _ in range(3):
        CasoFactory(ejecutor=beto, cliente=cliente)

    response = cliente_soporte.get(URL, {"limite": "2"})

    assert conteos(response) == [
        "Más de 3 casos abiertos, se muestran 2",
        "3 casos abiertos, se muestran 2",
    ]


def test_groups_come_in_pages_of_25_in_name_order(cliente_soporte, ana):
    clientes = [ClienteFactory(nombre=f"Cliente {i:02d}") for i in range(30)]
    for c in clientes:
        CasoFactory(cliente=c, ejecutor=ana, etapa=Etapa.EN_PROGRESO)
    # A client with only completed cases is not a group.
    CasoFactory(cliente=ClienteFactory(nombre="Cliente 00a"), etapa=Etapa.COMPLETADA)

    primera = cliente_soporte.get(URL, {"agrupar": "cliente"})
    segunda = cliente_soporte.get(URL, {"agrupar": "cliente", "pagina": "2"})

    assert [g for g, _ in grupos(primera)] == [c.nombre for c in clientes[:25]]
    assert [g for g, _ in grupos(segunda)] == [c.nombre for c in clientes[25:]]
    assert "Más grupos" in primera.content.decode()
    assert "Más grupos" not in segunda.content.decode()
    assert "Grupos anteriores" in segunda.content.decode()


def test_sin_ejecutor_closes_the_last_page_of_groups(cliente_soporte, ana, cliente):
    con = CasoFactory(ejecutor=ana, cliente=cliente, etapa=Etapa.EN_PROGRESO)
    sin = CasoFactory(ejecutor=None, cliente=cliente, etapa=Etapa.EN_PROGRESO)

    response = cliente_soporte.get(URL)

    assert grupos(response) == [("Ana", numeros(con)), (None, numeros(sin))]


@pytest.mark.parametrize("pagina", ["0", "-3", "abc", "99999999999"])
def test_a_junk_or_far_page_of_groups_is_not_an_error(cliente_soporte, ana, cliente, pagina):
    CasoFactory(ejecutor=ana, cliente=cliente, etapa=Etapa.EN_PROGRESO)

    response = cliente_soporte.get(URL, {"pagina": pagina})

    assert response.status_code == 200


# --- What each group and row shows ------------------------------------------------------------


def test_each_group_says_how_many_open_cases_it_has_and_how_many_are_shown(
    cliente_soporte, ana, beto, cliente
):
    for _ in range(7):
        CasoFactory(ejecutor=ana, cliente=cliente, etapa=Etapa.EN_PROGRESO)
    # Neither completed cases nor cases the filters leave out count.
    CasoFactory(ejecutor=ana, cliente=cliente, etapa=Etapa.COMPLETADA)
    CasoFactory(ejecutor=ana, cliente=ClienteFactory(estatus=Estatus.INACTIVO))
    CasoFactory(ejecutor=beto, cliente=cliente)
    CasoFactory(ejecutor=beto, cliente=cliente)

    response = cliente_soporte.get(URL)

    assert conteos(response) == ["7 casos abiertos, se muestran 5", "2 casos abiertos"]
    assert conteos(cliente_soporte.get(URL, {"limite": "1"})) == [
        "7 casos abiertos, se muestra 1",
        "2 casos abiertos, se muestra 1",
    ]


def test_the_counts_follow_the_grouping_and_sin_ejecutor(cliente_soporte, ana, cliente):
    CasoFactory(ejecutor=ana, cliente=cliente)
    CasoFactory(ejecutor=None, cliente=cliente)
    CasoFactory(ejecutor=None, cliente=ClienteFactory(nombre="Zeta"))

    assert conteos(cliente_soporte.get(URL)) == ["1 caso abierto", "2 casos abiertos"]
    assert conteos(cliente_soporte.get(URL, {"agrupar": "cliente"})) == [
        "2 casos abiertos",
        "1 caso abierto",
    ]


def test_a_row_shows_dias_en_ejecucion_hours_with_decimal_commas_and_overdue(
    cliente_soporte, ana, cliente
):
    hoy = timezone.localdate()
    vencido = CasoFactory(
        ejecutor=ana,
        cliente=cliente,
        etapa=Etapa.EN_PROGRESO,
        fecha_inicio=hoy - datetime.timedelta(days=10),
        fecha_cierre=hoy - datetime.timedelta(days=1),
    )
    ActividadFactory(
        caso=vencido,
        fecha=vencido.fecha_inicio,
        hora_inicio=datetime.time(9, 0),
        hora_fin=datetime.time(10, 30),
        facturable=True,
    )
    ActividadFactory(
        caso=vencido,
        fecha=vencido.fecha_inicio,
        hora_inicio=datetime.time(11, 0),
        hora_fin=datetime.time(11, 30),
        facturable=False,
    )
    a_tiempo = CasoFactory(ejecutor=ana, cliente=cliente, fecha_cierre=hoy, fecha_inicio=hoy)

    response = cliente_soporte.get(URL)

    fila = fila_de(response, vencido)
    assert fila[5:] == ["10", cliente.nombre, "En progreso Vencido", "0%0%", "2,00", "1,50"]
    assert fila_de(response, a_tiempo)[5:] == [
        "0",
        cliente.nombre,
        "En blanco",
        "0%0%",
        "0,00",
        "0,00",
    ]
    encabezados = re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", response.content.decode())
    assert "Días en ejecución" in encabezados
    assert "Horas" in encabezados


def test_the_filter_bar_has_a_label_and_a_bootstrap_control_for_every_field(cliente_soporte):
    html = cliente_soporte.get(URL).content.decode()

    for campo in (
        "agrupar",
        "limite",
        "ejecutor",
        "estatus_ejecutor",
        "cliente",
        "estatus_cliente",
    ):
        assert f'<label class="form-label" for="id_{campo}">' in html
        control = re.search(rf"<(select|input)[^>]*name=\"{campo}\"[^>]*>", html).group(0)
        assert "form-select-sm" in control or "form-control-sm" in control, control
    # Ejecutor is a lupa: with none chosen it offers only its empty option, "Todos".
    ejecutor = re.search(r'<select name="ejecutor"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert ejecutor.strip() == '<option value="">Todos</option>'
