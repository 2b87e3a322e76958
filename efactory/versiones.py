"""Optimistic locking of the rows people edit (Caso, Cliente): every rule in one place.

Each versioned model has a ``version`` integer. A page that edits a row carries the version
it was loaded with (the hidden ``version`` input, :class:`CampoVersion`), and saving takes
the next version with the database's own conditional update (:func:`tomar_version`)::

    UPDATE … SET version = version + 1 WHERE id = … AND version = <the page's>

inside the save's transaction, before anything else is written. The UPDATE takes the row
lock, so of two saves of one version, from any two processes, exactly one goes through; the
other raises :class:`ConflictoDeVersion` and its transaction writes nothing. The editors
answer it with a 409 page that keeps the user's input and says who saved, when, and which
fields and rows differ (:func:`describir`), offering "Recargar" and "Sobrescribir"; the
Django admin re-shows its form with a message (:class:`AdminVersionado`).

**Policy**, the same for every page: a save is current only when it names exactly the stored
version. A missing or junk version is *stale*: a page that does not say what it was loaded
from cannot show that it saw the current data, and an old page (or a script) must not
overwrite silently. The import alone may save without a check, explicitly
(``tomar_version(..., comprobar=False)``): a row of its file without ``Versión`` means
"no check"; it still takes the next version.

Writers with no page version of their own — the Seguimiento de casos en lote (under its row
locks) and the admin's deletes and changes of child rows — bump the version without a check
(:func:`subir_version`), so editors open on that row see their page as stale.

Services raise :class:`ConflictoDeVersion` (a domain error); views decide what to answer.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, QuerySet
from django.forms.formsets import DELETION_FIELD_NAME, INITIAL_FORM_COUNT, TOTAL_FORM_COUNT
from django.forms.models import model_to_dict
from django.http import HttpResponseRedirect, QueryDict
from django.utils.translation import gettext as _
from simple_history.models import SIMPLE_HISTORY_REVERSE_ATTR_NAME

from efactory.claves import es_pk
from efactory.formato import fecha_hora, texto

# The button of the conflict panel: it posts the stored version the panel showed.
SOBRESCRIBIR = "_sobrescribir"

# subir_version() bumps this many rows per UPDATE (a bounded IN list on every database).
LOTE = 500


class ConflictoDeVersion(Exception):
    """The row was saved by someone else after the page was loaded; nothing was written.

    ``actual`` is the version stored now, or None when the row no longer exists.
    """

    def __init__(self, actual: int | None):
        super().__init__(actual)
        self.actual = actual

    @property
    def eliminado(self) -> bool:
        """The row was deleted meanwhile (there is nothing to compare with)."""
        return self.actual is None


# --- The policy ---------------------------------------------------------------------------


def leer_version(valor) -> int | None:
    """A version as a page posts it; None when missing or junk ("", "abc", "-1", "²")."""
    return int(str(valor)) if valor is not None and es_pk(valor) else None


def version_de_la_pagina(datos) -> int | None:
    """The version a page's save is based on (None: missing or junk, so stale).

    "Sobrescribir" posts the stored version its conflict panel showed: saving over exactly
    that one is the user's deliberate choice. Otherwise it is the page's hidden ``version``.
    """
    sobrescribir = leer_version(datos.get(SOBRESCRIBIR))
    return sobrescribir if sobrescribir is not None else leer_version(datos.get("version"))


def desactualizada(guardada: int, version: int | None) -> bool:
    """Whether a save based on ``version`` is stale against the ``guardada`` (stored) one.

    Only the exact stored version is current; None (missing or junk) is stale.
    """
    return version is None or version != guardada


def movida(instance, version: int | None) -> bool:
    """Whether ``instance`` was saved by someone since the page based on ``version``: its
    stored version, read again now, differs (or the row is gone).

    The editors check the version read with the row before building the formset, which
    loads the stored child rows a moment later: a save committed in between passes that
    check and shows up as a child row the page never had. An invalid submission asks this
    once more, so the user gets the conflict page, not the form's confusing errors.
    """
    guardada = (
        type(instance)._default_manager.filter(pk=instance.pk).values_list("version", flat=True)
    ).first()
    return guardada is None or desactualizada(guardada, version)


# --- The writes ---------------------------------------------------------------------------


def _filas(modelo) -> QuerySet:
    return modelo.all() if isinstance(modelo, QuerySet) else modelo._default_manager.all()


def tomar_version(modelo, pk, version: int | None, *, comprobar: bool = True) -> int:
    """Take the next version of row ``pk`` for a save based on ``version``; return it.

    Call it inside the save's transaction, before writing the row: the conditional UPDATE
    locks the row until the transaction ends. ``modelo`` is a model or a queryset of it.
    Raises :class:`ConflictoDeVersion` when the stored version is not ``version`` (a missing
    version, None, is stale: see the module's policy) or the row is gone. One query when it
    goes through; the refusal costs one more, to report the stored version.

    ``comprobar=False`` is for the import only (a row of its file without ``Versión``): the
    next version is taken whatever the stored one, at the cost of one more query to read it.
    """
    filas = _filas(modelo).filter(pk=pk)
    if not comprobar:
        if subir_version(filas, [pk]):
            return filas.values_list("version", flat=True).get()
        raise ConflictoDeVersion(None)
    if version is not None and filas.filter(version=version).update(version=F("version") + 1):
        return version + 1
    raise ConflictoDeVersion(filas.values_list("version", flat=True).first())


def subir_version(modelo, filas: Iterable) -> int:
    """Bump the version of ``filas`` (primary keys or instances) without a check.

    For writers that have no page version to check (the bulk follow-up, which has locked
    the rows; the admin's changes and deletes of child rows): editors open on those rows
    then see their page as stale. Instances get their new version in memory too, so a
    history record made from them afterwards carries it: pass only rows as this
    transaction locked them. Returns how many rows were bumped.
    """
    filas = list(filas)
    claves = list(dict.fromkeys(getattr(fila, "pk", fila) for fila in filas if fila is not None))
    subidas = 0
    for desde in range(0, len(claves), LOTE):
        subidas += (
            _filas(modelo)
            .filter(pk__in=claves[desde : desde + LOTE])
            .update(version=F("version") + 1)
        )
    for fila in filas:
        if isinstance(fila, models.Model):
            fila.version += 1
    return subidas


def version_guardada(instance) -> int | None:
    """The version stored for ``instance`` now; None for a row not saved yet.

    An instance rebuilt from its history (the admin's "Revertir" page) carries the version
    of that time, not the stored one: that one is read.
    """
    if instance.pk is None or instance._state.adding:
        return None
    if getattr(instance, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None) is not None:
        return (
            type(instance)
            ._default_manager.filter(pk=instance.pk)
            .values_list("version", flat=True)
            .first()
        )
    return instance.version


# --- Forms and the admin ------------------------------------------------------------------


class CampoVersion(forms.CharField):
    """The hidden ``version`` input: the version of the row when the page was loaded.

    It never has an error of its own; junk cleans to None, which the policy treats as stale.
    The form sets its initial value from the row (``version_guardada``).
    """

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return leer_version(value)


def mensaje_de_conflicto(usuario, fecha) -> str:
    """What the admin says when it refuses a stale save: who saved, when, what to do."""
    quien = (usuario.get_full_name() or usuario.get_username()) if usuario else _("Otra persona")
    cuando = _(" el %(fecha)s") % {"fecha": fecha_hora(fecha)} if fecha else ""
    return _(
        "No se guardó nada: %(quien)s guardó estos datos%(cuando)s, después de que usted "
        "abrió esta página. Lo que usted escribió sigue abajo, sin guardar; abra la página "
        "de nuevo para ver los datos actuales y repita sus cambios."
    ) % {"quien": quien, "cuando": cuando}


class FormularioVersionado(forms.ModelForm):
    """The Django admin's form of a versioned model: it carries the version like the editor
    and refuses a stale save, naming who saved and when; the user's input is kept."""

    version = CampoVersion()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.version_guardada = version_guardada(self.instance)
        self.fields["version"].initial = self.version_guardada

    def historiales(self) -> list[QuerySet]:
        """History records of the row (and of its child rows: override to add them)."""
        return [self.instance.history.all()]

    def clean(self):
        datos = super().clean()
        if self.version_guardada is not None and desactualizada(
            self.version_guardada, datos.get("version")
        ):
            usuario, fecha = ultimo_cambio(self.historiales())
            raise ValidationError(mensaje_de_conflicto(usuario, fecha), code="version")
        return datos


class AdminDeFilas:
    """Admin mixin for the rows of a versioned parent (a case's activities, a client's
    contacts): a row saved or deleted here makes the parent's open editors stale.

    ``padre`` names the row's foreign key to the parent.
    """

    padre: str

    def _modelo_padre(self):
        return self.model._meta.get_field(self.padre).related_model

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Moved to another parent: both parents' pages change.
        anterior = form.initial.get(self.padre) if form is not None else None
        subir_version(self._modelo_padre(), {getattr(obj, f"{self.padre}_id"), anterior} - {None})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        subir_version(self._modelo_padre(), [getattr(obj, f"{self.padre}_id")])

    def delete_queryset(self, request, queryset):
        padres = set(queryset.values_list(f"{self.padre}_id", flat=True))
        super().delete_queryset(request, queryset)
        subir_version(self._modelo_padre(), padres)


class AdminVersionado:
    """ModelAdmin mixin of a versioned model: its change form carries the version
    (:class:`FormularioVersionado`) and every save of a change takes the next version with
    :func:`tomar_version`, so a stale save is refused instead of overwriting.

    A save that loses the race between the form's check and the UPDATE is answered with a
    message and the page again, with the data as stored now.
    """

    form = FormularioVersionado
    # The model's column is never written from the form; excluding it lets the fieldsets
    # name the form's hidden input of the same name.
    exclude = ["version"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version = tomar_version(type(obj), obj.pk, form.cleaned_data.get("version"))
        super().save_model(request, obj, form, change)

    def _rechazar(self, request):
        self.message_user(
            request,
            _(
                "No se guardó nada: otra persona guardó estos datos mientras usted los "
                "editaba. Esta página muestra ahora los datos actuales; repita sus cambios."
            ),
            messages.ERROR,
        )
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ConflictoDeVersion:
            return self._rechazar(request)

    def history_form_view(self, request, *args, **kwargs):
        try:
            return super().history_form_view(request, *args, **kwargs)
        except ConflictoDeVersion:
            return self._rechazar(request)


# --- The conflict panel -------------------------------------------------------------------


@dataclass(frozen=True)
class TextosDeConflicto:
    """The words of one editor's conflict panel (each a translatable text)."""

    titulo: str  # the panel's heading
    filas: str  # the heading of the rows that differ ("Actividades:")
    fila_eliminada: str  # "%(fila)s: …", a row on the page someone else deleted
    fila_difiere: str  # "%(fila)s: difiere en %(campos)s."
    fila_agregada: str  # "%(fila)s: …", a row someone else added


@dataclass
class Diferencia:
    campo: str
    guardado: str
    mio: str


@dataclass
class Conflicto:
    """What the 409 panel shows: who saved last, when, and what differs from the page."""

    usuario: object
    fecha: object
    version: int  # stored now: "Sobrescribir" posts it
    textos: TextosDeConflicto
    campos: list[Diferencia] = field(default_factory=list)
    filas: list[str] = field(default_factory=list)
    # Stored rows someone else added that the page lacks, and the keys of the page's rows
    # that someone else deleted (see pagina_al_dia).
    agregadas: list = field(default_factory=list)
    eliminadas: set = field(default_factory=set)


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
    return texto(valor)


def ultimo_cambio(historiales: Iterable[QuerySet], defecto=None):
    """Who saved last and when, from the latest of these history records (django-simple-
    history): the row's own and its child rows'. ``(None, defecto)`` when there is none."""
    registros = [
        h.select_related("history_user").order_by("-history_date").first() for h in historiales
    ]
    registros = [r for r in registros if r is not None]
    if not registros:
        return None, defecto
    ultimo = max(registros, key=lambda r: r.history_date)
    return ultimo.history_user, ultimo.history_date


def describir(form, formset, actual, *, filas, historiales, textos) -> Conflicto:
    """Fields and rows where what the user submitted differs from what is stored now.

    ``actual`` is the row as stored now, ``filas`` its child rows as stored now (the
    formset's model), ``historiales`` the history records that say who saved last (see
    :func:`ultimo_cambio`), ``textos`` the panel's words. Values are shown as the user
    reads them: choice labels, related rows' names, dates dd/mm/aaaa, decimal commas.
    """
    usuario, fecha = ultimo_cambio(historiales, getattr(actual, "actualizado_en", None))
    conflicto = Conflicto(usuario=usuario, fecha=fecha, version=actual.version, textos=textos)
    guardado = model_to_dict(actual, fields=list(form.fields))
    limpio = getattr(form, "cleaned_data", {})
    for nombre, form_field in form.fields.items():
        if nombre not in guardado:
            continue
        mio = form[nombre].value()
        if form_field.has_changed(guardado[nombre], mio):
            conflicto.campos.append(
                Diferencia(
                    str(form_field.label),
                    _mostrar(form_field, guardado[nombre]),
                    _mostrar(form_field, limpio.get(nombre, mio)),
                )
            )
    filas_guardadas = {fila.pk: fila for fila in filas}
    vistas = set()
    for subform in formset.forms:
        pk_texto = subform["id"].value() if "id" in subform.fields else None
        pk = int(pk_texto) if pk_texto and es_pk(pk_texto) else None
        if pk is None:
            continue
        vistas.add(pk)
        fila = filas_guardadas.get(pk)
        if fila is None:
            conflicto.filas.append(str(textos.fila_eliminada) % {"fila": _como_esta(subform)})
            conflicto.eliminadas.add(pk)
            continue
        inicial = model_to_dict(fila, fields=list(subform.fields))
        cambiados = [
            str(subform.fields[n].label)
            for n in subform.fields
            if n in inicial and subform.fields[n].has_changed(inicial[n], subform[n].value())
        ]
        if cambiados:
            conflicto.filas.append(
                str(textos.fila_difiere) % {"fila": str(fila), "campos": ", ".join(cambiados)}
            )
    for pk, fila in filas_guardadas.items():
        if pk not in vistas:
            conflicto.filas.append(str(textos.fila_agregada) % {"fila": str(fila)})
            conflicto.agregadas.append(fila)
    return conflicto


def _como_esta(subform) -> str:
    """A row of the page as the user has it, named as its stored rows are (``str()`` of the
    instance its form built from what was typed); its row number when that cannot be read."""
    subform.is_valid()  # validated, if not yet: its instance then holds what was typed
    try:
        nombre = str(subform.instance).strip()
    except (TypeError, ValueError, AttributeError):
        nombre = ""
    if nombre:
        return nombre
    return _("Renglón %(n)s") % {"n": int(subform.prefix.rsplit("-", 1)[-1]) + 1}


def _valor_enviado(valor):
    """A stored value as a page posts it (None: left out, as a browser leaves out an
    unticked box)."""
    if valor is None or valor is False:
        return None
    if valor is True:
        return "on"
    if isinstance(valor, datetime.time):
        return valor.isoformat(timespec="seconds" if valor.second else "minutes")
    return str(valor)


def pagina_al_dia(formset, conflicto: Conflicto) -> QueryDict:
    """The formset's submission brought up to the rows stored now, for the conflict page.

    - Rows someone else added (``conflicto.agregadas``) join it as stored, unchanged rows:
      the user sees them among theirs, and "Sobrescribir" keeps them (unless the user
      marks them for deletion) instead of being refused as a page that lost a stored row.
    - Rows of the page that someone else deleted (``conflicto.eliminadas``) become new
      rows with what the user has in them: nothing typed is lost, and "Sobrescribir"
      writes them again unless the user deletes them (the panel says so).

    Stored rows come first in a formset, then the new ones: the rows are renumbered.
    """
    prefijo = formset.prefix
    datos = formset.data.copy()
    iniciales = formset.initial_form_count()
    filas = []
    for indice in range(formset.total_form_count()):
        antes = f"{prefijo}-{indice}-"
        claves = [c for c in datos if c.startswith(antes)]
        filas.append({c[len(antes) :]: datos.getlist(c) for c in claves})
        for clave in claves:
            del datos[clave]
    pk = formset.model._meta.pk.name

    def eliminada(fila) -> bool:
        valor = (fila.get(pk) or [""])[-1]
        return es_pk(valor) and int(valor) in conflicto.eliminadas

    guardadas = [f for f in filas[:iniciales] if not eliminada(f)]
    revividas = [{c: v for c, v in f.items() if c != pk} for f in filas[:iniciales] if eliminada(f)]
    campos = [n for n in formset.empty_form.fields if n != DELETION_FIELD_NAME]
    agregadas = []
    for fila in conflicto.agregadas:
        guardado = model_to_dict(fila, fields=campos)
        guardado[pk] = fila.pk
        guardado[formset.fk.name] = formset.instance.pk
        enviados = {n: _valor_enviado(guardado.get(n)) for n in campos}
        agregadas.append({n: [v] for n, v in enviados.items() if v is not None})
    orden = [*guardadas, *agregadas, *revividas, *filas[iniciales:]]
    for indice, fila in enumerate(orden):
        for campo, valores in fila.items():
            datos.setlist(f"{prefijo}-{indice}-{campo}", valores)
    datos[f"{prefijo}-{INITIAL_FORM_COUNT}"] = str(len(guardadas) + len(agregadas))
    datos[f"{prefijo}-{TOTAL_FORM_COUNT}"] = str(len(orden))
    return datos
