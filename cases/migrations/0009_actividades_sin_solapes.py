"""An ejecutor cannot be in two places at once: no overlapping activities across cases.

The editor's formset says so in Spanish next to the row; the database keeps the rule when
two saves arrive at the same moment, or when something writes around the forms:

* PostgreSQL: an exclusion constraint over (ejecutor, [fecha + hora_inicio, fecha +
  hora_fin)) with btree_gist, deferred to the end of the transaction so that a save which
  swaps two rows of one case does not trip over its own half-written state.
* SQLite cannot defer a check: triggers refuse a row that overlaps a row of *another* case
  of the same ejecutor. Inside one case, the editor's rule and the case's version (writers
  of one case are serialized by it) keep the invariant; SQLite also runs one writer at a
  time, so two saves cannot both miss each other.

Touching ends (10:00–11:00, 11:00–12:00) are fine: the ranges are half-open.
"""

from django.db import migrations, models

PG_CREAR = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE cases_actividad ADD CONSTRAINT actividad_sin_solapes
    EXCLUDE USING gist (
        ejecutor_id WITH =,
        tsrange(fecha + hora_inicio, fecha + hora_fin) WITH &&
    ) DEFERRABLE INITIALLY DEFERRED;
"""
PG_BORRAR = "ALTER TABLE cases_actividad DROP CONSTRAINT IF EXISTS actividad_sin_solapes;"

# RAISE(ABORT, …) inside a trigger surfaces as an IntegrityError in Django.
SQLITE_CONDICION = """
    SELECT RAISE(ABORT, 'actividad_sin_solapes')
    WHERE EXISTS (
        SELECT 1 FROM cases_actividad otra
        WHERE otra.ejecutor_id = NEW.ejecutor_id
          AND otra.fecha = NEW.fecha
          AND otra.caso_id <> NEW.caso_id
          AND otra.hora_inicio < NEW.hora_fin
          AND NEW.hora_inicio < otra.hora_fin
    );
"""
SQLITE_CREAR = [
    "CREATE TRIGGER IF NOT EXISTS actividad_sin_solapes_insert "
    f"BEFORE INSERT ON cases_actividad BEGIN {SQLITE_CONDICION} END;",
    "CREATE TRIGGER IF NOT EXISTS actividad_sin_solapes_update "
    "BEFORE UPDATE OF ejecutor_id, fecha, hora_inicio, hora_fin, caso_id ON cases_actividad "
    f"BEGIN {SQLITE_CONDICION} END;",
]
SQLITE_BORRAR = [
    "DROP TRIGGER IF EXISTS actividad_sin_solapes_insert;",
    "DROP TRIGGER IF EXISTS actividad_sin_solapes_update;",
]

SOLAPES_EXISTENTES = """
SELECT a.id, b.id, a.ejecutor_id, a.fecha
FROM cases_actividad a
JOIN cases_actividad b
  ON b.ejecutor_id = a.ejecutor_id AND b.fecha = a.fecha AND b.id > a.id
 AND b.hora_inicio < a.hora_fin AND a.hora_inicio < b.hora_fin
LIMIT 20
"""


def crear(apps, schema_editor):
    conexion = schema_editor.connection
    if conexion.vendor == "postgresql":
        with conexion.cursor() as cursor:
            cursor.execute(SOLAPES_EXISTENTES)
            solapes = cursor.fetchall()
        if solapes:
            lista = "; ".join(
                f"actividades {a} y {b} (ejecutor {e}, {f:%d/%m/%Y})" for a, b, e, f in solapes
            )
            raise RuntimeError(
                "Hay actividades del mismo ejecutor que se solapan en el tiempo; corríjalas "
                f"(en el editor de cada caso o en el admin) y vuelva a migrar. Por ejemplo: {lista}"
            )
        schema_editor.execute(PG_CREAR)
    elif conexion.vendor == "sqlite":
        for sql in SQLITE_CREAR:
            schema_editor.execute(sql)


def borrar(apps, schema_editor):
    conexion = schema_editor.connection
    if conexion.vendor == "postgresql":
        schema_editor.execute(PG_BORRAR)
    elif conexion.vendor == "sqlite":
        for sql in SQLITE_BORRAR:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_completado_en")]

    operations = [
        migrations.AddIndex(
            model_name="actividad",
            index=models.Index(fields=["ejecutor", "fecha"], name="actividad_ejecutor_fecha_idx"),
        ),
        migrations.RunPython(crear, borrar),
    ]
