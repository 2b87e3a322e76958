"""Bulk writes that cost what the database costs (the import's writes, cases/services.py).

Django's ``bulk_update()`` writes ``SET campo = CASE WHEN id = 1 THEN … WHEN id = 2 THEN …``
for every field: compiling a CASE of 250 WHENs per field took longer than running it. On
PostgreSQL :class:`GestorMasivo` sends the new values with COPY to a temporary table and
runs one ``UPDATE … FROM`` it (a statement of 15,000 parameters, before, cost the driver
more to parse than the database to run). Other databases keep ``bulk_update()``.

It is a manager so that simple-history's ``bulk_update_with_history(manager=…)`` writes
through it and then records the history, which :class:`HistorialMasivo` writes with COPY.
"""

import datetime
import decimal
import itertools

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone
from simple_history.manager import HistoryManager
from simple_history.utils import get_change_reason_from_object

_TABLAS = itertools.count()  # the temporary tables' names within one process


class GestorMasivo(models.Manager):
    """A manager of ``modelo`` whose bulk_update() is the one above."""

    def __init__(self, modelo):
        super().__init__()
        self.model = modelo
        self.name = "masivo"

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        alias = router.db_for_write(self.model)
        conexion = connections[alias]
        if conexion.vendor != "postgresql" or not objs:
            return self.get_queryset().using(alias).bulk_update(objs, fields, batch_size)
        opciones = self.model._meta
        campos = [opciones.get_field(nombre) for nombre in fields]
        columnas = [opciones.pk, *campos]
        q = conexion.ops.quote_name
        tabla = q(f"masivo_{opciones.db_table}_{next(_TABLAS)}")
        nombres = ", ".join(q(c.column) for c in columnas)
        pk = q(opciones.pk.column)
        como_campos = frozenset(campos)  # Field.__eq__ over a list cost a tenth of it all
        with transaction.atomic(using=alias, savepoint=False), conexion.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {tabla} ("
                + ", ".join(f"{q(c.column)} {c.db_type(conexion)}" for c in columnas)
                + ") ON COMMIT DROP"
            )
            with cursor.cursor.copy(f"COPY {tabla} ({nombres}) FROM STDIN") as copia:
                for obj in objs:
                    # As bulk_update(): related objects saved since, their ids taken.
                    obj._prepare_related_fields_for_save("bulk_update", fields=como_campos)
                    copia.write_row(
                        [_valor(c, getattr(obj, c.attname), conexion) for c in columnas]
                    )
            cursor.execute(
                f"UPDATE {q(opciones.db_table)} AS t SET "
                + ", ".join(f"{q(c.column)} = v.{q(c.column)}" for c in campos)
                + f" FROM {tabla} AS v WHERE t.{pk} = v.{pk}"
            )
            filas = cursor.rowcount
            cursor.execute(f"DROP TABLE {tabla}")
        return filas


# Values psycopg writes as they are, as get_db_prep_save() would hand them over on
# PostgreSQL; any other value (a lazy text, a dict for a JSON column, a Choices member…) goes
# through its field's get_db_prep_save() first, as bulk_update() and bulk_create() do.
_DIRECTOS = frozenset(
    {str, int, bool, float, decimal.Decimal, datetime.date, datetime.datetime, datetime.time}
)


def _valor(campo, valor, conexion):
    if valor is None or type(valor) in _DIRECTOS:
        return valor
    return campo.get_db_prep_save(valor, conexion)


_CAMPOS_DEL_HISTORIAL = {
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


class HistorialMasivo(HistoryManager):
    """simple-history's manager of a model's history, whose ``bulk_history_create()`` (what
    ``bulk_create_with_history`` and ``bulk_update_with_history`` call) writes the records
    with PostgreSQL's COPY.

    simple-history builds a historical model instance per record and ``bulk_create()``s
    them: compiling that INSERT (a parameter per value, Django's conversion of each, the
    driver's parsing of a statement of 15,000 parameters) was a third of an import's
    writing, the part no worker process can take. COPY sends the same rows as data: the
    same values (the tracked fields, ``history_date``, ``history_user``,
    ``history_change_reason``, ``history_type``, read as simple-history reads them), one
    statement. Other databases, custom historical attributes or fields it does not know
    go simple-history's way. It returns the number of records written (simple-history
    returns the instances, which no caller here reads).
    """

    def bulk_history_create(
        self,
        objs,
        batch_size=None,
        update=False,
        default_user=None,
        default_change_reason="",
        default_date=None,
        custom_historical_attrs=None,
    ):
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return None
        historico = self.model
        conexion = connections[router.db_for_write(historico)]
        rastreados = [f.attname for f in historico.tracked_fields]
        columnas = [f for f in historico._meta.concrete_fields if not f.primary_key]
        propios = {f.attname for f in columnas} - set(rastreados) - _CAMPOS_DEL_HISTORIAL
        if conexion.vendor != "postgresql" or custom_historical_attrs or propios:
            return super().bulk_history_create(
                objs,
                batch_size=batch_size,
                update=update,
                default_user=default_user,
                default_change_reason=default_change_reason,
                default_date=default_date,
                custom_historical_attrs=custom_historical_attrs,
            )
        ahora = default_date or timezone.now()
        tipo = "~" if update else "+"
        q = conexion.ops.quote_name
        sql = (
            f"COPY {q(historico._meta.db_table)} "
            f"({', '.join(q(f.column) for f in columnas)}) FROM STDIN"
        )
        escritos = 0
        with conexion.cursor() as cursor, cursor.cursor.copy(sql) as copia:
            for obj in objs:
                usuario = getattr(
                    obj, "_history_user", default_user or historico.get_default_history_user(obj)
                )
                valores = {
                    "history_date": getattr(obj, "_history_date", ahora),
                    "history_change_reason": get_change_reason_from_object(obj)
                    or default_change_reason,
                    "history_type": tipo,
                    "history_user_id": None if usuario is None else usuario.pk,
                }
                fila = []
                for campo in columnas:
                    nombre = campo.attname
                    valor = valores[nombre] if nombre in valores else getattr(obj, nombre)
                    fila.append(_valor(campo, valor, conexion))
                copia.write_row(fila)
                escritos += 1
        return escritos
