"""Gráfico Ejecutivo de Soporte (``/casos/graficos/``): the numbers of its six charts.

Each chart is a :class:`Grafico`: an id (``?grafico=<id>&formato=csv``), a title, a text
description, the header and rows of its data table (also its CSV) and the SVG drawn by
:mod:`efactory.svg`. The numbers come from a few aggregate queries per chart over the cases
the list's filters leave (``casos``), counted in the database; the tests compare each with a
direct count over the rows.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import Trunc
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from efactory import svg
from efactory.horas import minutos_a_horas

from .horas import PERIODOS, periodos_entre
from .models import Actividad, DiasEntre, Ejecutor, Etapa, Prioridad

TOP_EJECUTORES = 20
TOP_CLIENTES = 15
MAX_PERIODOS = 100
# Age of the open cases, in days since fecha_inicio: (label, from, to; None: no end)
EDADES = [
    ("0–7", 0, 7),
    ("8–15", 8, 15),
    ("16–30", 16, 30),
    ("31–60", 31, 60),
    ("61–90", 61, 90),
    ("> 90", 91, None),
]


@dataclass
class Grafico:
    ident: str
    titulo: str
    descripcion: str
    encabezado: list
    filas: list
    dibujo: object = ""
    tiles: list | None = None  # the ``totales`` chart is tiles, not an SVG


def url_lista(base: dict, **parametros) -> str:
    """The case list with the page's filters plus ``parametros`` (None removes one)."""
    datos = {**base, **parametros}
    datos = {k: v for k, v in datos.items() if v not in (None, "")}
    return reverse("cases:caso_list") + ("?" + urlencode(datos, doseq=True) if datos else "")


def fin_del_periodo(periodo, inicio: datetime.date) -> datetime.date:
    return periodo.siguiente(inicio) - datetime.timedelta(days=1)


def dia_local(momento) -> datetime.date | None:
    if momento is None:
        return None
    if isinstance(momento, datetime.datetime):
        return timezone.localtime(momento).date() if timezone.is_aware(momento) else momento.date()
    return momento


def inicio_del_dia(dia: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(dia, datetime.time.min))


class Graficos:
    """The six charts of one request: ``casos`` (filtered), the range and the period."""

    def __init__(self, casos, desde, hasta, periodo: str, filtros: dict):
        self.casos = casos.order_by()
        self.desde, self.hasta = desde, hasta
        self.periodo = PERIODOS[periodo]
        self.filtros = filtros  # the list's parameters of this page, for the links
        self.hoy = timezone.localdate()
        self.periodos = periodos_entre(self.periodo, desde, hasta, MAX_PERIODOS)

    @cached_property
    def por_ejecutor(self) -> dict:
        """Every count the five case charts show, per ejecutor, in one scan of the cases.

        ``SELECT ejecutor_id, COUNT(*) FILTER (WHERE …) …  GROUP BY ejecutor_id``: one row
        per ejecutor (and one for the cases without one) with a filtered count for each
        period's new and completed cases, the tiles of both ranges, the open cases by etapa
        and by age and prioridad. The charts add the rows up as they need (the global
        numbers are the sum of the ejecutores'). Counting a million cases once costs what
        one chart's query cost; nine queries took nine times that.
        """
        resultado: dict = {}
        filas = (
            self.casos.values("ejecutor_id", "etapa", "prioridad")
            .annotate(total=Count("pk"), **self._conteos())
            .order_by()
        )
        for fila in filas:
            suyo = resultado.setdefault(fila.pop("ejecutor_id"), {})
            etapa, prioridad, total = fila.pop("etapa"), fila.pop("prioridad"), fila.pop("total")
            for clave, valor in fila.items():
                if not clave.startswith("edad"):
                    suyo[clave] = suyo.get(clave, 0) + (valor or 0)
            if etapa == Etapa.COMPLETADA:
                continue
            # Open cases: by etapa, and by age and prioridad.
            suyo[f"etapa_{etapa}"] = suyo.get(f"etapa_{etapa}", 0) + total
            for i in range(len(EDADES)):
                clave = f"e{i}_{prioridad}"
                suyo[clave] = suyo.get(clave, 0) + fila[f"edad{i}"]
        return resultado

    def _conteos(self) -> dict:
        conteos = {}
        if not self.demasiados_periodos:
            for i, p in enumerate(self.periodos):
                desde_p, hasta_p = (
                    max(p, self.desde),
                    min(fin_del_periodo(self.periodo, p), self.hasta),
                )
                conteos[f"n{i}"] = Count("pk", filter=Q(fecha_inicio__range=(desde_p, hasta_p)))
                conteos[f"c{i}"] = Count("pk", filter=self._completado_entre(desde_p, hasta_p))
            conteos["antes_n"] = Count("pk", filter=Q(fecha_inicio__lt=self.desde))
            conteos["antes_c"] = Count(
                "pk",
                filter=Q(fecha_inicio__lt=self.desde, completado_en__lt=inicio_del_dia(self.desde)),
            )
        for prefijo, (desde, hasta, corte) in self._rangos().items():
            conteos.update(self._indicadores(prefijo, desde, hasta, corte))
        # Grouped by etapa and prioridad too (see por_ejecutor): the open cases by etapa are
        # the groups' sizes, their ages need one count per age band.
        for i, (_e, desde, hasta) in enumerate(EDADES):
            # age in [desde, hasta] ⇔ fecha_inicio in [hoy − hasta, hoy − desde]
            q = Q(fecha_inicio__lte=self.hoy - datetime.timedelta(days=desde))
            if hasta is not None:
                q &= Q(fecha_inicio__gte=self.hoy - datetime.timedelta(days=hasta))
            conteos[f"edad{i}"] = Count("pk", filter=q)
        return conteos

    @staticmethod
    def _completado_entre(desde, hasta) -> Q:
        return Q(
            completado_en__gte=inicio_del_dia(desde),
            completado_en__lt=inicio_del_dia(hasta + datetime.timedelta(days=1)),
        )

    def _rangos(self) -> dict:
        """The range and the previous one of the same length, each with the day whose open
        cases the tiles count."""
        largo = self.hasta - self.desde
        antes_hasta = self.desde - datetime.timedelta(days=1)
        return {
            "ahora": (self.desde, self.hasta, min(self.hoy, self.hasta)),
            "antes": (antes_hasta - largo, antes_hasta, antes_hasta),
        }

    def suma(self, clave: str, filas=None) -> int:
        return sum((fila.get(clave) or 0) for fila in (filas or self.por_ejecutor.values()))

    @property
    def demasiados_periodos(self) -> bool:
        return self.periodos is None

    def todos(self) -> list[Grafico]:
        graficos = [self.totales(), self.casos_por_ejecutor(), self.antiguedad()]
        if not self.demasiados_periodos:
            graficos.insert(1, self.casos_por_fecha())
        graficos.insert(3, self.totales_por_ejecutor())
        graficos.append(self.horas_por_cliente())
        return graficos

    def uno(self, ident: str) -> Grafico | None:
        metodo = getattr(self, ident, None) if ident in IDENTIFICADORES else None
        if metodo is None or (ident == "casos_por_fecha" and self.demasiados_periodos):
            return None
        return metodo()

    # --- casos_por_fecha --------------------------------------------------------------

    def casos_por_fecha(self) -> Grafico:
        # Open at the start of the range: begun before it, not completed before it.
        pendientes = self.suma("antes_n") - self.suma("antes_c")
        filas, barras, linea = [], [], []
        for i, p in enumerate(self.periodos):
            etiqueta = self.periodo.etiqueta_de(p)
            n, c = self.suma(f"n{i}"), self.suma(f"c{i}")
            pendientes += n - c
            filas.append([etiqueta, n, c, pendientes])
            fin_p = min(fin_del_periodo(self.periodo, p), self.hasta)
            desde_p = max(p, self.desde)
            rango = {"fecha_inicio_after": desde_p, "fecha_inicio_before": fin_p}
            hechos = {"completado_en_after": desde_p, "completado_en_before": fin_p}
            barras.append(
                svg.Barra(
                    etiqueta,
                    [n, c],
                    urls=[url_lista(self.filtros, **rango), url_lista(self.filtros, **hechos)],
                )
            )
            linea.append(pendientes)
        series = [svg.Serie(_("Nuevos"), "serie-1"), svg.Serie(_("Completados"), "serie-2")]
        titulo = _("Casos por fecha")
        descripcion = _(
            "Casos nuevos (por F/Inicio) y completados en cada periodo, y los pendientes "
            "(abiertos) al final de cada uno. Total: %(n)s nuevos, %(c)s completados."
        ) % {"n": sum(f[1] for f in filas), "c": sum(f[2] for f in filas)}
        return Grafico(
            "casos_por_fecha",
            titulo,
            descripcion,
            ["Periodo", "Nuevos", "Completados", "Pendientes"],
            filas,
            svg.barras_verticales(
                "g-casos_por_fecha",
                titulo,
                descripcion,
                series,
                barras,
                apiladas=False,
                linea=svg.Serie(_("Pendientes"), "serie-3"),
                valores_linea=linea,
            ),
        )

    # --- casos_por_ejecutor -----------------------------------------------------------

    def _nombres(self, ids) -> dict:
        return dict(
            Ejecutor.objects.filter(pk__in=[i for i in ids if i]).values_list("pk", "nombre")
        )

    def casos_por_ejecutor(self) -> Grafico:
        etapas = [(v, str(e)) for v, e in Etapa.choices if v != Etapa.COMPLETADA]
        por_ejecutor = {
            clave: {v: fila[f"etapa_{v}"] for v, _e in etapas if fila.get(f"etapa_{v}")}
            for clave, fila in self.por_ejecutor.items()
        }
        por_ejecutor = {clave: cuentas for clave, cuentas in por_ejecutor.items() if cuentas}
        con_ejecutor = sorted(
            (k for k in por_ejecutor if k is not None),
            key=lambda k: -sum(por_ejecutor[k].values()),
        )
        primeros, resto = con_ejecutor[:TOP_EJECUTORES], con_ejecutor[TOP_EJECUTORES:]
        nombres = self._nombres(primeros)
        grupos = [(nombres.get(k, "?"), por_ejecutor[k], k) for k in primeros]
        grupos.sort(key=lambda g: -sum(g[1].values()))
        if resto:
            otros: dict = {}
            for k in resto:
                for etapa, n in por_ejecutor[k].items():
                    otros[etapa] = otros.get(etapa, 0) + n
            otros_nombre = _("Otros (%(n)s ejecutores)") % {"n": len(resto)}
            grupos.append((otros_nombre, otros, None))
        if None in por_ejecutor:
            grupos.append((_("Sin ejecutor"), por_ejecutor[None], None))
        filas, barras = [], []
        for nombre, cuantos, pk in grupos:
            valores = [cuantos.get(v, 0) for v, _e in etapas]
            filas.append([nombre, *valores, sum(valores)])
            urls = (
                [
                    url_lista(self.filtros, ejecutor=pk, etapa=v or "blanco", abiertos="true")
                    for v, _e in etapas
                ]
                if pk
                else []
            )
            barras.append(svg.Barra(nombre, valores, urls=urls))
        series = [svg.Serie(e, f"serie-{i + 1}") for i, (_v, e) in enumerate(etapas)]
        titulo = _("Casos abiertos por ejecutor")
        descripcion = _(
            "Casos abiertos hoy de los %(n)s ejecutores con más casos, por etapa; el resto en "
            "«Otros». Total: %(t)s casos abiertos."
        ) % {"n": TOP_EJECUTORES, "t": sum(f[-1] for f in filas)}
        return Grafico(
            "casos_por_ejecutor",
            titulo,
            descripcion,
            ["Ejecutor", *[e for _v, e in etapas], "Total"],
            filas,
            svg.barras_horizontales(
                "g-casos_por_ejecutor",
                titulo,
                descripcion,
                series,
                barras,
                fuera={otros_nombre} if resto else set(),
            ),
        )

    # --- totales_por_ejecutor ---------------------------------------------------------

    def totales_por_ejecutor(self) -> Grafico:
        datos = sorted(
            (
                {"ejecutor_id": clave, "n": fila["ahora_nuevos"], "c": fila["ahora_completados"]}
                for clave, fila in self.por_ejecutor.items()
                if clave is not None and (fila["ahora_nuevos"] or fila["ahora_completados"])
            ),
            key=lambda f: -(f["n"] + f["c"]),
        )[:TOP_EJECUTORES]
        nombres = self._nombres(f["ejecutor_id"] for f in datos)
        filas, barras = [], []
        rango = {"fecha_inicio_after": self.desde, "fecha_inicio_before": self.hasta}
        hechos = {"completado_en_after": self.desde, "completado_en_before": self.hasta}
        for f in datos:
            nombre = nombres.get(f["ejecutor_id"], "?")
            filas.append([nombre, f["n"], f["c"]])
            urls = [
                url_lista(self.filtros, ejecutor=f["ejecutor_id"], **rango),
                url_lista(self.filtros, ejecutor=f["ejecutor_id"], **hechos),
            ]
            barras.append(svg.Barra(nombre, [f["n"], f["c"]], urls=urls))
        series = [svg.Serie(_("Nuevos"), "serie-1"), svg.Serie(_("Completados"), "serie-2")]
        titulo = _("Total de casos por ejecutor")
        descripcion = _(
            "Casos nuevos y completados en el rango, de los %(n)s ejecutores con más."
        ) % {"n": TOP_EJECUTORES}
        return Grafico(
            "totales_por_ejecutor",
            titulo,
            descripcion,
            ["Ejecutor", "Nuevos", "Completados"],
            filas,
            svg.barras_horizontales("g-totales_por_ejecutor", titulo, descripcion, series, barras),
        )

    # --- totales (tiles) --------------------------------------------------------------

    def _indicadores(self, prefijo, desde, hasta, corte) -> dict:
        """The tiles' counts for a range; ``corte`` is the day whose open cases count."""
        hecho = self._completado_entre(desde, hasta)
        fin_corte = inicio_del_dia(corte + datetime.timedelta(days=1))
        abierto = Q(fecha_inicio__lte=corte) & (
            (Q(completado_en__isnull=True) & ~Q(etapa=Etapa.COMPLETADA))
            | Q(completado_en__gte=fin_corte)
        )
        con_cierre = hecho & Q(fecha_cierre__isnull=False)
        return {
            f"{prefijo}_nuevos": Count("pk", filter=Q(fecha_inicio__range=(desde, hasta))),
            f"{prefijo}_completados": Count("pk", filter=hecho),
            # Completed on or before its F/Cierre (the local day of completado_en).
            f"{prefijo}_a_tiempo": Count(
                "pk", filter=con_cierre & Q(completado_en__date__lte=F("fecha_cierre"))
            ),
            f"{prefijo}_con_cierre": Count("pk", filter=con_cierre),
            f"{prefijo}_dias": Sum(
                DiasEntre(F("fecha_cierre"), F("fecha_inicio")), filter=con_cierre
            ),
            f"{prefijo}_abiertos": Count("pk", filter=abierto),
            f"{prefijo}_vencidos": Count("pk", filter=abierto & Q(fecha_cierre__lt=corte)),
        }

    def totales(self) -> Grafico:
        antes_desde, antes_hasta, _corte = self._rangos()["antes"]
        claves = ("nuevos", "completados", "a_tiempo", "con_cierre", "dias", "abiertos", "vencidos")
        ahora = {c: self.suma(f"ahora_{c}") for c in claves}
        antes = {c: self.suma(f"antes_{c}") for c in claves}

        def porcentaje(d):
            return round(100 * d["a_tiempo"] / d["con_cierre"], 1) if d["con_cierre"] else None

        def promedio(d):
            return round(d["dias"] / d["con_cierre"], 1) if d["con_cierre"] else None

        tiles = [
            ("nuevos", _("Nuevos"), ahora["nuevos"], antes["nuevos"]),
            ("completados", _("Completados"), ahora["completados"], antes["completados"]),
            ("abiertos", _("Abiertos hoy"), ahora["abiertos"], antes["abiertos"]),
            ("vencidos", _("Vencidos"), ahora["vencidos"], antes["vencidos"]),
            (
                "a_tiempo",
                _("% completados a tiempo (por su F/Cierre)"),
                porcentaje(ahora),
                porcentaje(antes),
            ),
            (
                "dias",
                _("Días en ejecución (promedio de los completados)"),
                promedio(ahora),
                promedio(antes),
            ),
        ]
        titulo = _("Total de casos ejecutados")
        descripcion = _(
            "Cada indicador del rango frente al rango anterior de igual duración (%(a)s – %(b)s)."
        ) % {
            "a": antes_desde.strftime("%d/%m/%Y"),
            "b": antes_hasta.strftime("%d/%m/%Y"),
        }
        filas = [[etiqueta, valor, previo] for _c, etiqueta, valor, previo in tiles]
        return Grafico(
            "totales",
            titulo,
            descripcion,
            ["Indicador", "Valor", "Rango anterior"],
            filas,
            tiles=tiles,
        )

    # --- antiguedad -------------------------------------------------------------------

    def antiguedad(self) -> Grafico:
        prioridades = list(Prioridad.choices)
        filas, barras = [], []
        for i, (etiqueta, desde, hasta) in enumerate(EDADES):
            valores = [self.suma(f"e{i}_{valor}") for valor, _p in prioridades]
            filas.append([etiqueta, *valores, sum(valores)])
            rango = {
                "fecha_inicio_before": self.hoy - datetime.timedelta(days=desde),
                "fecha_inicio_after": self.hoy - datetime.timedelta(days=hasta)
                if hasta is not None
                else None,
            }
            urls = [
                url_lista(self.filtros, abiertos="true", prioridad=v, **rango)
                for v, _p in prioridades
            ]
            barras.append(svg.Barra(_("%(e)s días") % {"e": etiqueta}, valores, urls=urls))
        series = [svg.Serie(str(p), f"prioridad-{v}") for v, p in prioridades]
        titulo = _("Antigüedad de los casos abiertos")
        descripcion = _(
            "Casos abiertos hoy por días desde su F/Inicio, por prioridad. Total: %(t)s."
        ) % {"t": sum(f[-1] for f in filas)}
        return Grafico(
            "antiguedad",
            titulo,
            descripcion,
            ["Antigüedad (días)", *[str(p) for _v, p in prioridades], "Total"],
            filas,
            svg.barras_verticales("g-antiguedad", titulo, descripcion, series, barras),
        )

    # --- horas_por_cliente ------------------------------------------------------------

    def horas_por_cliente(self) -> Grafico:
        actividades = Actividad.objects.filter(fecha__range=(self.desde, self.hasta))
        if self.casos.query.where:
            actividades = actividades.filter(caso__in=self.casos.values("pk"))
        # The top clients first (one grouped query, LIMIT), then their months: reading every
        # client's months to keep 15 brought 30,000 rows into Python.
        primeros_ids = list(
            actividades.values("cliente_id")
            .annotate(m=Sum("minutos"))
            .order_by("-m", "cliente_id")
            .values_list("cliente_id", flat=True)[:TOP_CLIENTES]
        )
        filas_bd = list(
            actividades.filter(cliente_id__in=primeros_ids)
            .annotate(mes=Trunc("fecha", "month", output_field=DateField()))
            .values("cliente_id", "cliente__nombre", "mes")
            .annotate(m=Sum("minutos"), f=Sum("minutos", filter=Q(facturable=True)))
            .order_by()
        )
        por_cliente: dict = {}
        for f in filas_bd:
            clave = (f["cliente_id"], f["cliente__nombre"])
            por_cliente.setdefault(clave, []).append(f)
        primeros = sorted(por_cliente, key=lambda k: -sum(f["m"] for f in por_cliente[k]))[
            :TOP_CLIENTES
        ]
        filas, barras = [], []
        for clave in primeros:
            (pk, nombre), meses = clave, sorted(por_cliente[clave], key=lambda f: f["mes"])
            facturables = sum(f["f"] or 0 for f in meses)
            total = sum(f["m"] or 0 for f in meses)
            for f in meses:
                filas.append(
                    [
                        nombre,
                        f"{dia_local(f['mes']):%Y-%m}",
                        minutos_a_horas(f["f"]),
                        minutos_a_horas((f["m"] or 0) - (f["f"] or 0)),
                    ]
                )
            url = url_lista(self.filtros, cliente=pk)
            barras.append(
                svg.Barra(
                    nombre,
                    [
                        float(minutos_a_horas(facturables)),
                        float(minutos_a_horas(total - facturables)),
                    ],
                    url=url,
                )
            )
        series = [svg.Serie(_("Facturables"), "serie-2"), svg.Serie(_("No facturables"), "serie-5")]
        titulo = _("Horas por cliente")
        descripcion = _(
            "Horas facturables y no facturables del rango de los %(n)s clientes con más horas; "
            "la tabla las da por mes."
        ) % {"n": TOP_CLIENTES}
        return Grafico(
            "horas_por_cliente",
            titulo,
            descripcion,
            ["Cliente", "Periodo", "Horas facturables", "Horas no facturables"],
            filas,
            svg.barras_horizontales("g-horas_por_cliente", titulo, descripcion, series, barras),
        )


IDENTIFICADORES = (
    "casos_por_fecha",
    "casos_por_ejecutor",
    "totales_por_ejecutor",
    "totales",
    "antiguedad",
    "horas_por_cliente",
)
