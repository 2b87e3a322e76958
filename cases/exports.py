"""Exports of the case list: CSV (UTF-8 with BOM) and XLSX, streamed with flat memory."""

import csv
import datetime
import tempfile
from decimal import Decimal

from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Actividad, Etapa, Prioridad, calcular_dias, minutos_a_horas

CHUNK = 2000


def columnas():
    return [
        _("Documento"),
        _("Asunto"),
        _("Prioridad"),
        _("Inicio"),
        _("Cierre"),
        _("Días en ejecución"),
        _("Cliente"),
        _("Código cliente"),
        _("Ejecutor"),
        _("Etapa"),
        _("Avance (%)"),
        _("Nivel"),
        _("Horas"),
        _("Horas facturables"),
        _("Comentario"),
    ]


def _minutos(facturable=None):
    actividades = Actividad.objects.filter(caso=OuterRef("pk"))
    if facturable is not None:
        actividades = actividades.filter(facturable=facturable)
    suma = actividades.order_by().values("caso").annotate(s=Sum("minutos")).values("s")
    return Coalesce(Subquery(suma, output_field=IntegerField()), 0)


def filas(queryset, hoy: datetime.date | None = None):
    """Yield one list of cell values per case, in the queryset's order, CHUNK rows at a time.

    Related names come from joins and hours from correlated subqueries (one per row, on the
    activity index), so memory stays flat however many cases are exported.
    """
    hoy = hoy or timezone.localdate()
    prioridades = dict(Prioridad.choices)
    etapas = dict(Etapa.choices)
    valores = (
        queryset.annotate(minutos_total=_minutos(), minutos_facturables=_minutos(True))
        .values_list(
            "numero",
            "asunto",
            "prioridad",
            "fecha_inicio",
            "fecha_cierre",
            "etapa",
            "cliente__nombre",
            "cliente__codigo",
            "ejecutor__nombre",
            "avance",
            "nivel",
            "minutos_total",
            "minutos_facturables",
            "comentario",
        )
        .iterator(chunk_size=CHUNK)
    )
    from .models import NUMERO_DIGITOS

    for (
        numero,
        asunto,
        prioridad,
        inicio,
        cierre,
        etapa,
        cliente,
        codigo,
        ejecutor,
        avance,
        nivel,
        minutos,
        minutos_fact,
        comentario,
    ) in valores:
        yield [
            str(numero).zfill(NUMERO_DIGITOS),
            sin_formula(asunto),
            str(prioridades.get(prioridad, prioridad)),
            inicio,
            cierre,
            calcular_dias(inicio, cierre, etapa, hoy),
            sin_formula(cliente),
            sin_formula(codigo),
            sin_formula(ejecutor or ""),
            str(etapas.get(etapa, etapa)),
            avance,
            nivel,
            minutos_a_horas(minutos),
            minutos_a_horas(minutos_fact),
            sin_formula(comentario),
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


class _Eco:
    """A file-like object whose write() returns what it was given (for csv.writer)."""

    def write(self, value):
        return value


def _celda_csv(valor):
    if isinstance(valor, datetime.date):
        return valor.strftime("%d/%m/%Y")
    if valor is None:
        return ""
    return valor


def csv_stream(queryset):
    """Generate the CSV text: a BOM (so Excel reads UTF-8), the header, then the rows."""
    writer = csv.writer(_Eco())
    yield "\ufeff" + writer.writerow(columnas())
    for fila in filas(queryset):
        yield writer.writerow([_celda_csv(v) for v in fila])


def xlsx_archivo(queryset):
    """Write the XLSX to a temporary file with openpyxl's write-only mode; return the file.

    Write-only worksheets stream rows to disk as they are appended, so memory stays flat; the
    caller streams the finished file with FileResponse, which deletes it when closed.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    libro = Workbook(write_only=True)
    hoja = libro.create_sheet(_("Casos"))
    hoja.freeze_panes = "A2"
    encabezado = []
    for titulo in columnas():
        celda = WriteOnlyCell(hoja, value=titulo)
        celda.font = Font(bold=True)
        encabezado.append(celda)
    hoja.append(encabezado)
    for fila in filas(queryset):
        celdas = []
        for valor in fila:
            if isinstance(valor, datetime.date):
                celda = WriteOnlyCell(hoja, value=valor)
                celda.number_format = "DD/MM/YYYY"
                celdas.append(celda)
            elif isinstance(valor, Decimal):
                celdas.append(float(valor))
            elif isinstance(valor, str):
                # openpyxl refuses control characters (a vertical tab pasted from a word
                # processor); the CSV keeps them, the XLSX drops them.
                celdas.append(ILLEGAL_CHARACTERS_RE.sub("", valor))
            else:
                celdas.append(valor)
        hoja.append(celdas)
    archivo = tempfile.TemporaryFile()
    libro.save(archivo)
    archivo.seek(0)
    return archivo
