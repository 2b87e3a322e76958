"""Queries that every page runs, compiled to SQL once per process instead of once per request.

Turning a queryset into SQL is Python work that grows with the query's shape, not with its
rows: for the few small queries every page makes (the session, the user and their
permissions, the page's cases by their keys and their hours, the options of the filter
panel's small tables) it cost more than the database takes to answer them. A
:class:`Preparada` keeps the SQL of a query whose shape is fixed and runs it again with other
values; :class:`PreparadaDeModelos` does the same for model instances.

It is only used where it cannot change an answer:

* the query's values are exactly the SQL's parameters, in order (a list counts as its
  items: ``pk__in``; ``parametros`` says otherwise, e.g. for a value used twice). This is
  checked on every compilation: a query whose parameters differ from its values (a constant
  of its own, a value Django rewrites, as SQLite's dates) is compiled every time, as the ORM
  would;
* :class:`Preparada`'s rows are the cursor's tuples, without the ORM's converters: for
  columns the driver gives as they are (whole numbers and text). PreparadaDeModelos applies
  the converters, as the ORM does.

The key of the kept SQL is the database alias and the length of each list value, so the SQL
of a page of 25 cases and of 200 are kept apart.
"""

import threading
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators


def _parametros(valores) -> list:
    planos = []
    for valor in valores:
        if isinstance(valor, (list, tuple)):
            planos.extend(valor)
        else:
            planos.append(valor)
    return planos


class Preparada:
    """``construir(*valores)`` (a ``values_list`` queryset, rows as tuples) whose SQL is
    compiled once per database and list length; :meth:`filas` gives its rows."""

    def __init__(self, construir: Callable[..., QuerySet], parametros: Callable | None = None):
        self.construir = construir
        # The SQL's parameters for some values: the values themselves, a list as its items,
        # unless the query names one value more than once (``parametros`` says how).
        self.parametros = parametros or (lambda *valores: _parametros(valores))
        # (alias, lengths of the list values) → SQL, or None when it cannot be kept.
        self._sql: dict[tuple, str | None] = {}

    def filas(self, *valores, using: str) -> list[tuple]:
        sql, parametros, del_orm = self._preparar(valores, using)
        if sql is None:
            return del_orm
        with connections[using].cursor() as cursor:
            cursor.execute(sql, parametros)
            return cursor.fetchall()

    def _guardadas(self) -> dict:
        """(alias, lengths of the list values) → what is kept, or None when not reusable."""
        return self._sql

    def _preparar(self, valores, using: str):
        """(what is kept for these values, their SQL parameters, None), or, when the SQL
        cannot be reused, (None, None, the ORM's rows)."""
        if any(isinstance(v, (list, tuple)) and not v for v in valores):
            # An empty list: the ORM answers without asking the database.
            return None, None, list(self.construir(*valores).using(using))
        guardadas = self._guardadas()
        clave = (using, tuple(len(v) if isinstance(v, (list, tuple)) else -1 for v in valores))
        parametros = list(self.parametros(*valores))
        guardada = guardadas.get(clave)
        if guardada is None:
            consulta = self.construir(*valores).using(using)
            if clave not in guardadas:
                guardada = guardadas[clave] = self._compilar(consulta, parametros)
            if guardada is None:
                return None, None, list(consulta)
        return guardada, parametros, None

    def _compilar(self, consulta: QuerySet, parametros: list) -> str | None:
        """The SQL of ``consulta`` if it can be run again with other values, else None."""
        if consulta._iterable_class is not ValuesListIterable:
            # Rows of another shape (flat, named, model instances): the ORM's.
            return None
        sql, compilados = consulta.query.get_compiler(using=consulta.db).as_sql()
        return sql if list(compilados) == parametros else None


class PreparadaDeModelos(Preparada):
    """A :class:`Preparada` whose queryset gives model instances (its ``select_related``
    rows included): :meth:`filas` gives them as the queryset would.

    What the ORM works out while compiling (the columns, which model each belongs to, the
    converters of each value) is kept with the SQL; the rows are turned into instances
    exactly as Django's ``ModelIterable`` does. It is kept per thread, as the compiler that
    holds it belongs to its thread's connection.

    Only a plain queryset is kept: model instances, no ``prefetch_related``, no ``extra``
    columns; anything else is read by the ORM every time.
    """

    def __init__(self, construir: Callable[..., QuerySet], parametros: Callable | None = None):
        super().__init__(construir, parametros)
        self._hilos = threading.local()

    def _guardadas(self) -> dict:
        guardadas = getattr(self._hilos, "guardadas", None)
        if guardadas is None:
            guardadas = self._hilos.guardadas = {}
        return guardadas

    def filas(self, *valores, using: str) -> list:
        guardada, parametros, del_orm = self._preparar(valores, using)
        if guardada is None:
            return del_orm
        sql, compiler, modelo, inicio, fin, columnas, relacionados, anotaciones = guardada
        with connections[using].cursor() as cursor:
            cursor.execute(sql, parametros)
            resultado = cursor.fetchall()
        objetos = []
        for fila in compiler.results_iter([resultado]):
            objeto = modelo.from_db(using, columnas, fila[inicio:fin])
            for relacionado in relacionados:
                relacionado.populate(fila, objeto)
            for nombre, posicion in anotaciones.items():
                setattr(objeto, nombre, fila[posicion])
            objetos.append(objeto)
        return objetos

    def _compilar(self, consulta: QuerySet, parametros: list):
        """What ModelIterable works out before its first row, or None if not reusable."""
        query = consulta.query
        if (
            consulta._iterable_class is not ModelIterable
            or consulta._prefetch_related_lookups
            or consulta._known_related_objects
            or query.extra
        ):
            return None
        compiler = query.get_compiler(using=consulta.db)
        sql, compilados = compiler.as_sql()
        if list(compilados) != parametros or compiler.has_extra_select:
            return None
        klass_info = compiler.klass_info
        campos = klass_info["select_fields"]
        inicio, fin = campos[0], campos[-1] + 1
        columnas = [c[0].target.attname for c in compiler.select[inicio:fin]]
        return (
            sql,
            compiler,
            klass_info["model"],
            inicio,
            fin,
            columnas,
            get_related_populators(klass_info, compiler.select, consulta.db),
            compiler.annotation_col_map or {},
        )
