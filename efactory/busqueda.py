"""Accent- and case-insensitive text search that behaves the same on PostgreSQL and SQLite.

Both databases evaluate ``f_unaccent(LOWER(text))``:

* on PostgreSQL ``f_unaccent`` is an IMMUTABLE wrapper around the ``unaccent`` extension
  (created by ``cases`` migration 0003), so it can back trigram (``pg_trgm``) GIN indexes
  that ``LIKE '%term%'`` queries use;
* on SQLite it is a Python function registered on every new connection (below).

The search term itself is normalised in Python with the same rules, so "migracion",
"MIGRACIÓN" and "Migración" find the same rows.
"""

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import Func, TextField


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


def terminos(consulta: str, maximo: int = 8) -> list[str]:
    """Split a free-text query into normalised words (at most ``maximo``, junk dropped)."""
    palabras = []
    for palabra in normalizar(consulta[:200]).split():
        palabra = palabra.strip(".,;:!?¿¡\"'()[]{}")
        if palabra and palabra not in palabras:
            palabras.append(palabra)
    return palabras[:maximo]


def _registrar_en_sqlite(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("f_unaccent", 1, normalizar, deterministic=True)


connection_created.connect(_registrar_en_sqlite, dispatch_uid="efactory_f_unaccent_sqlite")
