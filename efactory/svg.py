"""Bar charts as inline SVG, drawn on the server.

The site's Content-Security-Policy allows no inline style and no script, so the charts use
geometry attributes only (x, y, width, height, points) and CSS classes from app.css for their
colours (``serie-1`` … ``serie-9``). Every text goes through :func:`format_html`, so names
typed by people are escaped. Each chart is an ``<svg>`` labelled by its
``<title>`` and described by its ``<desc>`` for screen readers; each bar has its own
``<title>`` (a tooltip) and, when given, a link (the matching filtered list). The numbers
are also in a data table next to the chart.

Two shapes: :func:`barras_verticales` (one bar, or one group of bars, per period; stacked or
side by side; optionally a line) and :func:`barras_horizontales` (one stacked bar per name).
"""

import math
from dataclasses import dataclass, field

from django.utils import formats

from efactory.marcado import format_html, format_html_join


@dataclass(frozen=True)
class Serie:
    nombre: str
    clase: str  # CSS class of its colour, e.g. "serie-1"


@dataclass
class Barra:
    etiqueta: str
    valores: list  # one per serie (numbers)
    url: str | None = None
    urls: list = field(default_factory=list)  # per serie, overrides ``url``


def escala(maximo: float, marcas: int = 4) -> tuple[float, list[float]]:
    """A "nice" top of the axis for ``maximo`` and the values of its grid lines."""
    if maximo <= 0:
        return 1.0, [0.0, 1.0]
    bruto = maximo / marcas
    potencia = 10 ** math.floor(math.log10(bruto))
    for factor in (1, 2, 2.5, 5, 10):
        paso = factor * potencia
        if paso >= bruto:
            break
    tope = paso * math.ceil(maximo / paso)
    n = round(tope / paso)
    return tope, [paso * i for i in range(n + 1)]


def numero(valor) -> str:
    if isinstance(valor, float) and not valor.is_integer():
        return formats.localize(round(valor, 2), use_l10n=True)
    return formats.number_format(int(valor), force_grouping=True)


def _leyenda(series, x, y, ancho):
    """The legend, wrapped into rows within ``ancho``: (markup, its height)."""
    partes, dx, dy = [], 0, 0
    for serie in series:
        largo = 28 + 7 * len(serie.nombre)
        if dx and x + dx + largo > ancho:
            dx, dy = 0, dy + 16
        partes.append(
            format_html(
                '<rect class="{}" x="{}" y="{}" width="12" height="12"></rect>'
                '<text class="svg-texto" x="{}" y="{}">{}</text>',
                serie.clase,
                x + dx,
                y + dy,
                x + dx + 16,
                y + dy + 11,
                serie.nombre,
            )
        )
        dx += largo
    return format_html_join("", "{}", ((p,) for p in partes)), dy + 16


def _marco(ident, titulo, descripcion, ancho, alto, contenido):
    return format_html(
        # No role="img": an image's children are presentational, and the bars are links (axe:
        # nested-interactive); the validator accepts no other role here. An <svg> is a
        # graphics document to assistive technology, named by its title.
        '<svg class="grafico" viewBox="0 0 {} {}" aria-labelledby="{}-t" '
        'aria-describedby="{}-d" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        ancho,
        alto,
        ident,
        ident,
        ident,
        titulo,
        ident,
        descripcion,
        contenido,
    )


def _enlace(url, etiqueta, contenido):
    if not url:
        return contenido
    return format_html('<a href="{}" aria-label="{}">{}</a>', url, etiqueta, contenido)


def _rect(clase, x, y, ancho, alto, texto):
    return format_html(
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        clase,
        round(x, 1),
        round(y, 1),
        round(max(ancho, 0), 1),
        round(max(alto, 0), 1),
        texto,
    )


def barras_verticales(
    ident,
    titulo,
    descripcion,
    series,
    barras,
    *,
    apiladas=True,
    linea: Serie | None = None,
    valores_linea=(),
    ancho=760,
    alto=300,
):
    """One bar (stacked series) or one group (side by side) per label, left to right; with
    ``linea``, a line over them (its values share the axis)."""
    leyenda, alto_leyenda = _leyenda([*series, *([linea] if linea else [])], 56, 6, ancho)
    izquierda, derecha, arriba, abajo = 56, 12, 18 + alto_leyenda, 46
    area_x, area_y = ancho - izquierda - derecha, alto - arriba - abajo
    totales = [sum(b.valores) if apiladas else max(b.valores, default=0) for b in barras]
    tope, marcas = escala(max([*totales, *valores_linea, 0]))
    partes = [leyenda]
    for marca in marcas:
        y = arriba + area_y - marca / tope * area_y
        partes.append(
            format_html(
                '<line class="svg-rejilla" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
                '<text class="svg-texto svg-eje-y" x="{}" y="{}">{}</text>',
                izquierda,
                round(y, 1),
                ancho - derecha,
                round(y, 1),
                izquierda - 6,
                round(y + 4, 1),
                numero(marca),
            )
        )
    n = max(len(barras), 1)
    hueco = area_x / n
    cada = max(1, math.ceil(n / 16))  # at most ~16 labels under the axis
    grosor = hueco * 0.7
    for i, barra in enumerate(barras):
        x0 = izquierda + i * hueco + (hueco - grosor) / 2
        segmentos, base = [], 0.0
        for k, (serie, valor) in enumerate(zip(series, barra.valores, strict=True)):
            alto_seg = valor / tope * area_y
            if apiladas:
                x, w, y = x0, grosor, arriba + area_y - base - alto_seg
                base += alto_seg
            else:
                w = grosor / len(series)
                x, y = x0 + k * w, arriba + area_y - alto_seg
            texto = f"{barra.etiqueta} · {serie.nombre}: {numero(valor)}"
            rect = _rect(serie.clase, x, y, w, alto_seg, texto)
            url = barra.urls[k] if k < len(barra.urls) else barra.url
            segmentos.append(_enlace(url, texto, rect) if barra.urls else rect)
        grupo = format_html_join("", "{}", ((s,) for s in segmentos))
        if not barra.urls:
            grupo = _enlace(barra.url, barra.etiqueta, grupo)
        partes.append(grupo)
        if i % cada == 0:
            partes.append(
                format_html(
                    '<text class="svg-texto svg-eje-x" x="{}" y="{}">{}</text>',
                    round(izquierda + i * hueco + hueco / 2, 1),
                    alto - abajo + 16,
                    barra.etiqueta,
                )
            )
    if linea and valores_linea:
        puntos = " ".join(
            f"{round(izquierda + i * hueco + hueco / 2, 1)},"
            f"{round(arriba + area_y - v / tope * area_y, 1)}"
            for i, v in enumerate(valores_linea)
        )
        partes.append(
            format_html(
                '<polyline class="{} svg-linea" points="{}"></polyline>', linea.clase, puntos
            )
        )
    partes.append(
        format_html(
            '<line class="svg-eje" x1="{}" y1="{}" x2="{}" y2="{}"></line>',
            izquierda,
            arriba + area_y,
            ancho - derecha,
            arriba + area_y,
        )
    )
    contenido = format_html_join("", "{}", ((p,) for p in partes))
    return _marco(ident, titulo, descripcion, ancho, alto, contenido)


def barras_horizontales(ident, titulo, descripcion, series, barras, *, ancho=760, fuera=()):
    """One stacked bar per label, top to bottom (names on the left, values to the right).

    The bars whose labels are in ``fuera`` (an "Otros" that adds up hundreds of people) do
    not set the scale: they are cut at the right edge, marked with "»", and their total is
    written as for every bar, so the others stay readable.
    """
    izquierda, derecha, fila = 190, 56, 22
    leyenda, alto_leyenda = _leyenda(series, izquierda, 6, ancho)
    arriba = 14 + alto_leyenda
    alto = arriba + fila * max(len(barras), 1) + 24
    area_x = ancho - izquierda - derecha
    medidas = [sum(b.valores) for b in barras if b.etiqueta not in fuera]
    tope, marcas = escala(max([*medidas, 0]))
    partes = [leyenda]
    for marca in marcas:
        x = izquierda + marca / tope * area_x
        partes.append(
            format_html(
                '<line class="svg-rejilla" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
                '<text class="svg-texto svg-eje-x" x="{}" y="{}">{}</text>',
                round(x, 1),
                arriba,
                round(x, 1),
                alto - 20,
                round(x, 1),
                alto - 6,
                numero(marca),
            )
        )
    for i, barra in enumerate(barras):
        y = arriba + i * fila + 3
        segmentos, base = [], 0.0
        for k, (serie, valor) in enumerate(zip(series, barra.valores, strict=True)):
            largo = min(valor / tope * area_x, max(area_x - base, 0))  # cut at the edge
            texto = f"{barra.etiqueta} · {serie.nombre}: {numero(valor)}"
            rect = _rect(serie.clase, izquierda + base, y, largo, fila - 6, texto)
            url = barra.urls[k] if k < len(barra.urls) else None
            segmentos.append(_enlace(url, texto, rect) if url else rect)
            base += largo
        cortada = sum(barra.valores) > tope
        grupo = format_html_join("", "{}", ((s,) for s in segmentos))
        etiqueta = barra.etiqueta if len(barra.etiqueta) <= 28 else barra.etiqueta[:27] + "…"
        partes.append(
            format_html(
                '<text class="svg-texto svg-eje-y" x="{}" y="{}">{}</text>{}'
                '<text class="svg-texto" x="{}" y="{}">{}</text>',
                izquierda - 6,
                y + fila - 10,
                etiqueta,
                grupo if barra.urls else _enlace(barra.url, barra.etiqueta, grupo),
                round(izquierda + base + 4, 1),
                y + fila - 10,
                ("» " if cortada else "") + numero(sum(barra.valores)),
            )
        )
    contenido = format_html_join("", "{}", ((p,) for p in partes))
    return _marco(ident, titulo, descripcion, ancho, alto, contenido)
