"""The Historial of a case: who changed which field from what to what, rows included.

django-simple-history's ``diff_against()`` says which fields of a record differ from the
object's previous record; efactory/formato.py says how each value reads. The diff keeps
foreign keys as raw keys (``foreign_keys_are_objs=False``), named afterwards from one query
per related model for the whole page: the page costs the same queries for 5 records or 500.
"""

import datetime
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _

from efactory.formato import fecha, hora, valor_de_campo

from .models import Actividad, Caso

OCULTOS = {"version", "minutos", "busqueda", "actualizado_en", "creado_en", "id", "caso"}
# Fields a model keeps out of its history (HistoricalRecords(excluded_fields=…)).
SIN_HISTORIA = {"actividad": {"cliente"}}


def campos(modelo) -> list:
    """The model's fields that its history records."""
    fuera = SIN_HISTORIA.get(modelo._meta.model_name, set())
    return [f for f in modelo._meta.fields if f.name not in fuera]


VENTANA = datetime.timedelta(seconds=5)
# What a new activity row shows (its other fields are in its title).
AL_AGREGAR_ACTIVIDAD = ("descripcion", "ejecutor", "facturable")


@dataclass
class Cambio:
    campo: str
    antes: str
    despues: str


@dataclass
class Entrada:
    """One historical record shown: the case or one of its activity rows."""

    fecha: datetime.datetime
    usuario: object
    tipo: str  # "+" created, "~" changed, "-" deleted, "=" first record without a previous one
    objeto: str
    cambios: list[Cambio] = field(default_factory=list)
    motivo: str = ""


@dataclass
class Guardado:
    """Entries made by one person at one moment (one save of the editor, one bulk action)."""

    fecha: datetime.datetime
    usuario: object
    entradas: list[Entrada] = field(default_factory=list)


def _no_editables(modelo) -> list:
    """Shown fields the system sets (numero, propietario, completado_en).

    ``diff_against()`` compares what ``model_to_dict()`` gives, which leaves non-editable
    fields out; these are compared apart so that, say, a completion still shows its moment.
    """
    return [f for f in campos(modelo) if not f.editable and f.name not in OCULTOS]


def _cambios(modelo, previo, registro, nombres) -> list[Cambio]:
    """The fields that differ between two consecutive records of one object, in the
    model's field order, as a person reads them."""
    delta = registro.diff_against(previo, excluded_fields=OCULTOS, foreign_keys_are_objs=False)
    valores = {cambio.field: (cambio.old, cambio.new) for cambio in delta.changes}
    for campo in _no_editables(modelo):
        antes, despues = getattr(previo, campo.attname), getattr(registro, campo.attname)
        if antes != despues:
            valores[campo.name] = (antes, despues)
    return [
        Cambio(
            str(campo.verbose_name),
            valor_de_campo(campo, valores[campo.name][0], nombres),
            valor_de_campo(campo, valores[campo.name][1], nombres),
        )
        for campo in campos(modelo)
        if campo.name in valores
    ]


def _nombres_relacionados(*historias) -> dict:
    """(related model, pk) → readable name, in one query per related model for the page.

    ``historias`` are (model, its history records) pairs: a case's and its rows' share the
    query of the ejecutores and of the artículos.
    """
    ids: dict = {}
    for modelo, registros in historias:
        for campo in campos(modelo):
            if isinstance(campo, models.ForeignKey) and campo.name not in OCULTOS:
                valores = {getattr(r, campo.attname) for r in registros} - {None}
                if valores:
                    ids.setdefault(campo.related_model, set()).update(valores)
    nombres = {}
    for relacionado, pks in ids.items():
        for obj in relacionado._default_manager.filter(pk__in=pks):
            nombres[(relacionado, obj.pk)] = str(getattr(obj, "nombre", None) or obj)
    return nombres


def _etiqueta_actividad(registro) -> str:
    return _("Actividad del %(fecha)s %(inicio)s–%(fin)s") % {
        "fecha": fecha(registro.fecha),
        "inicio": hora(registro.hora_inicio),
        "fin": hora(registro.hora_fin),
    }


def _entradas(modelo, registros, etiqueta, nombres) -> list[Entrada]:
    """Entries of one model's history records (ordered oldest first per object)."""
    anteriores: dict = {}
    entradas = []
    for registro in registros:
        previo = anteriores.get(registro.id)
        anteriores[registro.id] = registro
        if registro.history_type == "+" or previo is None:
            # A "~" with nothing before it: the row predates the history (bulk-loaded data).
            tipo = "+" if registro.history_type == "+" else "="
            cambios = []
            if tipo == "+" and modelo is Actividad:
                cambios = [
                    Cambio(
                        str(campo.verbose_name),
                        "",
                        valor_de_campo(campo, getattr(registro, campo.attname), nombres),
                    )
                    for campo in map(modelo._meta.get_field, AL_AGREGAR_ACTIVIDAD)
                ]
        elif registro.history_type == "-":
            tipo, cambios = "-", []
        else:
            tipo = "~"
            cambios = _cambios(modelo, previo, registro, nombres)
            if not cambios:
                continue  # saved without changes
        entradas.append(
            Entrada(
                fecha=registro.history_date,
                usuario=registro.history_user,
                tipo=tipo,
                objeto=etiqueta(registro),
                cambios=cambios,
                motivo=registro.history_change_reason or "",
            )
        )
    return entradas


def historial_de_caso(caso: Caso, limite: int = 500) -> list[Guardado]:
    """The case's history and its rows', newest first, grouped by save."""
    registros_caso = list(
        caso.history.select_related("history_user").order_by("history_date", "history_id")[:limite]
    )
    registros_act = list(
        Actividad.history.filter(caso_id=caso.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")[:limite]
    )
    nombres = _nombres_relacionados((Caso, registros_caso), (Actividad, registros_act))
    entradas = _entradas(Caso, registros_caso, lambda r: _("Caso"), nombres)
    entradas += _entradas(Actividad, registros_act, _etiqueta_actividad, nombres)
    entradas.sort(key=lambda e: e.fecha, reverse=True)
    guardados: list[Guardado] = []
    for entrada in entradas:
        ultimo = guardados[-1] if guardados else None
        if ultimo and ultimo.usuario == entrada.usuario and ultimo.fecha - entrada.fecha <= VENTANA:
            ultimo.entradas.append(entrada)
        else:
            guardados.append(Guardado(entrada.fecha, entrada.usuario, [entrada]))
    return guardados
