"""Spreadsheets people upload: CSV and XLSX read safely, row by row, and their cells read
the way a person typed them or a spreadsheet program rewrote them.

Reading (:func:`leer`):

- **CSV** in UTF-8 (with or without BOM) or Windows-1252, split on ``,`` or ``;`` (the one
  the header line uses most); its rows are counted first (``Hoja.total``), so that a file
  over a row limit is refused before any row is validated;
- **XLSX** through python-calamine, values only (see :func:`leer_xlsx`); before that, the
  zip's own directory is checked so that a zip bomb is refused without inflating it, and
  every XML part is scanned so that a document type or entities (the billion-laughs
  attack) are refused, as defusedxml would.

Anything that is not such a file raises :class:`ArchivoInvalido` with a Spanish message for
the person who uploaded it. Cells are turned into values by the ``a_*`` functions, which
raise ``ValidationError`` with the message to show next to the cell.
"""

import codecs
import csv
import datetime
import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
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
    # (row, column index) → the formula, of the cells that hold one
    formulas: dict = field(default_factory=dict)
    real: str = ""  # the sheet's name in the file
    # Data rows: a CSV's exact count; an XLSX's dimension, which the file may overstate
    # (formatted empty rows), misstate or leave out (None).
    total: int | None = None
    contar: Callable[[], int] | None = None  # the exact count (an XLSX: one more pass)
    # The rows again, from the first, as ``filas`` yields them (another pass, which leaves
    # ``filas`` where it is).
    releer: Callable[[], Iterator[tuple[int, list]]] | None = None

    def filas_exactas(self) -> int:
        """The number of non-empty data rows, read from the file when it only estimates it."""
        return self.contar() if self.contar is not None else (self.total or 0)


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


def _filas_csv(texto, separador: str) -> Iterator[tuple[int, list]]:
    """The non-empty rows after the header, with the number a spreadsheet shows."""
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


def _texto_csv(archivo, codificacion: str) -> tuple[io.TextIOWrapper, str]:
    """The file as text, positioned after its header line; and that line."""
    archivo.seek(0)
    texto = io.TextIOWrapper(archivo, encoding=codificacion, errors="replace", newline="")
    return texto, texto.readline()


def leer_csv(archivo, nombre_hoja: str) -> Hoja:
    """The CSV's one sheet. Its rows are counted first (one fast pass, no validation), so
    that a file over a row limit is refused before its rows are read one by one."""
    codificacion = _codificacion(archivo)
    texto, primera = _texto_csv(archivo, codificacion)
    if "\x00" in primera:
        raise ArchivoInvalido(_("El archivo contiene bytes nulos (NUL): no es un CSV de texto."))
    separador = ";" if primera.count(";") > primera.count(",") else ","
    encabezado = next(csv.reader([primera], delimiter=separador), [])
    if not any(c.strip() for c in encabezado):
        raise ArchivoInvalido(_("La primera fila del archivo debe traer los encabezados."))
    total = sum(1 for _fila in _filas_csv(texto, separador))
    texto.detach()
    texto, _primera = _texto_csv(archivo, codificacion)
    hoja = Hoja(nombre_hoja, [c.strip() for c in encabezado], _filas_csv(texto, separador))
    hoja.total = total
    hoja.releer = lambda: _releer_csv(archivo, codificacion, separador)
    return hoja


def _releer_csv(archivo, codificacion: str, separador: str) -> Iterator[tuple[int, list]]:
    """The CSV's rows once more, through a reader of its own; the file is left where the
    sheet's own reader had it."""
    posicion = archivo.tell()
    texto, _primera = _texto_csv(archivo, codificacion)
    try:
        yield from _filas_csv(texto, separador)
    finally:
        texto.detach()
        archivo.seek(posicion)


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


ENTIDADES = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
BLOQUE = 1 << 20


def _revisar_xml(zf: zipfile.ZipFile) -> bool:
    """Refuse XML with a document type or entities (defusedxml's policy: the billion-laughs
    attack lives there), reading every part of the package in blocks; return whether a
    worksheet holds a formula."""
    con_formulas = False
    for info in zf.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue
        hoja = info.filename.startswith("xl/worksheets/")
        cola = b""
        with zf.open(info) as parte:
            while bloque := parte.read(BLOQUE):
                texto = cola + bloque
                if ENTIDADES.search(texto):
                    raise ArchivoInvalido(
                        _(
                            "El archivo trae XML con entidades o DTD, que no se aceptan por "
                            "seguridad."
                        )
                    )
                con_formulas = con_formulas or bool(hoja and FORMULA.search(texto))
                cola = texto[-16:]
    return con_formulas


def leer_xlsx(archivo, hojas: tuple[str, ...]) -> dict[str, Hoja]:
    """The sheets of an XLSX, read by python-calamine (a Rust reader, ten times faster
    than openpyxl: 1.8 s instead of 19.5 s for 10,000 cases with 37,000 activities).

    Before it touches the file: the zip's directory (a bomb is refused without inflating
    it) and every XML part (a DTD or entities are refused). Calamine reads values only, so
    where a worksheet holds formulas openpyxl finds their cells (rare: an export has none).
    """
    from python_calamine import CalamineWorkbook

    _comprobar_zip(archivo)
    with zipfile.ZipFile(archivo) as zf:
        con_formulas = _revisar_xml(zf)
    archivo.seek(0)
    try:
        libro = CalamineWorkbook.from_filelike(archivo)
    except Exception as error:  # calamine raises its own kinds for a broken package
        raise ArchivoInvalido(
            _("El archivo no es un libro de Excel (.xlsx) válido (%(error)s).")
            % {"error": type(error).__name__}
        ) from error
    nombres = {normalizar(n): n for n in libro.sheet_names}
    otras = {normalizar(n) for n in hojas[1:]}
    resultado = {}
    for nombre in hojas:
        real = nombres.get(normalizar(nombre))
        unica = libro.sheet_names[0] if len(libro.sheet_names) == 1 else None
        if real is None and nombre == hojas[0] and unica and normalizar(unica) not in otras:
            real = unica  # a single sheet of another name (Hoja1) is the first one
        if real is not None:
            resultado[nombre] = _hoja_xlsx(libro, real, nombre)
    if hojas[0] not in resultado:
        raise ArchivoInvalido(
            _("El libro no tiene la hoja «%(hoja)s» (tiene: %(hojas)s).")
            % {"hoja": hojas[0], "hojas": ", ".join(libro.sheet_names)}
        )
    if con_formulas:
        archivo.seek(0)
        _buscar_formulas(archivo, resultado)
    return resultado


def _danado(error: Exception) -> ArchivoInvalido:
    return ArchivoInvalido(
        _("El libro está dañado: ábralo en su hoja de cálculo y guárdelo de nuevo.")
    )


def _hoja_xlsx(libro, nombre_real: str, nombre: str) -> Hoja:
    try:
        hoja = libro.get_sheet_by_name(nombre_real)
        filas = hoja.iter_rows()
        primera = next(filas, [])
    except Exception as error:  # calamine's parsing errors
        raise _danado(error) from error
    inicio = (hoja.start or (0, 0))[0] + 1  # the header's row number
    encabezado = [str(c).strip() if c not in (None, "") else "" for c in primera]
    while encabezado and not encabezado[-1]:
        encabezado.pop()
    resultado = Hoja(nombre, encabezado, _filas_xlsx(filas, inicio))
    resultado.real = nombre_real
    resultado.total = max(hoja.height - 1, 0)
    # (Closures over the calamine sheet, not over the Hoja: no cycle keeps the sheet alive
    # once its reader lets the Hoja go.)
    releer = resultado.releer = lambda: _filas_xlsx(_sin_encabezado(hoja), inicio)
    resultado.contar = lambda: sum(1 for _fila in releer())
    return resultado


def _sin_encabezado(hoja):
    filas = hoja.iter_rows()
    next(filas, None)
    return filas


def _filas_xlsx(filas, inicio: int) -> Iterator[tuple[int, list]]:
    """The non-empty rows after the header, with the number a spreadsheet shows."""
    numero = inicio
    for celdas in filas:
        numero += 1
        if any(c not in (None, "") for c in celdas):
            yield numero, celdas


def _buscar_formulas(archivo, hojas: dict[str, Hoja]):
    """Note the (row, column) of every formula cell of the sheets read (openpyxl, read-only:
    calamine gives only the values)."""
    import openpyxl

    try:
        libro = openpyxl.load_workbook(archivo, read_only=True, data_only=False)
        for hoja in hojas.values():
            hoja_real = libro[hoja.real]
            primera = hoja_real.min_column or 1
            for fila in hoja_real.iter_rows():
                for celda in fila:
                    if getattr(celda, "data_type", None) == "f":
                        hoja.formulas[(celda.row, celda.column - primera)] = str(celda.value)
    except Exception as error:  # only openpyxl's parsing runs here
        raise _danado(error) from error


# --- Cells -----------------------------------------------------------------------------------

FECHA_DMA = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
FECHA_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
HORA = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
SI = {"si", "s", "1", "true", "verdadero", "x", "yes", "y"}
NO = {"no", "n", "0", "false", "falso", ""}


class Formula:
    """A cell that holds a formula (``=1+2``) where a value is expected: the ``a_*``
    functions refuse it, naming it. Whoever reads the rows wraps such cells in it (those of
    ``Hoja.formulas``; in a CSV, a text that starts with ``=``)."""

    def __init__(self, texto):
        self.texto = str(texto)

    def __str__(self):
        return self.texto


def vacia(valor) -> bool:
    return valor is None or (isinstance(valor, str) and not valor.strip())


def a_texto(valor) -> str:
    """A cell as text: trimmed; one leading apostrophe (the export's formula guard) dropped;
    whole numbers a spreadsheet turned into floats (7.0) read as they were typed (7)."""
    if valor is None:
        return ""
    if isinstance(valor, Formula):
        raise ValidationError(
            _("Es una fórmula (%(formula)s): escriba el valor, no la fórmula.")
            % {"formula": valor.texto[:40]}
        )
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


def _claves(opciones, idioma) -> dict[str, str]:
    """{normalized label or value: value} of a choices class, in the active language."""
    claves = {}
    for clave, etiqueta in opciones.choices:
        claves.setdefault(normalizar(clave), clave)
        claves.setdefault(normalizar(str(etiqueta)), clave)
    return claves


_claves_en_cache = functools.lru_cache(maxsize=64)(_claves)


def a_opcion(valor, opciones) -> str:
    """A choice by its label or its value (accents and case ignored)."""
    texto = normalizar(a_texto(valor))
    clave = _claves_en_cache(opciones, get_language()).get(texto)
    if clave is not None:
        return clave
    raise ValidationError(
        _("«%(valor)s» no es una opción válida: %(opciones)s.")
        % {
            "valor": a_texto(valor)[:60],
            "opciones": ", ".join(str(e) for c, e in opciones.choices if c),
        }
    )
