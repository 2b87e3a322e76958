"""Spreadsheets people upload: CSV and XLSX read safely, row by row, and their cells read
the way a person typed them or a spreadsheet program rewrote them.

Reading (:func:`leer`):

- **CSV** in UTF-8 (with or without BOM) or Windows-1252, split on ``,`` or ``;`` (the one
  the header line uses most);
- **XLSX** through openpyxl in read-only mode, values only, one row at a time (flat memory).
  With defusedxml installed openpyxl parses through it, so a document type with entities
  (the billion-laughs attack) is refused; before that, the zip's own directory is checked
  so that a zip bomb is refused without inflating it.

Anything that is not such a file raises :class:`ArchivoInvalido` with a Spanish message for
the person who uploaded it. Cells are turned into values by the ``a_*`` functions, which
raise ``ValidationError`` with the message to show next to the cell.
"""

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from efactory.busqueda import normalizar

EXTENSIONES = (".xlsx", ".csv")
# A real sheet of 20,000 rows is a few MB once inflated: far below these.
MAX_DESCOMPRIMIDO = 512 * 1024 * 1024
MAX_PROPORCION = 200  # inflated ÷ compressed, for entries bigger than 1 MB
MAX_CELDA = 100_000  # characters: longer cells are refused (a form field says its own limit)
EPOCA_EXCEL = datetime.date(1899, 12, 30)


class ArchivoInvalido(Exception):
    """The file cannot be read as what it claims to be; the message says why, in Spanish."""


@dataclass
class Hoja:
    """One sheet: its name, its header (as written) and its rows, read lazily.

    ``filas`` yields ``(numero, celdas)``: the row's number as the spreadsheet shows it (the
    header is row 1) and its cells in header order (missing trailing cells are None).
    """

    nombre: str
    encabezado: list[str]
    filas: Iterator[tuple[int, list]]
    formulas: set = field(default_factory=set)  # (row, column index) of formula cells
    total: int | None = None  # data rows, where the file says (an XLSX's dimension)


def extension(nombre: str) -> str:
    nombre = (nombre or "").lower()
    return next((ext for ext in EXTENSIONES if nombre.endswith(ext)), "")


def leer(archivo, nombre: str, hojas: tuple[str, ...]) -> dict[str, Hoja]:
    """The sheets of an uploaded file by name (those of ``hojas`` it has).

    ``archivo`` is a binary file object positioned at its start. A CSV is one sheet, named
    ``hojas[0]``. An XLSX with a single sheet of another name is read as ``hojas[0]`` too.
    """
    ext = extension(nombre)
    if not ext:
        raise ArchivoInvalido(
            _("El archivo «%(nombre)s» no es .xlsx ni .csv: exporte desde Excel a uno de ellos.")
            % {"nombre": nombre}
        )
    inicio = archivo.read(8)
    archivo.seek(0)
    if not inicio:
        raise ArchivoInvalido(_("El archivo está vacío."))
    if ext == ".csv":
        return {hojas[0]: leer_csv(archivo, hojas[0])}
    return leer_xlsx(archivo, hojas)


# --- CSV -------------------------------------------------------------------------------------


def _codificacion(archivo) -> str:
    """utf-8-sig when the whole file decodes as UTF-8, else cp1252 (read in blocks)."""
    decodificador = codecs.getincrementaldecoder("utf-8")()
    try:
        while bloque := archivo.read(1 << 20):
            decodificador.decode(bloque)
        decodificador.decode(b"", final=True)
        codificacion = "utf-8-sig"
    except UnicodeDecodeError:
        codificacion = "cp1252"
    archivo.seek(0)
    return codificacion


def leer_csv(archivo, nombre_hoja: str) -> Hoja:
    codificacion = _codificacion(archivo)
    texto = io.TextIOWrapper(archivo, encoding=codificacion, errors="replace", newline="")
    primera = texto.readline()
    if "\x00" in primera:
        raise ArchivoInvalido(_("El archivo contiene bytes nulos (NUL): no es un CSV de texto."))
    separador = ";" if primera.count(";") > primera.count(",") else ","
    encabezado = next(csv.reader([primera], delimiter=separador), [])
    if not any(c.strip() for c in encabezado):
        raise ArchivoInvalido(_("La primera fila del archivo debe traer los encabezados."))

    def filas():
        lector = csv.reader(texto, delimiter=separador)
        numero = 1
        try:
            for celdas in lector:
                numero = lector.line_num + 1
                if any(c.strip() for c in celdas):
                    yield numero, celdas
        except csv.Error as error:
            raise ArchivoInvalido(
                _("El CSV no se puede leer cerca de la fila %(fila)s: %(error)s.")
                % {"fila": numero + 1, "error": error}
            ) from error

    return Hoja(nombre_hoja, [c.strip() for c in encabezado], filas())


# --- XLSX ------------------------------------------------------------------------------------


def _comprobar_zip(archivo):
    if not zipfile.is_zipfile(archivo):
        raise ArchivoInvalido(
            _(
                "El archivo no es un libro de Excel (.xlsx) válido: ábralo en su hoja de "
                "cálculo y guárdelo como «Libro de Excel (.xlsx)»."
            )
        )
    archivo.seek(0)
    with zipfile.ZipFile(archivo) as zf:
        total = 0
        for info in zf.infolist():
            total += info.file_size
            grande = info.file_size > 1 << 20
            if grande and info.file_size > MAX_PROPORCION * max(info.compress_size, 1):
                raise ArchivoInvalido(
                    _("El archivo está comprimido de forma sospechosa (bomba zip).")
                )
        if total > MAX_DESCOMPRIMIDO:
            raise ArchivoInvalido(_("El archivo descomprimido es demasiado grande."))
    archivo.seek(0)


def leer_xlsx(archivo, hojas: tuple[str, ...]) -> dict[str, Hoja]:
    import openpyxl
    from defusedxml import DefusedXmlException

    _comprobar_zip(archivo)
    try:
        libro = openpyxl.load_workbook(archivo, read_only=True, data_only=False)
    except DefusedXmlException as error:
        raise ArchivoInvalido(
            _("El archivo trae XML con entidades o DTD, que no se aceptan por seguridad.")
        ) from error
    except Exception as error:  # openpyxl raises many kinds for a broken package
        raise ArchivoInvalido(
            _("El archivo no es un libro de Excel (.xlsx) válido (%(error)s).")
            % {"error": type(error).__name__}
        ) from error
    nombres = {normalizar(n): n for n in libro.sheetnames}
    resultado = {}
    for nombre in hojas:
        real = nombres.get(normalizar(nombre))
        if real is None and nombre == hojas[0] and len(libro.sheetnames) == 1:
            real = libro.sheetnames[0]
        if real is not None:
            resultado[nombre] = _hoja_xlsx(libro[real], nombre)
    if hojas[0] not in resultado:
        raise ArchivoInvalido(
            _("El libro no tiene la hoja «%(hoja)s» (tiene: %(hojas)s).")
            % {"hoja": hojas[0], "hojas": ", ".join(libro.sheetnames)}
        )
    return resultado


def _hoja_xlsx(hoja, nombre: str) -> Hoja:
    from defusedxml import DefusedXmlException

    filas = hoja.iter_rows()
    try:
        primera = next(filas, ())
    except DefusedXmlException as error:
        raise ArchivoInvalido(
            _("El archivo trae XML con entidades o DTD, que no se aceptan por seguridad.")
        ) from error
    encabezado = [str(c.value).strip() if c.value is not None else "" for c in primera]
    while encabezado and not encabezado[-1]:
        encabezado.pop()
    resultado = Hoja(nombre, encabezado, iter(()))
    try:
        resultado.total = max(hoja.max_row - 1, 0) if hoja.max_row else None
    except (TypeError, ValueError):
        resultado.total = None

    def leer_filas():
        try:
            for celdas in filas:
                numero, valores = _valores(celdas, resultado.formulas)
                if numero is not None and any(v not in (None, "") for v in valores):
                    yield numero, valores
        except DefusedXmlException as error:
            raise ArchivoInvalido(
                _("El archivo trae XML con entidades o DTD, que no se aceptan por seguridad.")
            ) from error
        except (zipfile.BadZipFile, EOFError, ValueError, KeyError) as error:
            raise ArchivoInvalido(
                _("El libro está dañado (%(error)s).") % {"error": type(error).__name__}
            ) from error

    resultado.filas = leer_filas()
    return resultado


def _valores(celdas, formulas: set) -> tuple[int | None, list]:
    """A read-only row's number and values; formula cells noted in ``formulas``."""
    valores = []
    numero = None
    for celda in celdas:
        numero = getattr(celda, "row", numero)
        if getattr(celda, "data_type", None) == "f":
            formulas.add((numero, len(valores)))
        valores.append(celda.value)
    return numero, valores


# --- Cells -----------------------------------------------------------------------------------

FECHA_DMA = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
FECHA_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
HORA = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
SI = {"si", "s", "1", "true", "verdadero", "x", "yes", "y"}
NO = {"no", "n", "0", "false", "falso", ""}


def vacia(valor) -> bool:
    return valor is None or (isinstance(valor, str) and not valor.strip())


def a_texto(valor) -> str:
    """A cell as text: trimmed; one leading apostrophe (the export's formula guard) dropped;
    whole numbers a spreadsheet turned into floats (7.0) read as they were typed (7)."""
    if valor is None:
        return ""
    if isinstance(valor, float) and valor.is_integer():
        valor = int(valor)
    if isinstance(valor, datetime.datetime):
        valor = valor.date() if valor.time() == datetime.time() else valor
    if isinstance(valor, datetime.date) and not isinstance(valor, datetime.datetime):
        return valor.strftime("%d/%m/%Y")
    texto = str(valor)
    if "\x00" in texto:
        raise ValidationError(_("Contiene caracteres nulos (NUL), que no se aceptan."))
    if len(texto) > MAX_CELDA:
        raise ValidationError(
            _("Tiene %(largo)s caracteres; se admiten como máximo %(maximo)s.")
            % {"largo": len(texto), "maximo": MAX_CELDA}
        )
    texto = texto.strip()
    return texto[1:] if texto.startswith("'") else texto


def a_fecha(valor) -> datetime.date | None:
    """dd/mm/aaaa, aaaa-mm-dd, a real spreadsheet date or its serial number."""
    if vacia(valor):
        return None
    if isinstance(valor, datetime.datetime):
        return valor.date()
    if isinstance(valor, datetime.date):
        return valor
    if isinstance(valor, int | float) and not isinstance(valor, bool):
        if 1 <= valor < 2_958_466:  # Excel's 31/12/9999
            return EPOCA_EXCEL + datetime.timedelta(days=int(valor))
    texto = a_texto(valor)
    if m := FECHA_DMA.match(texto):
        dia, mes, ano = (int(g) for g in m.groups())
    elif m := FECHA_ISO.match(texto):
        ano, mes, dia = (int(g) for g in m.groups())
    else:
        raise ValidationError(
            _("«%(valor)s» no es una fecha: escríbala dd/mm/aaaa.") % {"valor": texto[:40]}
        )
    try:
        return datetime.date(ano, mes, dia)
    except ValueError as error:
        raise ValidationError(
            _("%(valor)s no es una fecha del calendario.") % {"valor": texto}
        ) from error


def a_hora(valor) -> datetime.time | None:
    """HH:MM, a real spreadsheet time or its fraction of a day (rounded to the minute)."""
    if vacia(valor):
        return None
    if isinstance(valor, datetime.datetime):
        return valor.time().replace(second=0, microsecond=0)
    if isinstance(valor, datetime.time):
        return valor.replace(second=0, microsecond=0)
    if isinstance(valor, datetime.timedelta):
        valor = valor.total_seconds() / 86400
    if isinstance(valor, int | float) and not isinstance(valor, bool) and 0 <= valor < 1:
        minutos = round(valor * 24 * 60)
        if minutos < 24 * 60:
            return datetime.time(minutos // 60, minutos % 60)
    texto = a_texto(valor)
    m = HORA.match(texto)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return datetime.time(int(m.group(1)), int(m.group(2)))
    raise ValidationError(
        _("«%(valor)s» no es una hora: escríbala HH:MM (por ejemplo 14:30).")
        % {"valor": texto[:40]}
    )


def a_entero(valor) -> int | str | None:
    """A whole number; what is not one goes on as text, for the form to name the problem."""
    if vacia(valor):
        return None
    if isinstance(valor, bool):
        return int(valor)
    if isinstance(valor, int):
        return valor
    if isinstance(valor, float) and valor.is_integer():
        return int(valor)
    texto = a_texto(valor)
    return int(texto) if texto.lstrip("-").isdigit() else texto


def a_decimal(valor) -> Decimal | None:
    """A decimal number written with a comma or a dot (2,5 or 2.5)."""
    if vacia(valor):
        return None
    if isinstance(valor, int | float) and not isinstance(valor, bool):
        return Decimal(str(round(valor, 6))).normalize()
    texto = a_texto(valor).replace(" ", "")
    if "," in texto:
        texto = texto.replace(".", "").replace(",", ".")
    try:
        return Decimal(texto)
    except InvalidOperation as error:
        raise ValidationError(_("«%(valor)s» no es un número.") % {"valor": texto[:40]}) from error


def a_booleano(valor) -> bool:
    """Sí/No, 1/0, true/false, x/empty."""
    if isinstance(valor, bool):
        return valor
    if isinstance(valor, int | float) and valor in (0, 1):
        return bool(valor)
    texto = normalizar(a_texto(valor))
    if texto in SI:
        return True
    if texto in NO:
        return False
    raise ValidationError(_("«%(valor)s» no es Sí ni No.") % {"valor": a_texto(valor)[:40]})


def a_opcion(valor, opciones) -> str:
    """A choice by its label or its value (accents and case ignored)."""
    texto = normalizar(a_texto(valor))
    for clave, etiqueta in opciones.choices:
        if texto in (normalizar(clave), normalizar(str(etiqueta))):
            return clave
    raise ValidationError(
        _("«%(valor)s» no es una opción válida: %(opciones)s.")
        % {
            "valor": a_texto(valor)[:60],
            "opciones": ", ".join(str(e) for c, e in opciones.choices if c),
        }
    )
