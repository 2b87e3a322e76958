"""The rows of the case list and of Próximos, drawn in Python.

A page shows up to 200 cases of a dozen cells each; through the template engine (an include
per badge, a lookup per attribute) those cells cost more than the page's SQL. Here each row
is one :func:`~django.utils.html.format_html` (which escapes every value) and what is the
same for every row (labels, translations, today's date) is worked out once per page.
"""

import threading
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from efactory.formato import fecha, hora, numero, recortar
from efactory.marcado import format_html, format_html_join

from .models import Etapa, Prioridad

FILA_LISTA = (
    "<tr{}>{}"
    '<td><a href="{}" class="fw-semibold">{}</a></td>'
    '<td class="c-asunto"><span class="recorte" title="{}">{}</span></td>'
    "<td>{}</td>"
    '<td class="text-nowrap">{}</td>'
    '<td class="text-end">{}</td>'
    '<td class="c-nombre"><span class="recorte">{}</span></td>'
    '<td class="c-nombre"><span class="recorte">{}</span></td>'
    "<td>{}</td>"
    "<td>{}</td>"
    '<td class="text-end text-nowrap">{}</td>'
    '<td class="text-end text-nowrap">{}</td>'
    '<td class="c-comentario">{}</td>'
    "</tr>"
)
SELECCION = (
    '<td class="d-print-none"><input type="checkbox" class="form-check-input" name="casos"'
    ' value="{}" form="form-seguimiento" data-seleccion aria-label="{}"></td>'
)
FILA_PROXIMOS = (
    "<tr{}>"
    '<td class="text-end">{}</td>'
    "<td>{}</td>"
    '<td><a href="{}">{}</a></td>'
    '<td><span class="recorte" title="{}">{}</span></td>'
    '<td class="text-nowrap">{}</td>'
    '<td class="text-end">{}</td>'
    '<td><span class="recorte">{}</span></td>'
    "<td>{}</td>"
    "<td>{}</td>"
    '<td class="text-end">{}</td>'
    '<td class="text-end">{}</td>'
    "</tr>"
)
AVANCE = (
    '<div class="d-flex align-items-center gap-2"><progress class="avance-barra" max="100"'
    ' value="{}" aria-label="{}">{}%</progress><span class="small">{}%</span></div>'
)
VENCIDA = format_html(' class="{}"', "fila-vencida")


class Celdas:
    """What a row's cells share on one page: labels, translations and today's date.

    The cells that take few values on a page (a prioridad's badge, an etapa's, an avance, a
    number of hours, a date) are drawn once per value and page (``_una_vez``).
    """

    def __init__(self):
        self._dibujadas = {}
        self.hoy = timezone.localdate()
        self.prioridades = {valor: str(etiqueta) for valor, etiqueta in Prioridad.choices}
        self.etapas = {valor: str(etiqueta) for valor, etiqueta in Etapa.choices}
        self.avance = _("Avance")
        self.vencido = _("Vencido")
        # The detail URL of every case differs only in its key.
        self.url = reverse("cases:caso_detail", args=[0]).replace("/0/", "/{}/")

    def es_vencida(self, caso) -> bool:
        return caso.esta_vencido(self.hoy)

    def url_de(self, caso) -> str:
        return self.url.replace("{}", str(caso.pk))

    def _una_vez(self, tipo: str, valor, dibujar):
        """``dibujar(valor)``, drawn once per page for each (``tipo``, ``valor``)."""
        # 1.5 and 1.50 are equal Decimals that read differently.
        clave = (tipo, type(valor), str(valor) if isinstance(valor, Decimal) else valor)
        try:
            return self._dibujadas[clave]
        except KeyError:
            self._dibujadas[clave] = dibujado = dibujar(valor)
            return dibujado

    def numero(self, valor) -> str:
        return self._una_vez("numero", valor, numero)

    def fecha(self, valor) -> str:
        return self._una_vez("fecha", valor, fecha)

    def prioridad(self, caso):
        return self._una_vez("prioridad", caso.prioridad, self._prioridad)

    def _prioridad(self, prioridad):
        return format_html(
            '<span class="badge prioridad-{}">{}</span>',
            prioridad,
            self.prioridades.get(prioridad, prioridad),
        )

    def _insignia_etapa(self, etapa):
        return format_html(
            '<span class="badge etapa etapa-{}">{}</span>',
            etapa or "blanco",
            self.etapas.get(etapa, etapa),
        )

    def etapa(self, caso, vencida: bool):
        """The etapa badge, and the «Vencido» one (text, not only colour) when overdue."""
        if not vencida:
            return self._una_vez("etapa", caso.etapa, self._etapa)
        insignias = self._una_vez("insignia_etapa", caso.etapa, self._insignia_etapa)
        titulo = _("F/Cierre: %(f)s") % {"f": fecha(caso.fecha_cierre)}
        # A space between the badges, so that they read as two words.
        insignias += format_html(
            ' <span class="badge vencido" title="{}">{}</span>', titulo, self.vencido
        )
        return format_html('<div class="d-flex flex-wrap gap-1">{}</div>', insignias)

    def _etapa(self, etapa):
        insignia = self._una_vez("insignia_etapa", etapa, self._insignia_etapa)
        return format_html('<div class="d-flex flex-wrap gap-1">{}</div>', insignia)

    def avance_de(self, caso):
        return self._una_vez("avance", caso.avance, self._avance)

    def _avance(self, avance):
        return format_html(AVANCE, avance, self.avance, avance, avance)

    def dias(self, caso) -> int:
        return caso.dias_en_ejecucion(self.hoy)


# The HTML of rows already drawn, by everything a row shows (see filas_lista): a row whose
# values did not change since the last page that showed it is not drawn again. Oldest first
# out beyond FILAS_GUARDADAS (about 1 KB each).
FILAS_GUARDADAS = 5000
_filas: dict[tuple, str] = {}
_guardar_fila = threading.Lock()


def filas_lista(casos, *, seleccion: bool):
    """The ``<tr>`` of each case of the list; ``seleccion`` adds the bulk-action checkbox.

    A row is a function of the values it shows, the language, the detail URL and
    ``seleccion`` (today's date reaches it through the días and the «Vencido» badge, which
    are among the values): each row is looked up by all of them in ``_filas`` and drawn only
    when missing, so a list reloaded or paged back draws only what changed.
    """
    celdas = Celdas()
    pagina = (get_language(), celdas.url, seleccion)
    filas = []
    for caso in casos:
        vencida = celdas.es_vencida(caso)
        totales = caso.totales()
        clave = (
            pagina,
            caso.pk,
            caso.numero,
            caso.asunto,
            caso.prioridad,
            caso.fecha_inicio,
            celdas.dias(caso),
            caso.cliente.nombre,
            caso.ejecutor.nombre if caso.ejecutor else None,
            caso.etapa,
            caso.fecha_cierre if vencida else None,
            caso.avance,
            # As text: 1.5 and 1.50 are equal Decimals that read differently.
            str(totales["horas"]),
            str(totales["horas_facturables"]),
            caso.comentario,
        )
        fila = _filas.get(clave)
        if fila is None:
            fila = _fila_lista(caso, celdas, vencida, totales, seleccion)
            with _guardar_fila:
                _filas[clave] = fila
                if len(_filas) > FILAS_GUARDADAS:
                    del _filas[next(iter(_filas))]
        filas.append(fila)
    return format_html_join("\n", "{}", ((fila,) for fila in filas))


def _fila_lista(caso, celdas, vencida, totales, seleccion):
    documento = caso.documento
    casilla = ""
    if seleccion:
        casilla = format_html(SELECCION, caso.pk, _("Seleccionar caso %(d)s") % {"d": documento})
    comentario = ""
    if caso.comentario:
        comentario = format_html(
            '<span class="recorte" title="{}">{}</span>',
            recortar(caso.comentario, 500),
            recortar(caso.comentario, 160),
        )
    return format_html(
        FILA_LISTA,
        VENCIDA if vencida else "",
        casilla,
        celdas.url_de(caso),
        documento,
        caso.asunto,
        caso.asunto,
        celdas.prioridad(caso),
        celdas.fecha(caso.fecha_inicio),
        celdas.numero(celdas.dias(caso)),
        caso.cliente.nombre,
        caso.ejecutor.nombre if caso.ejecutor else "—",
        celdas.etapa(caso, vencida),
        celdas.avance_de(caso),
        celdas.numero(totales["horas"]),
        celdas.numero(totales["horas_facturables"]),
        comentario,
    )


def filas_proximos(casos, *, agrupar: str):
    """The ``<tr>`` of each case of a Próximos group; the name column shows the ejecutor
    when the groups are clients, the client otherwise."""
    celdas = Celdas()

    def nombre(caso) -> str:
        if agrupar == "cliente":
            return caso.ejecutor.nombre if caso.ejecutor else "—"
        return caso.cliente.nombre

    return format_html_join(
        "\n",
        FILA_PROXIMOS,
        (
            (
                VENCIDA if vencida else "",
                celdas.numero(caso.nivel),
                celdas.prioridad(caso),
                celdas.url_de(caso),
                caso.documento,
                caso.asunto,
                caso.asunto,
                celdas.fecha(caso.fecha_inicio),
                celdas.numero(celdas.dias(caso)),
                nombre(caso),
                celdas.etapa(caso, vencida),
                celdas.avance_de(caso),
                celdas.numero(caso.horas_total),
                celdas.numero(caso.horas_facturables),
            )
            for caso in casos
            for vencida in (celdas.es_vencida(caso),)
        ),
    )


FILA_ACTIVIDAD = (
    "<tr>"
    '<td class="text-nowrap">{}</td>'
    "<td>{}</td>"
    "<td>{}</td>"
    '<td class="text-end">{}</td>'
    '<td class="c-nombre"><span class="recorte">{}</span></td>'
    '<td><a href="{}">{}</a></td>'
    '<td class="c-asunto"><span class="recorte" title="{}">{}</span></td>'
    '<td class="c-nombre"><span class="recorte">{}</span></td>'
    '<td class="c-comentario">{}</td>'
    "<td>{}</td>"
    "</tr>"
)


def filas_actividades(actividades):
    """The ``<tr>`` of each activity row of /actividades/ (its case loaded with it)."""
    celdas = Celdas()
    si, no = _("Sí"), _("No")
    return format_html_join(
        "\n",
        FILA_ACTIVIDAD,
        (
            (
                celdas.fecha(a.fecha),
                hora(a.hora_inicio),
                hora(a.hora_fin),
                celdas.numero(a.horas),
                a.ejecutor.nombre,
                celdas.url_de(a.caso),
                a.caso.documento,
                a.caso.asunto,
                a.caso.asunto,
                a.caso.cliente.nombre,
                recortar(a.descripcion, 300),
                si if a.facturable else no,
            )
            for a in actividades
        ),
    )


def _horas_celda(horas, vacio_si_cero=False) -> str:
    return "" if vacio_si_cero and not horas else numero(horas)


def _celdas_de_nombres(reporte, fila, url_caso):
    """The group cells of a row of the hours report (and the Asunto cell of a case)."""
    celdas = []
    for grupo, nombre in zip(reporte.grupos, fila.nombres, strict=True):
        if fila.subtotal and nombre:
            contenido = format_html("{}", _("Subtotal %(nombre)s") % {"nombre": nombre})
        elif grupo.clave == "caso" and nombre:
            contenido = format_html('<a href="{}">{}</a>', url_caso(fila.caso["pk"]), nombre)
        else:
            contenido = nombre
        celdas.append(format_html("<td>{}</td>", contenido))
        if grupo.clave == "caso":
            asunto = fila.caso["asunto"] if fila.caso and not fila.subtotal else ""
            celdas.append(
                format_html(
                    '<td class="c-asunto-horas"><span class="recorte" title="{}">{}</span></td>',
                    asunto,
                    asunto,
                )
                if asunto
                else format_html("<td>{}</td>", "")
            )
    return format_html_join("", "{}", ((c,) for c in celdas))


def _celdas_del_caso(fila, sobre: str):
    """Horas del caso, Estimado and Diferencia of a row grouped by caso."""
    if not fila.caso:
        return format_html("<td>{}</td><td>{}</td><td>{}</td>", "", "", "")
    estimado = fila.caso["estimado"]
    if not estimado:
        return format_html(
            '<td class="text-end">{}</td><td class="text-end">—</td><td class="text-end">—</td>',
            numero(fila.caso["horas"]),
        )
    diferencia = numero(estimado["diferencia"])
    if estimado["excedido"]:
        diferencia = format_html('<span class="badge vencido">{}</span> +{}', sobre, diferencia)
    return format_html(
        '<td class="text-end">{}</td><td class="text-end">{}</td>'
        '<td class="text-end text-nowrap"{}>{}</td>',
        numero(fila.caso["horas"]),
        numero(estimado["estimado"]),
        format_html(" {}", "data-excedido") if estimado["excedido"] else "",
        diferencia,
    )


def filas_horas(reporte):
    """The ``<tr>`` of the hours report: groups, subtotals and the total."""
    url = reverse("cases:caso_detail", args=[0]).replace("/0/", "/{}/")

    def url_caso(pk):
        return url.replace("{}", str(pk))

    total, sobre = _("Total"), _("Sobre el estimado")
    columnas_de_nombres = len(reporte.grupos) + (1 if reporte.por_caso else 0)
    filas = []
    for fila in reporte.filas:
        if fila.total:
            atributos = format_html(' class="{}" data-total', "fila-total")
            nombres = format_html(
                '<th scope="row" colspan="{}">{}</th>', columnas_de_nombres, total
            )
        else:
            atributos = (
                format_html(' class="fila-subtotal" data-subtotal="{}"', fila.nivel)
                if fila.subtotal
                else format_html(" {}", "data-grupo")
            )
            nombres = _celdas_de_nombres(reporte, fila, url_caso)
        periodos = format_html_join(
            "",
            '<td class="text-end">{}</td>',
            (
                (_horas_celda(h, vacio_si_cero=True),)
                for h in fila.horas_por_periodo(reporte.columnas)
            ),
        )
        caso = _celdas_del_caso(fila, sobre) if reporte.por_caso else ""
        filas.append(
            format_html(
                "<tr{}>{}{}"
                '<td class="text-end" data-horas="total">{}</td>'
                '<td class="text-end" data-horas="facturables">{}</td>'
                '<td class="text-end" data-horas="no_facturables">{}</td>{}</tr>',
                atributos,
                nombres,
                periodos,
                numero(fila.sumas.horas),
                numero(fila.sumas.horas_facturables),
                numero(fila.sumas.horas_no_facturables),
                caso,
            )
        )
    return format_html_join("\n", "{}", ((f,) for f in filas))
