"""What the project's inline formsets (case activities, client contacts) share, and how
the editors' forms read what was submitted (LecturaDirecta)."""

import copy
import functools

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import BaseInlineFormSet, ModelChoiceField, inlineformset_factory
from django.forms.formsets import (
    DELETION_FIELD_NAME,
    INITIAL_FORM_COUNT,
    MAX_NUM_FORM_COUNT,
    MIN_NUM_FORM_COUNT,
    TOTAL_FORM_COUNT,
)
from django.forms.models import InlineForeignKeyField
from django.forms.utils import ErrorDict
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class CamposDeLaFila(dict):
    """The fields of a formset's rows, copied once per formset and shared by its forms.

    BaseForm deep-copies its class's ``base_fields`` for every form: for 500 rows of 10
    fields, 5,000 copies of fields, widgets and querysets that no row changes. A
    :class:`FilaForm` given this dict copies only the dict; the fields it holds belong to one
    formset (one request), so a form that changed one would change it for its siblings only.
    """

    def __deepcopy__(self, memo):
        return dict(self)


class FilasDadas:
    """The queryset an inline formset is built with when its rows are handed to it (the
    import loads them for many parents at once): Django's ``filter(parent=…)`` per formset,
    a query built for nothing, becomes this stand-in, which filters to itself."""

    def filter(self, *args, **kwargs):
        return self

    def none(self):
        return self


class ConteosDelServidor:
    """A formset's management form when the server wrote the row counts itself (the import's
    data): the cleaned data Django's ManagementForm would give, without building and
    validating a form per formset. Pages always send a real one, which is validated."""

    def __init__(self, total: int, iniciales: int, maximo: int):
        self.cleaned_data = {
            TOTAL_FORM_COUNT: total,
            INITIAL_FORM_COUNT: iniciales,
            MIN_NUM_FORM_COUNT: 0,
            MAX_NUM_FORM_COUNT: maximo,
        }
        self.errors = ErrorDict()

    def is_valid(self) -> bool:
        return True


def algun_cambio(form, salvo=()) -> bool:
    """Whether a field of ``form`` other than those in ``salvo`` changed (what changed_data
    lists: BoundField._has_changed), stopping at the first that did."""
    return any(
        cambio(form, nombre, campo) for nombre, campo in form.fields.items() if nombre not in salvo
    )


def cambio(form, nombre: str, campo) -> bool:
    """Whether field ``nombre`` of ``form`` changed: BoundField._has_changed() (Django 5.2)
    without building the BoundField, unless it is built already or the field sends its
    initial value in a hidden input (show_hidden_initial), which go Django's way."""
    if nombre in form._bound_fields_cache or campo.show_hidden_initial:
        return form[nombre]._has_changed()
    return campo.has_changed(
        form.get_initial_for_field(campo, nombre),
        form._widget_data_value(campo.widget, form.add_prefix(nombre)),
    )


_LIMPIAR_CAMPO = forms.Field._clean_bound_field


class LecturaDirecta:
    """A form mixin that reads and cleans each submitted value without a BoundField.

    Django's ``_clean_fields()`` and ``changed_data`` build a BoundField per field (an
    object with its own name, label, id, initial and data lookups) only to read the
    field's value from the data: 13 a form, 120,000 for an import of 2,000 cases, an
    eighth of its validation. These take the value the same way BoundField.data does
    (``_widget_data_value``) and run the same steps as Django 5.2's
    ``BaseForm._clean_fields`` (``Field.clean``, then ``clean_<name>``, errors through
    ``add_error``) and ``changed_data``. A field whose cleaning needs its BoundField (a
    disabled field, which cleans its initial value; a field with its own
    ``_clean_bound_field``, FileField) or whose BoundField exists already goes Django's
    way. A page that draws the form still builds the BoundFields, once, as it draws.
    tests/test_lectura_directa.py compares both on forms of every kind of field.
    """

    def _clean_fields(self):
        atados = self._bound_fields_cache
        for nombre, campo in self.fields.items():
            try:
                if (
                    campo.disabled
                    or nombre in atados
                    or type(campo)._clean_bound_field is not _LIMPIAR_CAMPO
                ):
                    valor = campo._clean_bound_field(self[nombre])
                else:
                    valor = campo.clean(
                        self._widget_data_value(campo.widget, self.add_prefix(nombre))
                    )
                self.cleaned_data[nombre] = valor
                if hasattr(self, f"clean_{nombre}"):
                    self.cleaned_data[nombre] = getattr(self, f"clean_{nombre}")()
            except ValidationError as error:
                self.add_error(nombre, error)

    @cached_property
    def changed_data(self):
        return [nombre for nombre, campo in self.fields.items() if cambio(self, nombre, campo)]

    def _get_validation_exclusions(self):
        """Django 5.2's BaseModelForm._get_validation_exclusions() (the model fields the
        model's validation skips), with the part that depends only on the form's class and
        field names worked out once: it runs twice per form, over every model field."""
        fijas, a_revisar = _exclusiones(type(self), tuple(self.fields))
        exclude = set(fijas)
        errores, datos = self._errors, self.cleaned_data
        for nombre, blank in a_revisar:
            # Fields that failed the form's validation; empty fields the form does not
            # require whose model field does (the model would call them required).
            if nombre in errores:
                exclude.add(nombre)
            elif not blank and not (campo := self.fields[nombre]).required:
                valor = datos.get(nombre)
                # A chosen row is never empty (and comparing it with each empty value costs).
                if not isinstance(valor, Model) and valor in campo.empty_values:
                    exclude.add(nombre)
        return exclude


@functools.lru_cache(maxsize=256)
def _exclusiones(clase, nombres: tuple) -> tuple[frozenset, tuple]:
    """For a model form class with fields ``nombres``: the model fields always excluded from
    the model's validation (not on the form, or left out by its Meta), and (name, blank) of
    those whose exclusion depends on the submission."""
    opciones, campos = clase._meta, set(nombres)
    fijas, a_revisar = set(), []
    for f in opciones.model._meta.fields:
        if (
            f.name not in campos
            or (opciones.fields and f.name not in opciones.fields)
            or (opciones.exclude and f.name in opciones.exclude)
        ):
            fijas.add(f.name)
        else:
            a_revisar.append((f.name, f.blank))
    return frozenset(fijas), tuple(a_revisar)


class FilaForm(LecturaDirecta, forms.ModelForm):
    """The form of a :class:`BaseFilasFormSet`'s rows: it takes the formset's shared fields,
    and a stored row sent back unchanged is not validated again.

    Saving one changed row of 500 cleaned and model-validated all 500 (parsing, the model's
    clean() and constraints): an unchanged stored row passed those rules when it was saved
    and will not be written, so its stored values are its cleaned data. The formset's rules
    across rows (the case's date window, overlaps) still see every row.
    """

    def __init__(self, *args, campos_de_la_fila=None, **kwargs):
        if campos_de_la_fila is not None:
            self.base_fields = campos_de_la_fila
        super().__init__(*args, **kwargs)

    def has_changed(self):
        """Whether any field changed, stopping at the first that did: Form.has_changed()
        compares every field (changed_data) and is asked four times per row by the
        formset, the rules and the save. Once known, the answer is kept."""
        if "changed_data" in self.__dict__:
            return bool(self.changed_data)
        if not hasattr(self, "_ha_cambiado"):
            self._ha_cambiado = algun_cambio(self)
        return self._ha_cambiado

    def full_clean(self):
        if self.is_bound and self.instance.pk is not None and not self.has_changed():
            self._errors = ErrorDict()
            self.cleaned_data = self.datos_guardados()
            return
        super().full_clean()

    def datos_guardados(self) -> dict:
        """The cleaned data of this stored, unchanged row: what full_clean() would give."""
        pk = self.instance._meta.pk.name
        datos = {}
        for nombre, campo in self.fields.items():
            if nombre == pk:
                datos[nombre] = self.instance
            elif nombre == DELETION_FIELD_NAME:
                datos[nombre] = False
            elif isinstance(campo, InlineForeignKeyField):
                datos[nombre] = campo.parent_instance  # the formset set only its id
            else:
                datos[nombre] = getattr(self.instance, nombre)
        return datos


class FilaGuardadaField(ModelChoiceField):
    """The hidden id of a stored row, checked against the rows the formset loaded once.

    Django's default id field runs ``queryset.get(pk=...)`` for every row, so saving 200
    rows cost 200 queries. Only the parent's own rows are valid: the id of another parent's
    row, or of one deleted meanwhile, is an invalid choice.
    """

    def __init__(self, *, modelo, filas_por_pk, **kwargs):
        self.modelo = modelo
        self.filas_por_pk = filas_por_pk
        # No queryset: rows are looked up in filas_por_pk() (and cloning one per row cost).
        super().__init__(queryset=None, **kwargs)

    def __deepcopy__(self, memo):
        # No queryset clone per row: rows are looked up in filas_por_pk().
        return forms.Field.__deepcopy__(self, memo)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, self.modelo):
            value = value.pk
        try:
            pk = self.modelo._meta.pk.to_python(value)
        except ValidationError:
            pk = None
        fila = self.filas_por_pk().get(pk)
        if fila is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return fila


# (formset class, required) → the FilaGuardadaField its id fields are copied from.
_CAMPOS_ID: dict[tuple[type, bool], "FilaGuardadaField"] = {}


class BaseFilasFormSet(BaseInlineFormSet):
    """An inline formset whose rows validate without one query each.

    Subclasses set ``mensaje_alterado`` (tampered management form) and may set
    ``mensaje_fila_ajena`` (a row id that is not one of the parent's rows).
    """

    mensaje_alterado = _("Los renglones llegaron alterados; recargue la página.")
    mensaje_fila_ajena = _("Este renglón ya no existe o es de otro registro; recargue la página.")
    # How the stored rows are read: their order and the related rows they show.
    orden_filas: tuple[str, ...] = ()
    relacionadas: tuple[str, ...] = ()
    # What clase() builds the formset class of: the parent model, the rows' form, the most rows.
    modelo_padre = None
    form_fila = None
    max_filas = 1000

    @classmethod
    @functools.cache
    def clase(cls, extra: int = 1):
        """The inline formset class of ``form_fila`` rows under ``modelo_padre``.

        Every row can be deleted; ``extra`` empty rows serve pages without JavaScript; at
        most ``max_filas`` rows are accepted, however many the POST claims. Built once per
        ``extra`` (building it costs a third of a millisecond, once per case of an import).
        """
        return inlineformset_factory(
            cls.modelo_padre,
            cls.form_fila._meta.model,
            form=cls.form_fila,
            formset=cls,
            extra=extra,
            can_delete=True,
            max_num=cls.max_filas,
            absolute_max=cls.max_filas,
        )

    def get_queryset(self):
        """The parent's stored rows, in ``orden_filas`` with ``relacionadas``: one query.

        Built once and kept, so that every use (the forms, the row lookups of
        :class:`FilaGuardadaField`, the rules across rows) reads the same evaluated rows.
        """
        if not hasattr(self, "_queryset"):
            filas = super().get_queryset()
            if self.orden_filas:
                filas = filas.order_by(*self.orden_filas)
            if self.relacionadas:
                filas = filas.select_related(*self.relacionadas)
            self._queryset = filas
        return self._queryset

    def total_form_count(self):
        """Never more rows than the POST really carries.

        TOTAL_FORMS=1000000 in a 200-byte POST would otherwise build (and re-render) the
        formset's maximum of empty rows: count up to the highest row index present.
        """
        total = super().total_form_count()
        if self.is_bound:
            prefijo = f"{self.prefix}-"
            indices = [
                clave[len(prefijo) :].split("-", 1)[0]
                for clave in self.data
                if clave.startswith(prefijo)
            ]
            mayor = max((int(i) for i in indices if i.isascii() and i.isdigit()), default=-1)
            total = min(total, max(mayor + 1, self.initial_form_count()))
        return total

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if issubclass(self.form, FilaForm):
            if not hasattr(self, "_campos_de_la_fila"):
                self._campos_de_la_fila = CamposDeLaFila(copy.deepcopy(self.form.base_fields))
            kwargs["campos_de_la_fila"] = self._campos_de_la_fila
        return kwargs

    def _filas_por_pk(self) -> dict:
        """The stored rows by pk, from the one query of get_queryset()."""
        if not hasattr(self, "_filas_guardadas"):
            self._filas_guardadas = {fila.pk: fila for fila in self.get_queryset()}
        return self._filas_guardadas

    def add_fields(self, form, index):
        """The row's id (a :class:`FilaGuardadaField`), its parent and its DELETE box.

        Django builds these three fields for every row (the id's with two queryset clones).
        They are the same for every row of a formset but for the id's initial value, so
        the first row gets Django's and the others share them, with their own id in their
        ``initial`` (where a BoundField looks before the field's initial). The id field of
        stored rows and that of new rows are two: Django makes the former required after
        this (BaseModelFormSet._construct_form).
        """
        nombre = self.model._meta.pk.name
        guardada = index is not None and index < self.initial_form_count()
        compartidos = getattr(self, "_campos_de_control", None)
        if compartidos is None or not isinstance(form, FilaForm):
            antes = dict(form.fields)
            super().add_fields(form, index)
            ids = {
                requerido: self._campo_id(requerido, form.fields[nombre].widget)
                for requerido in (True, False)
            }
            form.fields[nombre] = ids[guardada]
            if isinstance(form, FilaForm):
                self._ids_de_fila = ids
                # What Django added or replaced (the parent's key may be a form field too).
                self._campos_de_control = {
                    n: campo
                    for n, campo in form.fields.items()
                    if n != nombre and antes.get(n) is not campo
                }
        else:
            form.fields.update(compartidos)
            form.fields[nombre] = self._ids_de_fila[guardada]
        form.initial[nombre] = None if form.instance._state.adding else form.instance.pk

    def _campo_id(self, requerido: bool, widget) -> FilaGuardadaField:
        """This formset's id field (required for stored rows): a copy of one built once per
        formset class and kind, which looks rows up in this formset's. Building the field
        cost a tenth of a millisecond, twice per case of an import; copying it, nothing."""
        clave = (type(self), requerido)
        modelo = _CAMPOS_ID.get(clave)
        if modelo is None:
            modelo = _CAMPOS_ID[clave] = FilaGuardadaField(
                modelo=self.model,
                filas_por_pk=None,
                required=requerido,
                widget=widget,
                error_messages={"invalid_choice": self.mensaje_fila_ajena},
            )
        campo = copy.copy(modelo)
        campo.filas_por_pk = self._filas_por_pk
        return campo

    def clean(self):
        gestion = self.management_form.cleaned_data
        if gestion.get(TOTAL_FORM_COUNT, 0) < 0 or gestion.get(INITIAL_FORM_COUNT, 0) < 0:
            # Django accepts negative counts and then silently ignores every submitted row.
            raise ValidationError(self.mensaje_alterado, code="missing_management_form")
        super().clean()
