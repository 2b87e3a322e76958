"""Property-based tests (hypothesis): whatever is typed or put in the URL, never a 500.

a) The case editor with its Actividades formset: a mix of valid and invalid values for every
   field and row, sometimes a tampered management form. Whatever the answer, either nothing
   was written, or what was written obeys every rule of SPEC.md.
b) The query parameters of the list, the export, Próximos and the lupa: junk is ignored or
   answered with 400, never with a 500.

Each example runs inside a savepoint that is rolled back, so every example starts from the
same rows. Failing examples are not saved between runs (``database=None``): a failure prints
the drawn values to reproduce it. Two deterministic tests put every trap value into every
field at once, so the known troublemakers are tried on each run whatever hypothesis draws.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cases.models import (
    Actividad,
    Caso,
    Complejidad,
    Etapa,
    Origen,
    Prioridad,
    Secuencia,
)
from efactory.estatus import Estatus
from tests.cases.datos import datos_de, datos_post, fila_de
from tests.factories import (
    ActividadFactory,
    ArticuloFactory,
    CasoFactory,
    ClaseFactory,
    ClienteFactory,
    ContactoFactory,
    DepartamentoFactory,
    EjecutorFactory,
    GrupoFactory,
)

pytestmark = pytest.mark.django_db


def ajustes(ejemplos: int):
    return settings(
        max_examples=ejemplos,
        deadline=None,
        database=None,
        # No "explain" phase: on a failure it re-runs the example hundreds of times.
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Values that broke something somewhere once: NUL (PostgreSQL refuses it in text), digits
# that str.isdigit() accepts but int() does not (superscripts, Ethiopic, Kharosthi), numbers
# beyond 64 bits, HTML, SQL, whitespace, lookalike digits.
TRAMPAS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "²",
    "፩",
    "\U00010a40",
    "١٢",
    "１",
    "-1",
    "0",
    "1.0",
    "1e3",
    "9" * 25,
    "-" + "9" * 25,
    "NaN",
    "Infinity",
    "abc",
    " 1",
    "1 ",
    "%",
    "_",
    "'",
    '"',
    "\\",
    "'; DROP TABLE cases_caso; --",
    "<b>1</b>",
    "Ñandú ☕ 日本語 😀",
    "\u202e",
]
MARCA_HTML = '<img src=x onerror="alert(1)">'
trampa = st.sampled_from(TRAMPAS)


@dataclass
class Mundo:
    """The rows every example of the editor works with."""

    cliente_a: object
    cliente_b: object
    cliente_inactivo: object
    contacto_a: object
    contacto_b: object
    ana: object
    beto: object
    ejecutor_inactivo: object
    articulo: object
    articulo_inactivo: object
    clase: object
    grupo: object
    departamento: object
    caso: object
    otro_caso: object


INICIO = datetime.date(2026, 3, 1)
CIERRE = datetime.date(2026, 3, 31)


@pytest.fixture
def mundo(db):
    cliente_a = ClienteFactory(codigo="CA", nombre="Ñandú, C.A.")
    cliente_b = ClienteFactory(codigo="CB", nombre="Bodegón Beta")
    ana = EjecutorFactory(nombre="Ana")
    beto = EjecutorFactory(nombre="Beto")
    contacto_a = ContactoFactory(cliente=cliente_a, nombre="Alicia")
    caso = CasoFactory(
        cliente=cliente_a,
        contacto=contacto_a,
        ejecutor=ana,
        fecha_inicio=INICIO,
        fecha_cierre=CIERRE,
        asunto="Caso que se edita",
    )
    ActividadFactory(
        caso=caso, ejecutor=ana, fecha=datetime.date(2026, 3, 2), hora_inicio=datetime.time(9)
    )
    ActividadFactory(
        caso=caso,
        ejecutor=beto,
        fecha=datetime.date(2026, 3, 3),
        hora_inicio=datetime.time(10),
        hora_fin=datetime.time(11),
    )
    otro_caso = CasoFactory(cliente=cliente_b, fecha_inicio=INICIO)
    ActividadFactory(caso=otro_caso, ejecutor=beto, fecha=INICIO)
    return Mundo(
        cliente_a=cliente_a,
        cliente_b=cliente_b,
        cliente_inactivo=ClienteFactory(codigo="CI", estatus=Estatus.INACTIVO),
        contacto_a=contacto_a,
        contacto_b=ContactoFactory(cliente=cliente_b, nombre="Bruno"),
        ana=ana,
        beto=beto,
        ejecutor_inactivo=EjecutorFactory(nombre="Iris", estatus=Estatus.INACTIVO),
        articulo=ArticuloFactory(),
        articulo_inactivo=ArticuloFactory(activo=False),
        clase=ClaseFactory(),
        grupo=GrupoFactory(),
        departamento=DepartamentoFactory(),
        caso=caso,
        otro_caso=otro_caso,
    )


@pytest.fixture
def http(coordinador):
    """A Coordinador's client that answers a 500 instead of raising it."""
    cliente = Client(raise_request_exception=False)
    cliente.force_login(coordinador)
    return cliente


@pytest.fixture
def ejemplos():
    """Counts the examples each property ran (printed with ``-s``)."""
    cuenta = defaultdict(int)
    yield cuenta
    print("", *(f"{clave}: {n}" for clave, n in sorted(cuenta.items())), sep="\n  ")


# --- a) the case editor --------------------------------------------------------------------

ULTIMO_DIA = datetime.date(2026, 4, 15)  # the latest date any example uses


def texto_de_fecha(fecha: datetime.date):
    """``fecha`` as ISO or as dd/mm/aaaa (the editor accepts both)."""
    return st.sampled_from([fecha.isoformat(), fecha.strftime("%d/%m/%Y")])


def fechas(desde: datetime.date, hasta: datetime.date):
    return st.dates(min_value=desde, max_value=hasta).flatmap(texto_de_fecha)


FECHAS_MALAS = (
    st.sampled_from(
        [
            "2026-02-30",
            "31/02/2026",
            "2026-13-01",
            "hoy",
            "0000-00-00",
            "00/00/0000",
            "99999-01-01",
            "2026/03/05",
            "3-5-2026",
            "2026-03-01T10:00",
            "9999-12-31",
            "01/01/0001",
        ]
    )
    | trampa
)
HORAS = ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "12:00", "14:00"]
HORAS_MALAS = (
    st.sampled_from(["24:00", "25:00", "10:61", "9", "9h", "23:59:59", "12:00 PM"]) | trampa
)
# Text a person types: no control characters, not only blanks.
texto_escrito = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(str.strip)


class Envio:
    """Draws one POST body of the editor.

    Half of the examples are *clean*: every value valid and the case consistent (dates in
    order, the contact of the chosen client, rows inside the case's dates, hours in order),
    so that many are saved and the rules of what was stored get checked; rows may still
    overlap. The others are *dirty*: each value is junk with probability ``tasa`` %, and
    valid values are drawn without regard to each other (reversed dates, a contact of
    another client, rows outside the dates), plus forged ids, stale versions, lupa text boxes
    and tampered management forms.
    """

    def __init__(self, data, mundo: Mundo, *, edicion: bool):
        self.data = data
        self.m = mundo
        self.edicion = edicion
        self.tasa = data.draw(st.sampled_from([0, 0, 0, 3, 10, 40]), label="basura %")
        self.limpio = self.tasa == 0
        self.ventana = (datetime.date(2026, 2, 20), ULTIMO_DIA)

    def draw(self, estrategia, label=None):
        return self.data.draw(estrategia, label=label)

    def uno(self, validos, malos=trampa):
        if self.tasa and self.draw(st.integers(0, 99)) < self.tasa:
            return self.draw(malos)
        return self.draw(validos)

    def pk(self, *objetos, vacio=True, malos=()):
        opciones = [str(o.pk) for o in objetos] + ([""] if vacio else [])
        # An inactive row, a row that does not exist, junk.
        malas = [str(o.pk) for o in malos] + ["999999"]
        return self.uno(st.sampled_from(opciones), st.sampled_from(malas) | trampa)

    def fechas_del_caso(self) -> tuple[str, str]:
        if not self.limpio:
            inicio = self.uno(
                fechas(datetime.date(2026, 2, 20), datetime.date(2026, 3, 10)), FECHAS_MALAS
            )
            cierre = self.uno(
                st.just("") | fechas(datetime.date(2026, 2, 25), datetime.date(2026, 4, 10)),
                FECHAS_MALAS,
            )
            return inicio, cierre
        # The stored rows of the edited case are on 02/03 and 03/03: keep them inside.
        ultimo_inicio = datetime.date(2026, 3, 1 if self.edicion else 10)
        inicio = self.draw(st.dates(datetime.date(2026, 2, 20), ultimo_inicio))
        primer_cierre = max(inicio, datetime.date(2026, 3, 31)) if self.edicion else inicio
        cierre = self.draw(st.none() | st.dates(primer_cierre, datetime.date(2026, 4, 10)))
        self.ventana = (inicio, cierre or ULTIMO_DIA)
        return self.draw(texto_de_fecha(inicio)), self.draw(
            texto_de_fecha(cierre)
        ) if cierre else ""

    def caso(self) -> dict:
        m = self.m
        asuntos = st.sampled_from(["á" * 200, MARCA_HTML, "Ñandú ☕ 日本語 😀"]) | texto_escrito
        if not self.limpio:
            asuntos |= st.text(max_size=40)
        cliente = self.pk(m.cliente_a, m.cliente_b, vacio=False, malos=[m.cliente_inactivo])
        if self.limpio:
            propio = m.contacto_a if cliente == str(m.cliente_a.pk) else m.contacto_b
            contacto = self.pk(propio)
        else:
            contacto = self.pk(m.contacto_a, m.contacto_b)
        fecha_inicio, fecha_cierre = self.fechas_del_caso()
        return {
            "asunto": self.uno(
                asuntos, st.sampled_from(["", "   ", "x" * 201, "y" * 250]) | trampa
            ),
            "prioridad": self.uno(st.sampled_from(Prioridad.values)),
            "cliente": cliente,
            "coordinador": self.pk(m.ana, m.beto, malos=[m.ejecutor_inactivo]),
            "fecha_inicio": fecha_inicio,
            "fecha_cierre": fecha_cierre,
            "etapa": self.uno(st.sampled_from(Etapa.values)),
            "avance": self.uno(
                st.integers(0, 100).map(str),
                st.integers(-5, -1).map(str) | st.integers(101, 150).map(str) | trampa,
            ),
            "articulo": self.pk(m.articulo, malos=[m.articulo_inactivo]),
            "clase": self.pk(m.clase),
            "interno": self.draw(st.booleans()),
            "grupo": self.pk(m.grupo),
            "contacto": contacto,
            "ejecutor": self.pk(m.ana, m.beto, malos=[m.ejecutor_inactivo]),
            "departamento": self.pk(m.departamento),
            "origen": self.uno(st.sampled_from(Origen.values)),
            "comentario": self.uno(st.just("") | st.just(MARCA_HTML) | st.text(max_size=40)),
            "estimado": self.uno(
                st.sampled_from(["0", "1.5", "2,25", "999999.75"]),
                st.sampled_from(["-1", "1e400", "0.001", "99999999999"]) | trampa,
            ),
            "complejidad": self.uno(st.sampled_from(Complejidad.values)),
            "nivel": self.uno(
                st.integers(-100, 100).map(str),
                st.integers(-(10**30), 10**30).map(str) | trampa,
            ),
            "facturable": self.draw(st.booleans()),
            "revisor": self.pk(m.ana, m.beto, malos=[m.ejecutor_inactivo]),
            "comentario_solucion": self.uno(st.just("") | st.text(max_size=40)),
        }

    def fila_nueva(self) -> dict:
        m = self.m
        if self.limpio:
            fecha = self.draw(fechas(*self.ventana))
            inicio, fin = sorted(
                self.draw(st.lists(st.sampled_from(HORAS), min_size=2, max_size=2, unique=True))
            )
            descripcion = self.draw(st.just(MARCA_HTML) | texto_escrito)
        else:
            fecha = self.uno(fechas(datetime.date(2026, 2, 25), ULTIMO_DIA), FECHAS_MALAS)
            inicio = self.uno(st.sampled_from(HORAS), HORAS_MALAS)
            fin = self.uno(st.sampled_from(HORAS), HORAS_MALAS)
            descripcion = self.uno(st.just(MARCA_HTML) | st.text(max_size=40))
        return {
            "fecha": fecha,
            "hora_inicio": inicio,
            "hora_fin": fin,
            "descripcion": descripcion,
            "ejecutor": self.pk(m.ana, m.beto, malos=[m.ejecutor_inactivo]),
            "facturable": self.draw(st.booleans()),
            "articulo": self.pk(m.articulo, malos=[m.articulo_inactivo]),
            "DELETE": self.draw(st.sampled_from([False, False, False, True])),
        }

    def fila_guardada(self, actividad) -> dict:
        """A stored row sent back: unchanged, edited or marked DELETE."""
        fila = fila_de(actividad)
        if self.draw(st.booleans(), label="editar la fila guardada"):
            cambios = self.fila_nueva()
            campos = self.draw(st.sets(st.sampled_from(sorted(cambios)), max_size=4))
            fila.update({campo: cambios[campo] for campo in campos})
        return fila

    def ids_falsos(self, datos: dict, guardadas: int):
        """Sometimes a stored row's hidden id forged: another case's row, junk, nothing."""
        ajena = Actividad.objects.filter(caso=self.m.otro_caso).values_list("pk", flat=True)[0]
        for i in range(guardadas):
            falso = self.uno(st.none(), st.sampled_from([ajena, "", "abc", "9" * 25, "²"]))
            if falso is not None:
                datos[f"actividades-{i}-id"] = str(falso)

    def version(self, datos: dict, caso: Caso):
        """The page's version: current when clean; else often stale, missing or junk."""
        if self.limpio:
            return
        version = self.draw(
            st.sampled_from([str(caso.version - 1), str(caso.version + 1), str(caso.version)])
            | st.sampled_from(["", None])
            | trampa,
            label="version",
        )
        if version is None:
            del datos["version"]
        else:
            datos["version"] = version
        if self.draw(st.integers(0, 9)) == 0:
            datos["_sobrescribir"] = self.draw(st.just(str(caso.version)) | trampa)

    def lupas(self, datos: dict):
        """Sometimes the no-JavaScript lupa text boxes (<campo>_buscar) instead of the select."""
        for campo in ("cliente", "contacto"):
            if not self.limpio and self.draw(st.integers(0, 3)) == 0:
                datos[campo] = ""
                datos[f"{campo}_buscar"] = self.draw(
                    st.sampled_from(["CA", "cb", "Ñandú", "nandu", "Alicia", "Bruno", "zzz"])
                    | trampa
                )

    def gestion(self, datos: dict):
        """Sometimes a tampered management form (kept below 2,000 rows: see the report)."""
        if self.limpio or self.draw(st.integers(0, 4)) > 0:
            return
        total = int(datos["actividades-TOTAL_FORMS"])
        clave = self.draw(
            st.sampled_from(["TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"])
        )
        valor = self.draw(
            st.sampled_from([str(total + 1), str(total + 3), str(max(total - 1, 0)), "-1", "50"])
            | trampa
            | st.none()
        )
        if valor is None:
            datos.pop(f"actividades-{clave}", None)
        else:
            datos[f"actividades-{clave}"] = valor


def conteos() -> dict:
    """Everything a refused save must leave as it was."""
    return {
        "casos": Caso.objects.count(),
        "actividades": Actividad.objects.count(),
        "historial de casos": Caso.history.count(),
        "historial de actividades": Actividad.history.count(),
        "documentos usados": Secuencia.objects.get(nombre="caso").valor,
    }


def guardado(caso_pk: int) -> tuple:
    """A stored case and its rows, every column."""
    return (
        Caso.objects.filter(pk=caso_pk).values().first(),
        list(Actividad.objects.filter(caso_id=caso_pk).order_by("pk").values()),
    )


def cumple_las_reglas(caso: Caso, enviado: dict):
    """Every rule of SPEC.md that a stored case and its rows must obey."""
    assert 0 <= caso.avance <= 100
    assert caso.asunto and caso.asunto == caso.asunto.strip() and len(caso.asunto) <= 200
    assert caso.asunto == enviado["asunto"].strip()
    assert caso.fecha_cierre is None or caso.fecha_cierre >= caso.fecha_inicio
    assert caso.contacto is None or caso.contacto.cliente_id == caso.cliente_id
    assert caso.estimado >= 0
    por_ejecutor_y_dia = defaultdict(list)
    for fila in caso.actividades.all():
        assert fila.fecha >= caso.fecha_inicio, fila
        assert caso.fecha_cierre is None or fila.fecha <= caso.fecha_cierre, fila
        assert fila.hora_fin > fila.hora_inicio, fila
        assert fila.descripcion.strip(), fila
        por_ejecutor_y_dia[(fila.ejecutor_id, fila.fecha)].append(fila)
    for filas in por_ejecutor_y_dia.values():
        filas.sort(key=lambda f: f.hora_inicio)
        for anterior, siguiente in zip(filas, filas[1:], strict=False):
            assert siguiente.hora_inicio >= anterior.hora_fin, (anterior, siguiente)


def comprobar_envio(http: Client, url: str, datos: dict, caso_pk: int | None, otro_caso_pk: int):
    """POST ``datos`` and check the answer and what it left in the database."""
    antes = conteos()
    antes_caso = guardado(caso_pk) if caso_pk else None
    antes_otro = guardado(otro_caso_pk)

    respuesta = http.post(url, datos)

    assert respuesta.status_code in (200, 302, 400, 409), respuesta.status_code
    assert MARCA_HTML.encode() not in respuesta.content, "HTML typed by the user rendered as HTML"
    assert guardado(otro_caso_pk) == antes_otro, "another case changed"
    if respuesta.status_code != 302:
        assert conteos() == antes
        if caso_pk:
            assert guardado(caso_pk) == antes_caso
        return "rechazado"
    pk = resolve(respuesta["Location"]).kwargs["pk"]
    assert caso_pk is None or pk == caso_pk
    caso = Caso.objects.select_related("contacto").get(pk=pk)
    cumple_las_reglas(caso, datos)
    assert conteos()["historial de casos"] > antes["historial de casos"]
    return f"guardado con {min(caso.actividades.count(), 2)}+ actividades"


def en_savepoint(funcion):
    """Run ``funcion`` in a savepoint that is always rolled back: each example starts clean."""
    with transaction.atomic():
        try:
            return funcion()
        finally:
            transaction.set_rollback(True)


@ajustes(120)
@given(data=st.data())
def test_the_new_case_editor_never_fails_and_never_saves_a_broken_case(data, http, mundo, ejemplos):
    envio = Envio(data, mundo, edicion=False)
    caso = envio.caso()
    filas = [envio.fila_nueva() for _ in range(data.draw(st.integers(0, 5), label="filas"))]
    datos = datos_post(caso, filas)
    envio.lupas(datos)
    envio.gestion(datos)

    resultado = en_savepoint(
        lambda: comprobar_envio(http, "/casos/nuevo/", datos, None, mundo.otro_caso.pk)
    )

    ejemplos[f"editor nuevo, {'limpio' if envio.limpio else 'sucio'}, {resultado}"] += 1


@ajustes(120)
@given(data=st.data())
def test_the_case_editor_never_fails_and_never_saves_a_broken_case(data, http, mundo, ejemplos):
    caso = mundo.caso
    envio = Envio(data, mundo, edicion=True)
    campos = envio.caso()
    enviadas = list(caso.actividades.order_by("pk"))
    if not envio.limpio:
        # A page sends every stored row; a forged POST may leave some out.
        enviadas = enviadas[: data.draw(st.integers(0, 2), label="filas guardadas")]
    filas = [envio.fila_guardada(a) for a in enviadas]
    filas += [envio.fila_nueva() for _ in range(data.draw(st.integers(0, 3), label="nuevas"))]
    datos = datos_post(datos_de(caso, **campos), filas)
    envio.ids_falsos(datos, len(enviadas))
    envio.version(datos, caso)
    envio.lupas(datos)
    envio.gestion(datos)

    resultado = en_savepoint(
        lambda: comprobar_envio(
            http, f"/casos/{caso.pk}/editar/", datos, caso.pk, mundo.otro_caso.pk
        )
    )

    ejemplos[f"editor edición, {'limpio' if envio.limpio else 'sucio'}, {resultado}"] += 1


# --- b) query parameters -------------------------------------------------------------------

PARAMETROS_LISTA = [
    "q",
    "prioridad",
    "etapa",
    "cliente",
    "cliente_buscar",
    "coordinador",
    "ejecutor",
    "grupo",
    "departamento",
    "articulo",
    "clase",
    "origen",
    "complejidad",
    "fecha_inicio_after",
    "fecha_inicio_before",
    "fecha_cierre_after",
    "fecha_cierre_before",
    "interno",
    "facturable",
    "orden",
    "page",
    "por_pagina",
    "abiertos",
]
PARAMETROS_PROXIMOS = [
    "agrupar",
    "limite",
    "ejecutor",
    "estatus_ejecutor",
    "cliente",
    "cliente_buscar",
    "estatus_cliente",
]
TABLAS_LUPA = ["clientes", "contactos", "ejecutores", "articulos"]
ORDENES = ["numero", "prioridad", "fecha_inicio", "cliente", "ejecutor", "etapa", "avance"]
ORDENES += ["nivel", "dias"]


def valor_de_parametro(validos: list):
    """A URL value: a real one, junk text, a number of any size, or (twice as often) a trap."""
    return st.one_of(
        st.sampled_from(validos or [""]),
        st.text(max_size=30),
        st.integers(-(10**30), 10**30).map(str),
        trampa,
        trampa,
    )


@pytest.fixture
def casos_de_la_lista(mundo):
    """A few more cases, so that filters and sorts run over real rows."""
    for etapa, prioridad in [("retrasada", "alta"), ("completada", "baja"), ("", "media")]:
        CasoFactory(
            cliente=mundo.cliente_b,
            ejecutor=mundo.beto,
            etapa=etapa,
            prioridad=prioridad,
            fecha_cierre=datetime.date(2026, 4, 1),
            grupo=mundo.grupo,
        )
    return mundo


def parametros(data, nombres: list[str], validos: dict) -> dict:
    """Random keys of ``nombres``, each with one value or two (?etapa=a&etapa=b)."""
    claves = data.draw(st.lists(st.sampled_from(nombres), max_size=6, unique=True))
    return {
        clave: data.draw(
            st.lists(valor_de_parametro(validos.get(clave, [])), min_size=1, max_size=2)
        )
        for clave in claves
    }


def validos_de_lista(m: Mundo) -> dict:
    return {
        "q": ["Caso", "ñandu", "1", "prueba 1"],
        "prioridad": Prioridad.values,
        "etapa": [*Etapa.values[1:], "blanco"],
        "origen": [*Origen.values[1:], "blanco"],
        "complejidad": [*Complejidad.values[1:], "blanco"],
        "cliente": [str(m.cliente_a.pk), str(m.cliente_b.pk)],
        "cliente_buscar": ["CA", "Ñandú", "beta"],
        "coordinador": [str(m.ana.pk)],
        "ejecutor": [str(m.ana.pk), str(m.beto.pk)],
        "grupo": [str(m.grupo.pk)],
        "departamento": [str(m.departamento.pk)],
        "articulo": [str(m.articulo.pk)],
        "clase": [str(m.clase.pk)],
        "fecha_inicio_after": ["2026-03-01", "01/03/2026"],
        "fecha_inicio_before": ["2026-03-31", "2025-01-01"],
        "fecha_cierre_after": ["2026-03-01"],
        "fecha_cierre_before": ["31/03/2026"],
        "interno": ["true", "false"],
        "facturable": ["true", "false"],
        "orden": ORDENES + [f"-{o}" for o in ORDENES],
        "page": ["1", "2", "0", "-1"],
        "por_pagina": ["10", "200", "5", "1000"],
        "abiertos": ["on", "true", "1"],
    }


@ajustes(100)
@given(data=st.data())
def test_the_list_answers_200_to_any_query(data, http, casos_de_la_lista, ejemplos):
    consulta = parametros(data, PARAMETROS_LISTA, validos_de_lista(casos_de_la_lista))

    respuesta = http.get("/casos/", consulta)

    assert respuesta.status_code == 200
    ejemplos["lista"] += 1


@ajustes(60)
@given(data=st.data())
def test_the_export_answers_200_or_400_to_any_query(data, http, casos_de_la_lista, ejemplos):
    consulta = parametros(data, PARAMETROS_LISTA, validos_de_lista(casos_de_la_lista))
    consulta["formato"] = "csv"

    respuesta = http.get("/casos/exportar/", consulta)

    assert respuesta.status_code in (200, 400)
    if respuesta.status_code == 200:
        # A streamed body fails while it is being sent, after the 200: read it all.
        contenido = b"".join(respuesta.streaming_content)
        assert contenido.startswith("\ufeff".encode())
    ejemplos[f"exportar, {respuesta.status_code}"] += 1


@ajustes(60)
@given(data=st.data())
def test_proximos_answers_200_to_any_query(data, http, casos_de_la_lista, ejemplos):
    m = casos_de_la_lista
    validos = {
        "agrupar": ["ejecutor", "cliente"],
        "limite": ["1", "5", "100", "0", "101"],
        "ejecutor": [str(m.ana.pk), str(m.beto.pk)],
        "estatus_ejecutor": Estatus.values,
        "cliente": [str(m.cliente_a.pk)],
        "cliente_buscar": ["CA", "beta"],
        "estatus_cliente": Estatus.values,
    }
    consulta = parametros(data, PARAMETROS_PROXIMOS, validos)

    respuesta = http.get("/casos/proximos/", consulta)

    assert respuesta.status_code == 200
    ejemplos["próximos"] += 1


@ajustes(60)
@given(data=st.data())
def test_the_lupa_answers_200_to_any_search(data, http, casos_de_la_lista, ejemplos):
    # Mostly a real table; sometimes a slug that names none (404).
    tabla = data.draw(
        st.sampled_from(TABLAS_LUPA * 3 + ["no-existe", "Clientes", "clientes_", "0"]),
        label="tabla",
    )
    consulta = parametros(
        data,
        ["q", "cliente", "inactivos", "formato"],
        {
            "q": ["CA", "ñandu", "Ana", "a"],
            "cliente": [str(casos_de_la_lista.cliente_a.pk)],
            "inactivos": ["1", "true", "on"],
            "formato": ["json"],
        },
    )

    respuesta = http.get(f"/buscar/{tabla}/", consulta)

    conocida = tabla in TABLAS_LUPA
    assert respuesta.status_code == (200 if conocida else 404)
    ejemplos[f"lupa, {respuesta.status_code}"] += 1


# --- every trap in every field at once (deterministic, complements the random search) -------


def test_a_trap_in_every_query_parameter_at_once_is_no_500(http, casos_de_la_lista):
    fallos = []
    for valor in TRAMPAS:
        lista = dict.fromkeys(PARAMETROS_LISTA, valor)
        lupa = {"q": valor, "cliente": valor, "inactivos": valor, "formato": valor}
        pedidos = [
            ("/casos/", lista, 200),
            ("/casos/exportar/", {**lista, "formato": "csv"}, 200),
            ("/casos/exportar/", {**lista, "formato": valor}, 400),
            ("/casos/proximos/", dict.fromkeys(PARAMETROS_PROXIMOS, valor), 200),
            *((f"/buscar/{tabla}/", lupa, 200) for tabla in TABLAS_LUPA),
        ]
        for url, consulta, esperado in pedidos:
            respuesta = http.get(url, consulta)
            if respuesta.streaming:
                b"".join(respuesta.streaming_content)
            if respuesta.status_code != esperado:
                fallos.append((valor, url, respuesta.status_code))

    assert fallos == []


def test_a_trap_in_every_editor_field_at_once_is_no_500(http, mundo):
    caso = mundo.caso
    fallos = []
    for valor in TRAMPAS:
        for version in (caso.version, caso.version - 1):  # current, then stale (409 page)
            campos = {c: valor for c in datos_de(caso) if c not in ("interno", "facturable")}
            guardada = fila_de(caso.actividades.first())
            fila = {c: valor for c in guardada if c not in ("id", "facturable")}
            datos = datos_post({**campos, "version": version}, [{**fila, "id": guardada["id"]}])
            datos.update(cliente_buscar=valor, contacto="", contacto_buscar=valor)
            destinos = [(f"/casos/{caso.pk}/editar/", caso.pk)]
            if version == caso.version:  # a new case has no version to be stale
                destinos.append(("/casos/nuevo/", None))
            for url, pk in destinos:
                try:
                    resultado = en_savepoint(
                        lambda: comprobar_envio(http, url, datos, pk, mundo.otro_caso.pk)  # noqa: B023
                    )
                except AssertionError as error:
                    resultado = str(error).splitlines()[0]
                if resultado != "rechazado":
                    fallos.append((valor, version, url, resultado))

    assert fallos == []


def test_a_post_that_leaves_out_a_stored_row_cannot_move_the_dates_past_it(http, mundo):
    """Found by the edit property: with INITIAL_FORMS=0 the stored rows escaped the rules."""
    caso = mundo.caso
    datos = datos_post(datos_de(caso, fecha_inicio="2026-03-10"), [])

    respuesta = http.post(f"/casos/{caso.pk}/editar/", datos)

    caso.refresh_from_db()
    assert respuesta.status_code == 200
    assert "llegaron alterados" in respuesta.content.decode()
    assert caso.fecha_inicio == INICIO


def test_three_rows_overlapping_in_a_chain_are_marked_not_a_500(http, mundo):
    """Found by the new-case property: marking the second row removed its hora_inicio, and
    the message for the third one read it (KeyError, a 500)."""
    ana = str(mundo.ana.pk)
    filas = [
        {"fecha": "2026-03-02", "hora_inicio": inicio, "hora_fin": fin}
        | {"descripcion": "Revisión", "ejecutor": ana}
        for inicio, fin in [("08:00", "08:30"), ("08:00", "09:00"), ("08:00", "09:00")]
    ]
    datos = datos_post(
        {"asunto": "Tres filas", "prioridad": "media", "cliente": mundo.cliente_a.pk}
        | {"fecha_inicio": "2026-03-01", "avance": "0", "estimado": "0", "nivel": "0"},
        filas,
    )

    respuesta = http.post("/casos/nuevo/", datos)

    contenido = respuesta.content.decode()
    assert respuesta.status_code == 200
    assert "Se solapa con otra actividad de Ana el 02/03/2026 (08:00–08:30)." in contenido
    assert "Se solapa con otra actividad de Ana el 02/03/2026 (08:00–09:00)." in contenido
