"""Stale edits: what changed under the user's feet, for the conflict panel of the editor."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.forms.models import model_to_dict
from django.utils import formats
from django.utils.translation import gettext as _

from efactory.numeros import decimal_local

from .models import Actividad, Caso
from .widgets import es_pk


class ConflictoDeVersion(Exception):
    """The case was saved by someone else after this page was loaded."""


@dataclass
class Diferencia:
    campo: str
    guardado: str
    mio: str


@dataclass
class Conflicto:
    usuario: object
    fecha: object
    version: int
    campos: list[Diferencia] = field(default_factory=list)
    filas: list[str] = field(default_factory=list)


def _texto(valor) -> str:
    if valor in (None, ""):
        return "—"
    if hasattr(valor, "isoformat") and not hasattr(valor, "hour"):
        return formats.date_format(valor, "SHORT_DATE_FORMAT")
    if hasattr(valor, "strftime") and hasattr(valor, "hour") and not hasattr(valor, "year"):
        return valor.strftime("%H:%M")
    if isinstance(valor, bool):
        return _("Sí") if valor else _("No")
    if isinstance(valor, Decimal):
        return decimal_local(valor)
    return str(valor)


def _mostrar(form_field, valor) -> str:
    """A submitted or stored value as the user reads it (choice labels, related names)."""
    if valor in (None, ""):
        return "—"
    choices = getattr(form_field, "choices", None)
    if choices is not None and not hasattr(form_field, "queryset"):
        return str(dict(form_field.choices).get(valor, valor))
    queryset = getattr(form_field, "queryset", None)
    if queryset is not None:
        if hasattr(valor, "pk"):
            return str(valor)
        # Only a submitted key is looked up: not text typed in the lupa box (TextoBuscado),
        # not "²" or "፩" (digits to str.isdigit(), not numbers to int()), not 25 nines.
        es_clave = isinstance(valor, str | int) and es_pk(valor)
        obj = queryset.model._default_manager.filter(pk=valor).first() if es_clave else None
        return str(obj) if obj else str(valor)
    return _texto(valor)


def ultimo_cambio(caso: Caso):
    """Who saved the case (or one of its rows) last, and when."""
    registros = [
        caso.history.select_related("history_user").order_by("-history_date").first(),
        Actividad.history.filter(caso_id=caso.pk)
        .select_related("history_user")
        .order_by("-history_date")
        .first(),
    ]
    registros = [r for r in registros if r is not None]
    if not registros:
        return None, caso.actualizado_en
    ultimo = max(registros, key=lambda r: r.history_date)
    return ultimo.history_user, ultimo.history_date


def describir(form, formset, actual: Caso) -> Conflicto:
    """Fields and rows where what the user submitted differs from what is stored now."""
    usuario, fecha = ultimo_cambio(actual)
    conflicto = Conflicto(usuario=usuario, fecha=fecha, version=actual.version)
    guardado = model_to_dict(actual, fields=list(form.fields))
    for nombre, form_field in form.fields.items():
        if nombre not in guardado:
            continue
        mio = form[nombre].value()
        if form_field.has_changed(guardado[nombre], mio):
            conflicto.campos.append(
                Diferencia(
                    str(form_field.label),
                    _mostrar(form_field, guardado[nombre]),
                    _mostrar(
                        form_field,
                        form.cleaned_data.get(nombre, mio)
                        if hasattr(form, "cleaned_data")
                        else mio,
                    ),
                )
            )
    filas_guardadas = {a.pk: a for a in actual.actividades.select_related("ejecutor")}
    vistas = set()
    for subform in formset.forms:
        pk_texto = subform["id"].value() if "id" in subform.fields else None
        pk = int(pk_texto) if pk_texto and es_pk(pk_texto) else None
        if pk is None:
            continue
        vistas.add(pk)
        fila = filas_guardadas.get(pk)
        if fila is None:
            conflicto.filas.append(
                _("Una actividad que usted tiene en pantalla fue eliminada por otra persona.")
            )
            continue
        inicial = model_to_dict(fila, fields=list(subform.fields))
        cambiados = [
            str(subform.fields[n].label)
            for n in subform.fields
            if n in inicial and subform.fields[n].has_changed(inicial[n], subform[n].value())
        ]
        if cambiados:
            conflicto.filas.append(
                _("%(fila)s: difiere en %(campos)s.")
                % {"fila": str(fila), "campos": ", ".join(cambiados)}
            )
    for pk, fila in filas_guardadas.items():
        if pk not in vistas:
            conflicto.filas.append(
                _("%(fila)s: la agregó otra persona y usted no la tiene en pantalla.")
                % {"fila": str(fila)}
            )
    return conflicto
