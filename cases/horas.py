"""Reporte de horas (``/casos/horas/``): activity hours in up to three nested groups, with
subtotals, a grand total and, optionally, a column per month, ISO week or day.

The numbers come from aggregate queries over the filtered activities (the panel of
:class:`~cases.reportes.ActividadFilter`): a bounded count of the groups (past ``MAX_GRUPOS``
the page asks to narrow the filters), one ``GROUP BY`` the chosen groups (the rows) and, with
``columnas``, the same grouped by period too. Minutes are summed in the database and turned
into hours (rounded to cents) only when shown, so a subtotal is the rounded sum, never a sum
of rounded values. Subtotals and the total are added up in Python from the rows, in one pass.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils.translation import gettext_lazy as _

from customers.models import Cliente
from efactory.horas import minutos_a_horas

from .exports import documento, si_no, sin_formula
from .models import (
    Actividad,
    Articulo,
    Clase,
    Departamento,
    Ejecutor,
    Grupo,
    frente_al_estimado,
)

MAX_GRUPOS = 2_000
MAX_COLUMNAS = 100
MAX_NIVELES = 3


@dataclass(frozen=True)
class Agrupacion:
    """One way of grouping activity rows: ``?agrupar=<clave>``."""

    clave: str
    etiqueta: str  # the page's column header (translated)
    encabezado: str  # the CSV header (fixed Spanish, SPEC "Reports")
    campo: str  # what the rows are grouped by (a key)
    nombre: str | None  # what is shown (None: the key itself, Sí/No)
    vacio: str = ""  # shown for rows without one
    modelo: type | None = None  # the table whose nombre names the key


AGRUPACIONES = {
    a.clave: a
    for a in (
        Agrupacion(
            "ejecutor", _("Ejecutor"), "Ejecutor", "ejecutor_id", "ejecutor__nombre", "", Ejecutor
        ),
        Agrupacion(
            "cliente",
            _("Cliente"),
            "Cliente",
            "cliente_id",  # the case's, copied onto the activity (no join with the cases)
            "cliente__nombre",
            "",
            Cliente,
        ),
        Agrupacion("caso", _("Documento"), "Documento", "caso_id", "caso__numero"),
        Agrupacion(
            "articulo",
            _("Artículo"),
            "Artículo",
            "articulo_id",
            "articulo__nombre",
            _("Sin artículo"),
            Articulo,
        ),
        Agrupacion(
            "clase",
            _("Clase"),
            "Clase",
            "caso__clase_id",
            "caso__clase__nombre",
            _("Sin clase"),
            Clase,
        ),
        Agrupacion(
            "grupo",
            _("Grupo"),
            "Grupo",
            "caso__grupo_id",
            "caso__grupo__nombre",
            _("Sin grupo"),
            Grupo,
        ),
        Agrupacion(
            "departamento",
            _("Depto."),
            "Depto.",
            "caso__departamento_id",
            "caso__departamento__nombre",
            _("Sin departamento"),
            Departamento,
        ),
        Agrupacion("facturable", _("Fact."), "Fact.", "facturable", None),
    )
}


@dataclass(frozen=True)
class Periodo:
    """``?columnas=<clave>``: how dates are cut into columns, and each column's label."""

    clave: str
    truncar: type
    etiqueta_de: object  # date → "aaaa-mm", "aaaa-Www" or "aaaa-mm-dd"
    inicio_de: object  # date → the first day of its period
    siguiente: object  # first day of a period → first day of the next


def _mes_siguiente(dia: datetime.date) -> datetime.date:
    return (dia.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _semana_iso(dia: datetime.date) -> str:
    anio, semana, _dia = dia.isocalendar()
    return f"{anio}-W{semana:02d}"


PERIODOS = {
    p.clave: p
    for p in (
        Periodo(
            "mes",
            TruncMonth,
            lambda d: f"{d:%Y-%m}",
            lambda d: d.replace(day=1),
            _mes_siguiente,
        ),
        Periodo(
            "semana",
            TruncWeek,
            _semana_iso,
            lambda d: d - datetime.timedelta(days=d.weekday()),
            lambda d: d + datetime.timedelta(days=7),
        ),
        Periodo(
            "dia",
            TruncDay,
            lambda d: f"{d:%Y-%m-%d}",
            lambda d: d,
            lambda d: d + datetime.timedelta(days=1),
        ),
    )
}


def periodos_entre(periodo: Periodo, desde: datetime.date, hasta: datetime.date, limite: int):
    """The first day of each period from ``desde`` to ``hasta``; None past ``limite``."""
    dias, dia = [], periodo.inicio_de(desde)
    while dia <= hasta:
        dias.append(dia)
        if len(dias) > limite:
            return None
        dia = periodo.siguiente(dia)
    return dias


@dataclass
class Sumas:
    minutos: int = 0
    facturables: int = 0
    por_periodo: dict = field(default_factory=dict)

    def sumar(self, otra: "Sumas"):
        self.minutos += otra.minutos
        self.facturables += otra.facturables
        for clave, (m, f) in otra.por_periodo.items():
            antes = self.por_periodo.get(clave, (0, 0))
            self.por_periodo[clave] = (antes[0] + m, antes[1] + f)

    @property
    def horas(self):
        return minutos_a_horas(self.minutos)

    @property
    def horas_facturables(self):
        return minutos_a_horas(self.facturables)

    @property
    def horas_no_facturables(self):
        return minutos_a_horas(self.minutos - self.facturables)


@dataclass
class Fila:
    """A row of the report: an innermost group (``nivel`` = depth), a subtotal of the group
    at ``nivel`` (``subtotal``), or the grand total (``nivel`` 0, ``total``)."""

    nombres: list  # one per level; "" where the row above already says it
    claves: list
    sumas: Sumas
    nivel: int
    subtotal: bool = False
    total: bool = False
    caso: dict | None = None  # grouped by caso: documento, asunto, estimado comparison

    def horas_por_periodo(self, columnas):
        return [minutos_a_horas(self.sumas.por_periodo.get(c, (0, 0))[0]) for c in columnas]


class Reporte:
    """The report for a filtered activity queryset, ``agrupar`` keys and a ``columnas`` key."""

    def __init__(self, actividades, agrupar: list[str], columnas: str | None, rango):
        self.actividades = actividades.order_by()
        self.grupos = [AGRUPACIONES[clave] for clave in agrupar]
        self.periodo = PERIODOS.get(columnas or "")
        self.rango = rango
        self.demasiados_grupos = False
        self.demasiadas_columnas = False
        self.columnas: list[datetime.date] = []
        self.filas: list[Fila] = []

    @property
    def por_caso(self) -> bool:
        return any(g.clave == "caso" for g in self.grupos)

    def _valores(self):
        """What the rows are grouped by: the keys only (names are read apart, see
        :meth:`_nombrar`); grouped by caso, also its numero, asunto and estimado."""
        campos = [g.campo for g in self.grupos]
        if self.por_caso:
            campos += ["caso__numero", "caso__asunto", "caso__estimado"]
        return campos

    def _sumas(self):
        return {
            "suma_minutos": Sum("minutos"),
            "suma_facturables": Sum("minutos", filter=Q(facturable=True)),
        }

    def calcular(self) -> "Reporte":
        # Grouped by keys only and unordered, so PostgreSQL hashes the range's rows: sorting
        # 175,000 rows by name (with the Spanish collation) before grouping took 270 ms for
        # a month at 3,000,000 activities, and any LIMIT made it walk the cases in client
        # order through nested loops (1.2–1.5 s). Past MAX_GRUPOS the page asks to narrow.
        campos, sumas = self._valores(), list(self._sumas())
        tuplas = list(
            self.actividades.values(*campos)
            .annotate(**self._sumas())
            .order_by()
            .values_list(*campos, *sumas)  # tuples: 166,000 groups are read only to count
        )
        if len(tuplas) > MAX_GRUPOS:
            self.demasiados_grupos = True
            return self
        filas = [dict(zip([*campos, *sumas], t, strict=True)) for t in tuplas]
        self._nombrar(filas)
        por_periodo = {}
        if self.periodo is not None and filas:
            if not self._preparar_columnas():
                return self
            por_periodo = self._por_periodo()
        horas_de_casos = self._horas_de_casos(filas) if self.por_caso else {}
        self.filas = self._anidar(filas, por_periodo, horas_de_casos)
        return self

    def _nombrar(self, filas):
        """Give each row its groups' names and sort the rows by them, level by level.

        One query per named level, over the (at most MAX_GRUPOS) keys present, ordered by
        the database (the Spanish collation); rows without one go last.
        """
        rangos = []
        for g in self.grupos:
            if g.clave == "facturable":
                rangos.append({False: 0, True: 1})
                continue
            if g.clave == "caso":
                rangos.append({f["caso_id"]: f["caso__numero"] for f in filas})
                continue
            claves = {f[g.campo] for f in filas} - {None}
            nombres = list(
                g.modelo.objects.filter(pk__in=claves)
                .order_by("nombre", "pk")
                .values_list("pk", "nombre")
            )
            por_clave = dict(nombres)
            for f in filas:
                f[g.nombre] = por_clave.get(f[g.campo])
            rangos.append({pk: i for i, (pk, _n) in enumerate(nombres)})
        ultimo = float("inf")

        def orden(fila):
            return tuple(
                (rango.get(fila[g.campo], ultimo), str(fila[g.campo]))
                for g, rango in zip(self.grupos, rangos, strict=True)
            )

        filas.sort(key=orden)

    def _preparar_columnas(self) -> bool:
        desde, hasta = self.rango
        if desde is None or hasta is None:
            extremos = self.actividades.values_list("fecha", flat=True)
            desde = desde or extremos.order_by("fecha").first()
            hasta = hasta or extremos.order_by("-fecha").first()
        columnas = periodos_entre(self.periodo, desde, hasta, MAX_COLUMNAS)
        if columnas is None:
            self.demasiadas_columnas = True
            return False
        self.columnas = columnas
        return True

    def _por_periodo(self) -> dict:
        """{group keys: {period start: (minutes, billable minutes)}} in one query."""
        claves = [g.campo for g in self.grupos]
        filas = (
            self.actividades.annotate(periodo=self.periodo.truncar("fecha"))
            .values(*claves, "periodo")
            .annotate(**self._sumas())
        )
        resultado = {}
        for f in filas:
            inicio = f["periodo"]
            if isinstance(inicio, datetime.datetime):
                inicio = inicio.date()
            resultado.setdefault(tuple(f[c] for c in claves), {})[inicio] = (
                f["suma_minutos"] or 0,
                f["suma_facturables"] or 0,
            )
        return resultado

    @staticmethod
    def _horas_de_casos(filas) -> dict:
        """Each listed case's hours over all its activities (to compare with its Estimado)."""
        ids = {f["caso_id"] for f in filas}
        return dict(
            Actividad.objects.filter(caso__in=ids)
            .values("caso")
            .annotate(m=Sum("minutos"))
            .values_list("caso", "m")
        )

    def nombre(self, grupo: Agrupacion, valores: dict) -> str:
        if grupo.clave == "facturable":
            return si_no(valores["facturable"])
        if grupo.clave == "caso":
            return documento(valores["caso__numero"])
        valor = valores[grupo.nombre]
        return valor if valor is not None else str(grupo.vacio)

    def _anidar(self, filas, por_periodo, horas_de_casos) -> list[Fila]:
        niveles = len(self.grupos)
        resultado, total = [], Sumas()
        abiertos: list[tuple] = []  # (key, name, Sumas) of each open outer level
        for valores in filas:
            claves = [valores[g.campo] for g in self.grupos]
            nombres = [self.nombre(g, valores) for g in self.grupos]
            sumas = Sumas(
                valores["suma_minutos"] or 0,
                valores["suma_facturables"] or 0,
                por_periodo.get(tuple(claves), {}),
            )
            # Close the outer groups that change at this row (innermost first).
            comun = 0
            while comun < len(abiertos) and abiertos[comun][0] == claves[comun]:
                comun += 1
            for nivel in range(len(abiertos) - 1, comun - 1, -1):
                resultado.append(self._subtotal(abiertos[nivel], nivel))
            del abiertos[comun:]
            mostrados = ["" if i < comun else nombre for i, nombre in enumerate(nombres)]
            while len(abiertos) < niveles - 1:
                i = len(abiertos)
                abiertos.append((claves[i], nombres[i], Sumas()))
            for _clave, _nombre, suyas in abiertos:
                suyas.sumar(sumas)
            total.sumar(sumas)
            fila = Fila(mostrados, claves, sumas, niveles)
            if self.por_caso:
                fila.caso = self._caso(valores, horas_de_casos)
            resultado.append(fila)
        for nivel in range(len(abiertos) - 1, -1, -1):
            resultado.append(self._subtotal(abiertos[nivel], nivel))
        resultado.append(Fila([], [], total, 0, total=True))
        return resultado

    def _subtotal(self, abierto, nivel) -> Fila:
        clave, nombre, sumas = abierto
        nombres = [""] * len(self.grupos)
        nombres[nivel] = nombre
        return Fila(nombres, [clave], sumas, nivel + 1, subtotal=True)

    @staticmethod
    def _caso(valores, horas_de_casos) -> dict:
        horas = minutos_a_horas(horas_de_casos.get(valores["caso_id"]))
        return {
            "pk": valores["caso_id"],
            "asunto": valores["caso__asunto"],
            "horas": horas,
            "estimado": frente_al_estimado(valores["caso__estimado"], horas),
        }

    # --- Downloads ---------------------------------------------------------------------

    def encabezado(self) -> list[str]:
        return [
            *[g.encabezado for g in self.grupos],
            *(["Periodo"] if self.periodo else []),
            "Horas",
            "Horas facturables",
            "Horas no facturables",
        ]

    def filas_csv(self):
        """One row per innermost group (and per period with hours, with ``columnas``)."""
        completos: list[str] = []
        for fila in self.filas:
            if fila.subtotal or fila.total:
                continue
            completos = [n or completos[i] for i, n in enumerate(fila.nombres)]
            nombres = [sin_formula(n) for n in completos]
            if self.periodo is None:
                yield [*nombres, *self._horas(fila.sumas.minutos, fila.sumas.facturables)]
                continue
            for inicio in self.columnas:
                minutos, facturables = fila.sumas.por_periodo.get(inicio, (0, 0))
                if minutos:
                    etiqueta = self.periodo.etiqueta_de(inicio)
                    yield [*nombres, etiqueta, *self._horas(minutos, facturables)]

    @staticmethod
    def _horas(minutos, facturables):
        return [
            minutos_a_horas(minutos),
            minutos_a_horas(facturables),
            minutos_a_horas(minutos - facturables),
        ]

    def etiquetas_de_columnas(self) -> list[str]:
        return [self.periodo.etiqueta_de(c) for c in self.columnas] if self.periodo else []
