"""The Historial of a case: who changed which field from what to what, rows included."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _

from efactory.numeros import decimal_local

from .models import Actividad, Caso

OCULTOS = {"version", "minutos", "busqueda", "actualizado_en", "creado_en", "id", "caso"}
VENTANA = datetime.timedelta(seconds=5)


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


def _formatear(modelo, nombre: str, valor, nombres: dict) -> str:
    if valor in (None, ""):
        return "—"
    campo = modelo._meta.get_field(nombre)
    if campo.choices:
        return str(dict(campo.flatchoices).get(valor, valor))
    if isinstance(campo, models.ForeignKey):
        return nombres.get((campo.related_model, valor), f"#{valor}")
    if isinstance(campo, models.BooleanField):
        return _("Sí") if valor else _("No")
    if isinstance(valor, datetime.date):
        return formats.date_format(valor, "SHORT_DATE_FORMAT")
    if isinstance(valor, datetime.time):
        return valor.strftime("%H:%M")
    if isinstance(valor, Decimal):
        return decimal_local(valor, campo.decimal_places)
    return str(valor)


def _nombres_relacionados(modelo, registros) -> dict:
    """(related model, pk) → readable name, in one query per related model."""
    ids: dict = {}
    for campo in modelo._meta.fields:
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
        "fecha": formats.date_format(registro.fecha, "SHORT_DATE_FORMAT"),
        "inicio": registro.hora_inicio.strftime("%H:%M"),
        "fin": registro.hora_fin.strftime("%H:%M"),
    }


def _entradas(modelo, registros, etiqueta, nombres) -> list[Entrada]:
    """Entries of one model's history records (ordered oldest first per object)."""
    anteriores: dict = {}
    entradas = []
    # Raw column values (ejecutor_id, not the Ejecutor): no query per record.
    campos = {f.name: f.attname for f in modelo._meta.fields if f.name not in OCULTOS}
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
                        str(modelo._meta.get_field(c).verbose_name),
                        "",
                        _formatear(modelo, c, getattr(registro, campos[c]), nombres),
                    )
                    for c in ("descripcion", "ejecutor", "facturable")
                ]
        elif registro.history_type == "-":
            tipo, cambios = "-", []
        else:
            tipo = "~"
            cambios = [
                Cambio(
                    str(modelo._meta.get_field(c).verbose_name),
                    _formatear(modelo, c, getattr(previo, a), nombres),
                    _formatear(modelo, c, getattr(registro, a), nombres),
                )
                for c, a in campos.items()
                if getattr(previo, a) != getattr(registro, a)
            ]
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
    nombres = _nombres_relacionados(Caso, registros_caso)
    nombres.update(_nombres_relacionados(Actividad, registros_act))
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
