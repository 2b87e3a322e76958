"""What the project's list filters share: URL vocabulary, yes/no and checkbox filters, and a
FilterSet base that says which filters are in effect and which parameters were ignored.

The case list (cases/filters.py) and the client list (customers/filters.py) build on it; the
case forms use the same ``blanco`` vocabulary, so it lives below both.
"""

import copy
import hashlib

import django_filters
from django import forms
from django.forms.models import ModelChoiceIterator
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from efactory.marcado import format_html, format_html_join
from efactory.preparadas import PreparadaDeModelos

BLANCO = "blanco"  # URL value for the empty etapa/origen/complejidad ("En blanco")


def con_blanco(choices):
    """Choices of a field whose empty value is a real option: '' becomes 'blanco'."""
    return [(BLANCO if value == "" else value, label) for value, label in choices]


class DibujoRapido:
    """For a ``Select``: the same markup as Django's templates, drawn in Python.

    Django renders each ``<option>`` through its own template (an include and an attribute
    loop): a filter panel of a dozen selects cost more than the rows of the list. A flat
    list of choices is drawn straight from ``choices`` (the first chosen value selected, as
    ChoiceWidget.optgroups() does); option groups and NullBooleanSelect's value go through
    the widget's ``get_context()``. Every value is escaped here.
    """

    def render(self, name, value, attrs=None, renderer=None):
        elegidos = self.format_value(value)
        # Through iter(): list() would ask a ModelChoiceIterator its len(), a COUNT query.
        opciones = list(iter(self.choices))
        if not isinstance(elegidos, list) or any(
            isinstance(etiqueta, (list, tuple)) for _v, etiqueta in opciones
        ):
            # Option groups, or a value that is not a list (NullBooleanSelect): Django's way.
            return dibujar_select(self.get_context(name, value, attrs)["widget"])
        # ChoiceWidget.optgroups() without a dict per option: the first option whose value
        # is chosen is selected (a None value is "").
        marcado = False
        filas = []
        for valor, etiqueta in opciones:
            valor = "" if valor is None else valor
            elegido = not marcado and str(valor) in elegidos
            marcado |= elegido
            filas.append((valor, SELECCIONADA if elegido else "", etiqueta))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            atributos(self.build_attrs(self.attrs, attrs)),
            format_html_join("", '<option value="{}"{}>{}</option>', filas),
        )


SELECCIONADA = format_html(" {}", "selected")


def atributos(attrs: dict):
    """A widget's attributes as Django's ``attrs.html`` draws them: in their order, ``True``
    as a bare name, ``False`` left out."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", k) if v is True else format_html(' {}="{}"', k, v),)
            for k, v in attrs.items()
            if v is not False
        ),
    )


def dibujar_select(widget: dict):
    """A ``<select>`` from a Select widget's template context, as Django's templates draw it."""
    grupos = []
    for grupo, opciones, _indice in widget["optgroups"]:
        filas = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((o["value"], atributos(o["attrs"]), o["label"]) for o in opciones),
        )
        grupos.append(
            format_html('<optgroup label="{}">{}</optgroup>', grupo, filas) if grupo else filas
        )
    return format_html(
        '<select name="{}"{}>{}</select>',
        widget["name"],
        atributos(widget["attrs"]),
        format_html_join("", "{}", ((g,) for g in grupos)),
    )


def dibujar_input(widget: dict):
    """An ``<input>`` from an Input widget's template context, as Django's
    ``django/forms/widgets/input.html`` draws it (a value only when there is one)."""
    valor = widget["value"]
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        format_html(' value="{}"', valor) if valor is not None else "",
        atributos(widget["attrs"]),
    )


class SelectRapido(DibujoRapido, forms.Select):
    """A select of a few options (the list's choice filters), drawn without templates."""


class ConBlancoFilter(django_filters.ChoiceFilter):
    """A choice whose empty value is a real option ("En blanco"): the URL says ``blanco``
    (``?etapa=blanco``) for the rows whose value is ''."""

    def __init__(self, *args, choices, **kwargs):
        kwargs.setdefault("widget", SelectRapido)
        super().__init__(*args, choices=con_blanco(choices), **kwargs)

    def filter(self, qs, value):
        if value == BLANCO:
            return qs.filter(**{self.field_name: ""})
        return super().filter(qs, value)


class TextoFilter(django_filters.CharFilter):
    """The free-text search box (``?q=``); the FilterSet's ``filtrar_texto`` applies it."""

    def __init__(self, *, placeholder, label=None, **kwargs):
        widget = forms.TextInput(attrs={"type": "search", "placeholder": placeholder})
        super().__init__(
            label=label or _("Buscar"), method="filtrar_texto", widget=widget, **kwargs
        )


class SiNoTodos(DibujoRapido, forms.NullBooleanSelect):
    """A yes/no/any select in Spanish whose values are the URL's true/false."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("Todos")), ("true", _("Sí")), ("false", _("No"))]

    def value_from_datadict(self, data, files, name):
        # Hand an unrecognised value (?interno=maybe) to the field, which rejects it, so the
        # list can say it was ignored instead of dropping it silently.
        crudo = data.get(name)
        valor = super().value_from_datadict(data, files, name)
        return crudo if valor is None and crudo not in (None, "", "unknown") else valor


class SiNoField(forms.NullBooleanField):
    """true, false or empty (any); anything else is invalid."""

    widget = SiNoTodos
    default_error_messages = {"invalid": _("Elija Sí, No o Todos.")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        valor = super().to_python(value)
        if valor is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return valor


class SiNoFilter(django_filters.BooleanFilter):
    field_class = SiNoField


class CasillaInput(forms.CheckboxInput):
    """A checkbox that hands the raw URL value to its field (CheckboxInput takes "maybe"
    for True)."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class CasillaField(forms.Field):
    """A checkbox kept in the URL: ``true`` ticks it; absent, empty or ``false`` leave it off.

    Anything else is invalid, so the list says the value was ignored.
    """

    widget = CasillaInput
    default_error_messages = {"invalid": _("Use true para marcarlo.")}

    def to_python(self, value):
        if value in (None, "", "false", False):
            return False
        if value in ("true", "on", True):
            return True
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class CasillaFilter(django_filters.BooleanFilter):
    """Filters only when ticked (``?vencidos=true``); ``false`` is the same as absent."""

    field_class = CasillaField


class OpcionesEnUnaConsulta(ModelChoiceIterator):
    """A small table's options read with one plain query, once per form.

    Django reads a ModelChoiceField's options through ``QuerySet.iterator()``, which on
    PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE, three round trips for a
    table of a dozen groups. The rows are few: they are read once and kept on the field.
    While the field keeps the queryset its form class gave it, they are read through the
    class's :class:`~efactory.preparadas.PreparadaDeModelos` (``opciones_preparadas``,
    set by FiltrosBase.get_form_class): its SQL is compiled once per process.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.objetos():
            yield self.choice(obj)

    def objetos(self) -> list:
        field = self.field
        if "_opciones_leidas" not in field.__dict__:
            preparada = getattr(field, "opciones_preparadas", None)
            if preparada is not None and field.queryset is field.__dict__.get("_de_su_clase"):
                field._opciones_leidas = preparada.filas(using=self.queryset.db)
            else:
                field._opciones_leidas = list(self.queryset)
        return field._opciones_leidas


def copiar_campo(field: forms.Field) -> forms.Field:
    """``copy.deepcopy(field)`` as Form.__init__ does it, but a choice field's options are
    shared with the class's field instead of deep-copied.

    Those options are lists of (value, label) pairs that nothing changes in place (setting
    ``choices`` replaces the list); deep-copying them, lazy labels and all, was a fifth of
    the cost of building the case list's filter form. Everything else is copied as Django
    copies it: the widget (its attributes and its own list of choices), error messages and
    validators, and a model choice field's queryset (``.all()``: a result cache of its own).
    """
    if not isinstance(field, forms.ChoiceField):
        return copy.deepcopy(field)
    copia = forms.Field.__deepcopy__(field, {})
    if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
        copia.queryset = field.queryset.all()
        # OpcionesEnUnaConsulta reads the class's options only while this is the queryset.
        copia._de_su_clase = copia.queryset
    return copia


class CamposCopiados:
    """For a form class: each form copies the class's fields with :func:`copiar_campo`."""

    def __init__(self, *args, **kwargs):
        campos = type(self).base_fields
        self.base_fields = {}  # what BaseForm.__init__ deep-copies: nothing
        super().__init__(*args, **kwargs)
        del self.base_fields
        self.fields = {nombre: copiar_campo(campo) for nombre, campo in campos.items()}


class FiltrosBase(django_filters.FilterSet):
    """A list's filters, kept in the URL; an invalid value is left out and named.

    ``sin_contar`` names parameters that are not filters (the list's ``orden``). The
    options of its table filters are read in one query each (OpcionesEnUnaConsulta).
    """

    sin_contar: tuple[str, ...] = ()

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        """django-filter's, with each declared filter copied shallowly.

        django-filter deep-copies every filter for every FilterSet (their querysets,
        choices, widgets and labels: over a thousand copies for the case list, a fifth of
        its Python time). A filter keeps no state of its own but ``model``, ``parent`` and
        the ``extra`` its field is built from (ModelChoiceFilter writes its queryset there)
        and, for a ``method=`` filter, the FilterMethod that calls back through ``parent``:
        those are the copy's own.
        """
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for nombre, original in self.base_filters.items():
            filtro = copy.copy(original)
            filtro.extra = original.extra.copy()
            if original.method is not None:
                filtro.method = original.method  # its FilterMethod points to the copy
            filtro.model = queryset.model
            filtro.parent = self
            self.filters[nombre] = filtro

    def get_form_class(self):
        """The filters' form class, built once per FilterSet class.

        django-filter builds a new form class (and a new field per filter) for every
        FilterSet; the fields depend only on the declared filters, and every form copies
        them for itself (Form.__init__), so one class serves every request.
        """
        clase = type(self)
        if "_form_class" not in clase.__dict__:
            base = super().get_form_class()
            for field in base.base_fields.values():
                if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                    field.opciones_preparadas = PreparadaDeModelos(
                        lambda queryset=field.queryset: queryset.all()
                    )
            clase._form_class = type(base.__name__, (CamposCopiados, base), {})
        return clase._form_class

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                if isinstance(field, forms.ModelChoiceField):
                    field.iterator = OpcionesEnUnaConsulta
                    field.widget.choices = field.choices
        return self._form

    def firma(self) -> str:
        """A digest of everything the filter panel's HTML depends on but the code.

        The panel is the same HTML for the same parameters, language and lookup rows, so the
        list caches it under this digest (``{% cache … firma %}``, the per-process
        "fragmentos" cache). It covers: the page's path and language; every parameter as the
        URL gave it; the form's errors; the options of each table select (their query is the
        one the select itself reads, evaluated here once); and each chosen row of a lupa
        (the widget's ``firma()``: its key, its label and whether it is active). A renamed or
        added row, a deactivated client, another parameter: another digest, so a cached panel
        is never stale, on any number of servers.
        """
        self.form.is_valid()
        datos = self.form.cleaned_data
        partes = [
            get_language(),
            self.request.path if self.request is not None else "",
            sorted(self.data.lists()),
            sorted((nombre, list(errores)) for nombre, errores in self.form.errors.items()),
        ]
        for nombre, field in self.form.fields.items():
            widget = field.widget
            if hasattr(widget, "firma"):
                partes.append((nombre, widget.firma(field, datos.get(nombre))))
            elif isinstance(field, forms.ModelChoiceField):
                partes.append((nombre, [(str(v), str(e)) for v, e in field.choices]))
        return hashlib.blake2b(repr(partes).encode(), digest_size=16).hexdigest()

    def parametros_ignorados(self) -> list[str]:
        """Names of the parameters whose values were invalid and are being ignored."""
        self.form.is_valid()
        return sorted(self.form.errors)

    def activos(self, nombres=None) -> int:
        """How many filters are in effect, among ``nombres`` if given."""
        self.form.is_valid()
        return sum(
            1
            for name, value in self.form.cleaned_data.items()
            if name not in self.sin_contar
            and (nombres is None or name in nombres)
            and self.filtra(name, value)
        )

    def filtra(self, name, value) -> bool:
        """Whether the cleaned ``value`` of filter ``name`` narrows the list.

        Empty values and empty date ranges do not; ``False`` does (``?interno=false`` keeps
        the non-internal rows) except from a checkbox, which is simply not ticked.
        """
        if value in (None, ""):
            return False
        if value is False:
            return not isinstance(self.form.fields[name].widget, forms.CheckboxInput)
        return not (hasattr(value, "start") and value.start is None and value.stop is None)
