"""Exports of the case list: CSV (UTF-8 with BOM) and XLSX, streamed with flat memory.

The case columns are those of SPEC "Import" (so export → edit in Excel → import works), plus
the read-only Días en ejecución, Horas, Horas facturables and Completado. The XLSX also has an
``Actividades`` sheet with the activities of the exported cases.
"""

import csv
import datetime
import tempfile
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from efactory.horas import minutos_a_horas
from efactory.xlsx import LibroXlsx

from .models import NUMERO_DIGITOS, Actividad, Complejidad, Etapa, Origen, Prioridad

CHUNK = 2000

# The headers are the file format the import reads back: fixed Spanish names, never
# translated (an English interface must still export files the import understands).
COLUMNAS_CASOS = [
    "Documento",
    "Asunto",
    "Prioridad",
    "Cliente",
    "Código cliente",
    "Contacto",
    "Coord.",
    "Ejecutor",
    "Inicio",
    "Cierre",
    "Etapa",
    "Avance (%)",
    "Artículo",
    "Clase",
    "Grupo",
    "Depto.",
    "Origen",
    "Caso interno",
    "Comentario",
    "Estimado",
    "Complejidad",
    "Nivel",
    "Facturable",
    "Revisor",
    "Comentario de la solución",
    "Versión",
    # read-only: the import ignores them
    "Días en ejecución",
    "Horas",
    "Horas facturables",
    "Completado",
]
COLUMNAS_SOLO_LECTURA = ["Días en ejecución", "Horas", "Horas facturables", "Completado"]
COLUMNAS_ACTIVIDADES = [
    "Documento",
    "Fecha",
    "H/Inicio",
    "H/Fin",
    "Actividad",
    "Ejecutor",
    "Fact.",
    "Artículo",
]

# Column widths of the XLSX, in characters, by header.
ANCHOS = {
    "Documento": 11,
    "Asunto": 45,
    "Cliente": 32,
    "Código cliente": 14,
    "Contacto": 24,
    "Coord.": 24,
    "Ejecutor": 24,
    "Inicio": 11,
    "Cierre": 11,
    "Etapa": 18,
    "Artículo": 24,
    "Clase": 18,
    "Grupo": 18,
    "Depto.": 18,
    "Origen": 15,
    "Comentario": 60,
    "Revisor": 24,
    "Comentario de la solución": 60,
    "Días en ejecución": 10,
    "Horas facturables": 11,
    "Completado": 17,
    "Fecha": 11,
    "Actividad": 60,
}
ANCHO_POR_DEFECTO = 12

SI, NO = "Sí", "No"


def si_no(valor: bool) -> str:
    return SI if valor else NO


def documento(numero) -> str:
    return str(numero).zfill(NUMERO_DIGITOS)


def filas(queryset, hoy: datetime.date | None = None):
    """Yield one list of cell values per case (COLUMNAS_CASOS), in the queryset's order.

    Related names come from joins, hours from correlated subqueries (one per row, on the
    activity index: CasoQuerySet.con_horas) and días en ejecución from the database
    (CasoQuerySet.con_dias), read CHUNK rows at a time, so memory stays flat however many
    cases are exported and the number of queries does not depend on it.
    """
    # Labels translated once, not once per row: a lazy label costs a gettext() lookup each
    # time it is turned into text (800,000 of them took 60 % of a 100,000-row export).
    prioridades, etapas, origenes, complejidades = (
        {valor: str(etiqueta) for valor, etiqueta in opciones.choices}
        for opciones in (Prioridad, Etapa, Origen, Complejidad)
    )
    valores = (
        queryset.con_horas()
        .con_dias(hoy)
        .values_list(
            "numero",
            "asunto",
            "prioridad",
            "cliente__nombre",
            "cliente__codigo",
            "contacto__nombre",
            "coordinador__nombre",
            "ejecutor__nombre",
            "fecha_inicio",
            "fecha_cierre",
            "etapa",
            "avance",
            "articulo__nombre",
            "clase__nombre",
            "grupo__nombre",
            "departamento__nombre",
            "origen",
            "interno",
            "comentario",
            "estimado",
            "complejidad",
            "nivel",
            "facturable",
            "revisor__nombre",
            "comentario_solucion",
            "version",
            "dias_ejecucion",
            "minutos_total",
            "minutos_facturables",
            "completado_en",
            named=True,
        )
        .iterator(chunk_size=CHUNK)
    )
    for c in valores:
        yield [
            documento(c.numero),
            sin_formula(c.asunto),
            prioridades.get(c.prioridad, c.prioridad),
            sin_formula(c.cliente__nombre),
            sin_formula(c.cliente__codigo),
            sin_formula(c.contacto__nombre or ""),
            sin_formula(c.coordinador__nombre or ""),
            sin_formula(c.ejecutor__nombre or ""),
            c.fecha_inicio,
            c.fecha_cierre,
            etapas.get(c.etapa, c.etapa),
            c.avance,
            sin_formula(c.articulo__nombre or ""),
            sin_formula(c.clase__nombre or ""),
            sin_formula(c.grupo__nombre or ""),
            sin_formula(c.departamento__nombre or ""),
            origenes.get(c.origen, c.origen),
            si_no(c.interno),
            sin_formula(c.comentario),
            c.estimado,
            complejidades.get(c.complejidad, c.complejidad),
            c.nivel,
            si_no(c.facturable),
            sin_formula(c.revisor__nombre or ""),
            sin_formula(c.comentario_solucion),
            c.version,
            c.dias_ejecucion,
            minutos_a_horas(c.minutos_total),
            minutos_a_horas(c.minutos_facturables),
            timezone.localtime(c.completado_en).replace(tzinfo=None) if c.completado_en else None,
        ]


def filas_actividades(queryset):
    """Yield one list of cell values per activity (COLUMNAS_ACTIVIDADES) of the cases of
    ``queryset``: case by case (in the order the cases were created), each case's rows in
    chronological order, read from the (caso, fecha, hora_inicio) index in one query."""
    # A sliced queryset (LIMIT) keeps its order, which chooses the rows; otherwise the
    # subquery needs no ORDER BY.
    claves = queryset.values("pk") if queryset.query.is_sliced else queryset.order_by().values("pk")
    valores = (
        Actividad.objects.filter(caso__in=claves)
        .order_by("caso_id", "fecha", "hora_inicio", "pk")
        .values_list(
            "caso__numero",
            "fecha",
            "hora_inicio",
            "hora_fin",
            "descripcion",
            "ejecutor__nombre",
            "facturable",
            "articulo__nombre",
            named=True,
        )
        .iterator(chunk_size=CHUNK)
    )
    for a in valores:
        yield [
            documento(a.caso__numero),
            a.fecha,
            a.hora_inicio,
            a.hora_fin,
            sin_formula(a.descripcion),
            sin_formula(a.ejecutor__nombre),
            si_no(a.facturable),
            sin_formula(a.articulo__nombre or ""),
        ]


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def sin_formula(texto: str) -> str:
    """Text typed by users never runs as a spreadsheet formula (CSV/formula injection).

    A leading =, +, -, @, tab or carriage return makes Excel evaluate the cell; a leading
    apostrophe makes it plain text, and Excel does not show the apostrophe.
    """
    if texto and texto.startswith(FORMULA):
        return "'" + texto
    return texto


# --- CSV -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormatoCSV:
    """How numbers and cells are separated: ``formato=csv`` or ``formato=csv-excel``."""

    separador: str
    decimal: str

    def celda(self, valor):
        if isinstance(valor, datetime.datetime):
            return valor.strftime("%d/%m/%Y %H:%M")
        if isinstance(valor, datetime.date):
            return valor.strftime("%d/%m/%Y")
        if isinstance(valor, datetime.time):
            return valor.strftime("%H:%M")
        if isinstance(valor, Decimal | float):
            return str(valor).replace(".", self.decimal)
        if valor is None:
            return ""
        return valor


CSV = FormatoCSV(separador=",", decimal=".")
# Excel in Spanish splits on ";" and reads "2,50" as a number: it opens this one in columns.
CSV_EXCEL = FormatoCSV(separador=";", decimal=",")


class _Eco:
    """A file-like object whose write() returns what it was given (for csv.writer)."""

    def write(self, value):
        return value


def csv_de(encabezado, filas, formato: FormatoCSV = CSV):
    """Generate a CSV text: a BOM (so Excel reads UTF-8), the header, then the rows."""
    writer = csv.writer(_Eco(), delimiter=formato.separador)
    yield "\ufeff" + writer.writerow(encabezado)
    for fila in filas:
        yield writer.writerow([formato.celda(v) for v in fila])


def csv_stream(queryset, formato: FormatoCSV = CSV):
    """The cases of ``queryset`` as CSV text, generated row by row (cases only)."""
    return csv_de(COLUMNAS_CASOS, filas(queryset), formato)


# --- XLSX ------------------------------------------------------------------------------------

FORMATOS_XLSX = {
    datetime.datetime: "DD/MM/YYYY HH:MM",
    datetime.date: "DD/MM/YYYY",
    datetime.time: "HH:MM",
}


def xlsx_archivo(queryset):
    """Write the XLSX (sheets ``Casos`` and ``Actividades``) to a temporary file; return it.

    Rows stream straight into the file (efactory/xlsx.py: a writer chosen by measuring, see
    its docstring), so memory stays flat; the caller streams the finished file with
    FileResponse, which deletes it when closed. Texts are always text, never formulas.
    """
    archivo = tempfile.TemporaryFile()
    libro = LibroXlsx(archivo, FORMATOS_XLSX)
    for titulo, encabezado, filas_de_hoja in (
        ("Casos", COLUMNAS_CASOS, filas(queryset)),
        ("Actividades", COLUMNAS_ACTIVIDADES, filas_actividades(queryset)),
    ):
        anchos = [ANCHOS.get(nombre, ANCHO_POR_DEFECTO) for nombre in encabezado]
        libro.hoja(titulo, encabezado, filas_de_hoja, anchos)
    libro.cerrar()
    archivo.seek(0)
    return archivo


def xlsx_de_una_hoja(titulo: str, encabezado, filas_de_hoja, anchos):
    """A one-sheet XLSX of ``filas_de_hoja`` in a temporary file (streamed like the cases')."""
    archivo = tempfile.TemporaryFile()
    libro = LibroXlsx(archivo, FORMATOS_XLSX)
    libro.hoja(titulo, encabezado, filas_de_hoja, anchos)
    libro.cerrar()
    archivo.seek(0)
    return archivo
