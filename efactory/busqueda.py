"""Accent- and case-insensitive text search that behaves the same on PostgreSQL and SQLite.

Both databases evaluate ``f_unaccent(LOWER(text))``:

* on PostgreSQL ``f_unaccent`` is an IMMUTABLE wrapper around the ``unaccent`` extension
  (created by ``cases`` migration 0003), so it can back trigram (``pg_trgm``) GIN indexes
  that ``LIKE '%term%'`` queries use;
* on SQLite it is a Python function registered on every new connection (below).

The search term itself is normalised in Python with the same rules, so "migracion",
"MIGRACIÓN" and "Migración" find the same rows.

Names sort the Spanish way on both databases through a collation named ``es`` (see
:data:`COLACION`): an ICU collation on PostgreSQL (created by ``customers`` migration 0004)
and, on SQLite, :func:`comparar_espanol` registered on every new connection (below).
"""

import functools
import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import Func, TextField
from django.db.models.lookups import In


def normalizar(texto: str | None) -> str:
    """Lower-case ``texto`` and strip its accents ("Ñandú" → "nandu")."""
    if not texto:
        return ""
    descompuesto = unicodedata.normalize("NFKD", str(texto).casefold())
    return "".join(c for c in descompuesto if not unicodedata.combining(c))


class Normalizado(Func):
    """SQL ``f_unaccent(LOWER(expr))``: the database side of :func:`normalizar`."""

    template = "f_unaccent(LOWER(%(expressions)s))"
    output_field = TextField()


class EnSubconsulta(In):
    """``lhs IN (subquery)`` that PostgreSQL can still serve from an index inside an OR.

    Inside an OR, PostgreSQL checks ``IN (SELECT …)`` row by row (a sequential scan of the
    table). Written ``lhs = ANY(ARRAY(SELECT …))`` the subquery runs once (an InitPlan) and a
    bitmap scan of an index on ``lhs`` joins the other branches' bitmap scans in a BitmapOr.
    Other databases get the plain ``IN``. Use it as a filter:
    ``Q(texto__contains=w) | EnSubconsulta(F("cliente_id"), clientes.values("pk"))``.
    """

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def terminos(consulta: str, maximo: int = 8) -> list[str]:
    """Split a free-text query into normalised words (at most ``maximo``, junk dropped)."""
    palabras = []
    for palabra in normalizar(consulta[:200]).split():
        palabra = palabra.strip(".,;:!?¿¡\"'()[]{}")
        if palabra and palabra not in palabras:
            palabras.append(palabra)
    return palabras[:maximo]


# The collation of the name columns (``db_collation=COLACION``): "Óptica" sorts between
# "Oficina" and "Pinturas", "ñ" after "n", lower and upper case together.
COLACION = "es"

# PostgreSQL: ICU's Spanish rules. Deterministic (ties broken by the bytes), so equality, LIKE
# and the trigram indexes behave as before.
SQL_COLACION_POSTGRESQL = (
    f"CREATE COLLATION IF NOT EXISTS \"{COLACION}\" (provider = icu, locale = 'es')"
)

_TRAS_N = "\U0010ffff"  # "ñ" is "n" followed by the highest code point: after "nz", before "o"
_TILDE = "\u0303"
# ICU's (CLDR root) order of ASCII punctuation and symbols; all of them sort before digits.
_SIGNOS = {c: chr(0x10 + i) for i, c in enumerate("_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$")}


@functools.lru_cache(maxsize=20_000)
def clave_espanol(texto: str) -> tuple:
    """Sort key of ``texto`` in the order of ICU's Spanish collation (PostgreSQL's "es").

    Levels, as ICU compares them: letters without accents or case, with "ñ" a letter of its
    own after "n", and spaces before punctuation and symbols before digits before letters;
    then accents ("Oscar" before "Óscar" when the rest is equal); then case (lower first);
    last the text
    itself, so that only equal strings compare equal (a deterministic collation: ``=``,
    ``UNIQUE`` and ``DISTINCT`` keep their meaning).

    Changing this function changes the order of SQLite indexes built with it: run
    ``REINDEX es`` on existing SQLite databases afterwards.
    """
    letras: list[list[str]] = []
    for c in unicodedata.normalize("NFD", texto):
        if unicodedata.combining(c) and letras:
            letras[-1][1] += c
        else:
            letras.append([c, ""])
    primario, acentos, mayusculas = [], [], []
    for base, marcas in letras:
        minuscula = base.casefold()
        if minuscula == "n" and _TILDE in marcas:
            primario.append("n" + _TRAS_N)
            marcas = marcas.replace(_TILDE, "", 1)
        elif base.isalnum():
            primario.append(minuscula)
        elif base.isspace():
            primario.append("\x01")
        else:
            primario.append(_SIGNOS.get(base, "\x0f" + base))
        acentos.append(marcas)
        mayusculas.append(base != minuscula)
    return "".join(primario), tuple(acentos), tuple(mayusculas), texto


def comparar_espanol(a: str, b: str) -> int:
    """SQLite collation ``es``: -1, 0 or 1 as ``a`` sorts before, with or after ``b``."""
    clave_a, clave_b = clave_espanol(a), clave_espanol(b)
    return (clave_a > clave_b) - (clave_a < clave_b)


def _registrar_en_sqlite(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("f_unaccent", 1, normalizar, deterministic=True)
        connection.connection.create_collation(COLACION, comparar_espanol)


connection_created.connect(_registrar_en_sqlite, dispatch_uid="efactory_f_unaccent_sqlite")
