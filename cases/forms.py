"""Forms of the case editor."""

import datetime
import uuid

from crispy_forms.layout import HTML, Div, Fieldset
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, Q
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from customers.models import Cliente, Contacto
from efactory import versiones
from efactory.claves import es_pk
from efactory.estatus import Estatus
from efactory.filtros import BLANCO, SelectRapido, con_blanco
from efactory.formsets import FilaForm, LecturaDirecta, algun_cambio
from efactory.formularios import Celda, ayudante
from efactory.numeros import NUMERO_INVALIDO, DecimalInput
from efactory.textos import DEMASIADO_LARGO, ConMiles

from .models import Actividad, Articulo, Caso, Clase, Departamento, Ejecutor, Grupo
from .widgets import LupaSelect


class DateInput(forms.DateInput):
    """An HTML5 date input; it needs ISO values, whatever the locale shows."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def format_value(self, value):
        # A date typed as dd/mm/aaaa comes back on an invalid page: show it as the ISO value
        # the date input can display, instead of an empty box.
        if isinstance(value, str):
            for formato in get_format("DATE_INPUT_FORMATS"):
                try:
                    return datetime.datetime.strptime(value.strip(), formato).date().isoformat()
                except ValueError:
                    continue
        return super().format_value(value)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


# A lookup value that matches no (active) row: the lupa's no-JavaScript text or a stale id.
NO_ENCONTRADO = _(
    "No se encontró «%(value)s», o ya no está disponible: elija otro de la lista "
    "(o escriba su código exacto)."
)


def lupas(*campos) -> dict:
    """The lupa widgets of the case's lookup fields, by field name."""
    todas = {
        "cliente": lambda: LupaSelect("clientes", _("Buscar cliente")),
        "contacto": lambda: LupaSelect("contactos", _("Buscar contacto"), depende="id_cliente"),
        "coordinador": lambda: LupaSelect("ejecutores", _("Buscar coordinador")),
        "ejecutor": lambda: LupaSelect("ejecutores", _("Buscar ejecutor")),
        "revisor": lambda: LupaSelect("ejecutores", _("Buscar revisor")),
        "articulo": lambda: LupaSelect("articulos", _("Buscar artículo")),
    }
    return {campo: todas[campo]() for campo in campos}


def etiqueta_contacto(contacto) -> str:
    """A contact with its client's name, or only its own when both are the same (a person
    is usually the one contact of their own client: "Ramón Ñáñez", not "Ramón Ñáñez —
    Ramón Ñáñez")."""
    cliente = contacto.cliente.nombre
    if contacto.nombre.strip().casefold() == cliente.strip().casefold():
        return contacto.nombre
    return f"{contacto.nombre} — {cliente}"


def activos_o_actual(queryset, instance, field_name, activo_q):
    """Active rows of a lookup plus the one the instance already points to.

    An inactive lookup row stays valid on a case that already uses it, but is not offered
    for new choices.
    """
    actual = getattr(instance, f"{field_name}_id", None) if instance is not None else None
    if actual:
        return queryset.filter(activo_q | Q(pk=actual))
    return queryset.filter(activo_q)


def campo_envio():
    """The page's one-time token (cases.services.guardar_caso): one submission, one save.

    A fresh UUID on every new page; an invalid page posts back the one it was given, and a
    page shown again by Back gets back the one it submitted (static/js/envio.js). Read by
    the view (junk counts as missing), never validated here.
    """
    return forms.CharField(
        widget=forms.HiddenInput(attrs={"data-envio": ""}), required=False, initial=uuid.uuid4
    )


class OpcionesCompartidas:
    """One evaluated list of rows, shared by a choice field in every row of a formset.

    Without it each row's select runs its own query, to render and again to validate.
    ``respaldo(pk)``, when given, finds a row the list does not hold (or None): the editor
    loads only the rows its page shows and its submission names, and a value found some
    other way (a name typed without JavaScript) is looked up then, once.
    """

    def __init__(self, queryset, label=str, respaldo=None):
        self.label = label
        self.objetos = list(queryset)
        self.por_pk = {str(obj.pk): obj for obj in self.objetos}
        self.respaldo = respaldo
        self.buscados = set()

    @property
    def choices(self):
        return [("", "---------")] + [(obj.pk, self.label(obj)) for obj in self.objetos]

    def buscar(self, valor):
        """The row whose pk is ``valor`` (text or number), or None."""
        clave = str(valor)
        if clave not in self.por_pk and self.respaldo and clave not in self.buscados:
            self.buscados.add(clave)
            obj = self.respaldo(clave) if es_pk(clave) else None
            if obj is not None:
                self.objetos.append(obj)
                self.por_pk[clave] = obj
        return self.por_pk.get(clave)


class CompartidaModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that renders and validates against an OpcionesCompartidas."""

    opciones: OpcionesCompartidas | None = None

    def __deepcopy__(self, memo):
        # Every row's form deep-copies its fields; ModelChoiceField would clone the queryset
        # each time, which this field never evaluates (it validates against ``opciones``).
        return forms.Field.__deepcopy__(self, memo)

    def compartir(self, opciones: OpcionesCompartidas):
        # Only for validating: the widget (a LupaSelect) renders just the chosen row, and the
        # editor draws its rows in Python (cases/filas.py). Handing it the list would cost a
        # copy of every option per row (Django normalizes a widget's choices when set).
        self.opciones = opciones

    def to_python(self, value):
        if self.opciones is None:
            return super().to_python(value)
        if value in self.empty_values:
            return None
        obj = self.opciones.buscar(value)
        if obj is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return obj

    # A chosen row is never one of the empty values: Django's checks compare it with each
    # of them (Model.__eq__, five calls a check), for every row of an import.
    def validate(self, value):
        if not isinstance(value, Model):
            super().validate(value)

    def run_validators(self, value):
        if self.validators or not isinstance(value, Model):
            super().run_validators(value)


class CasoForm(LecturaDirecta, forms.ModelForm):
    """The case itself (Generales and Otros); it has no prefix, so inputs carry field names."""

    # The version of the case the page was loaded with (stale edits are refused).
    version = versiones.CampoVersion()
    envio = campo_envio()

    class Meta:
        model = Caso
        fields = [
            "asunto",
            "prioridad",
            "cliente",
            "coordinador",
            "fecha_inicio",
            "fecha_cierre",
            "etapa",
            "avance",
            "articulo",
            "clase",
            "interno",
            "grupo",
            "contacto",
            "ejecutor",
            "departamento",
            "origen",
            "comentario",
            *Caso.CAMPOS_OTROS,
        ]
        localized_fields = ["estimado"]
        # Lookups that can also validate against rows loaded beforehand (validar_en_memoria).
        field_classes = dict.fromkeys(Caso.RELACIONES, CompartidaModelChoiceField)
        widgets = {
            **lupas("cliente", "contacto", "coordinador", "ejecutor", "revisor", "articulo"),
            "fecha_inicio": DateInput(),
            "fecha_cierre": DateInput(),
            "comentario": forms.Textarea(attrs={"rows": 3}),
            "comentario_solucion": forms.Textarea(attrs={"rows": 3}),
            "avance": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
            # Typed as "2,5" or "2.5", shown as "40,00" (a number input refuses the comma).
            "estimado": DecimalInput(),
        }
        error_messages = {
            "asunto": {
                "required": _("Escriba el asunto del caso."),
                "max_length": ConMiles(
                    _(
                        "El asunto admite como máximo %(limit_value)s caracteres "
                        "(tiene %(show_value)s)."
                    )
                ),
            },
            "cliente": {"required": _("Seleccione el cliente del caso.")},
            "fecha_inicio": {"required": _("Indique la fecha de inicio.")},
            "comentario": {"max_length": DEMASIADO_LARGO},
            "comentario_solucion": {"max_length": DEMASIADO_LARGO},
            "estimado": {"invalid": NUMERO_INVALIDO},
        }

    # The lookups whose rows are the active ones (each model's ACTIVOS, efactory/estatus.py)
    # plus the one the case already points to (activos_o_actual). The import
    # (cases/importacion.py) reads the same to validate thousands of cases without a query
    # per field.
    ACTIVOS = {
        "cliente": Cliente,
        "coordinador": Ejecutor,
        "ejecutor": Ejecutor,
        "revisor": Ejecutor,
        "articulo": Articulo,
        "clase": Clase,
        "grupo": Grupo,
        "departamento": Departamento,
    }

    def __init__(self, *args, opciones: dict | None = None, campos=None, **kwargs):
        """``opciones``: the import's rows to validate the lookups against (see
        validar_en_memoria); such a form is only validated and saved, never drawn, so it
        builds no querysets and no layout. ``campos``: the import's one copy of the fields
        (efactory/formsets.py:CamposDeLaFila), shared by forms validated one after another."""
        if campos is not None:
            self.base_fields = campos
        super().__init__(*args, **kwargs)
        self._reglas()
        if opciones is not None:
            self.validar_en_memoria(opciones)
            return
        instance = self.instance
        for name, model in self.ACTIVOS.items():
            self.fields[name].queryset = activos_o_actual(
                model.objects.all(), instance, name, model.ACTIVOS
            )
        # Any contact validates here; Caso.clean() then says clearly when it belongs to
        # another client. The widget only ever renders the chosen one.
        self.fields["contacto"].queryset = Contacto.objects.select_related("cliente")
        self.fields["contacto"].label_from_instance = etiqueta_contacto
        self._pagina()

    def _reglas(self):
        """What the form's fields say beyond the model's: messages and avance's range."""
        self.fields["avance"].error_messages["invalid"] = _(
            "El avance debe ser un número entero entre 0 y 100."
        )
        # The model's validators name the range 0–100; the form field's own minimum check
        # ("mayor o igual a 0") would answer -1 without mentioning it.
        self.fields["avance"].validators = list(Caso._meta.get_field("avance").validators)
        for name in (
            "coordinador",
            "ejecutor",
            "revisor",
            "contacto",
            "cliente",
            "articulo",
            "clase",
            "grupo",
            "departamento",
        ):
            self.fields[name].error_messages["invalid_choice"] = NO_ENCONTRADO

    def _pagina(self):
        """What drawing the editor needs: the version, the loaded lookups, the layout."""
        instance = self.instance
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        # What the case points to as loaded, before a submission changes the instance: each
        # of these lookups keeps offering its own value (see usar_opciones).
        self.actuales = {name: getattr(instance, f"{name}_id") for name in self.CATALOGOS}
        # The chosen client and contact come loaded with the case (the editor's
        # select_related): their lupas show them without querying them again.
        for name in ("cliente", "contacto"):
            if Caso._meta.get_field(name).is_cached(instance) and getattr(instance, name):
                self.fields[name].widget.cargados = [getattr(instance, name)]
        self.helper = ayudante(
            "version",
            "envio",
            Fieldset(
                _("Generales"),
                Div(
                    Celda("asunto", "col-lg-8"),
                    Celda("prioridad", "col-sm-6 col-lg-4"),
                    Celda("cliente", "col-sm-6 col-lg-4"),
                    Celda("contacto", "col-sm-6 col-lg-4"),
                    Celda("coordinador", "col-sm-6 col-lg-4"),
                    Celda("fecha_inicio", "col-sm-6 col-lg-3"),
                    Celda("fecha_cierre", "col-sm-6 col-lg-3"),
                    Celda("etapa", "col-sm-6 col-lg-3"),
                    Celda("avance", "col-sm-6 col-lg-3"),
                    Celda("ejecutor", "col-sm-6 col-lg-4"),
                    Celda("departamento", "col-sm-6 col-lg-4"),
                    Celda("grupo", "col-sm-6 col-lg-4"),
                    Celda("articulo", "col-sm-6 col-lg-4"),
                    Celda("clase", "col-sm-6 col-lg-4"),
                    Celda("origen", "col-sm-6 col-lg-4"),
                    Celda("interno", "col-12"),
                    Celda("comentario", "col-12"),
                    css_class="row g-3",
                ),
                css_id="seccion-generales",
            ),
            HTML('{% include "cases/_actividades.html" %}'),
            Fieldset(
                _("Otros"),
                Div(
                    Celda("estimado", "col-sm-6 col-lg-3"),
                    Celda("complejidad", "col-sm-6 col-lg-3"),
                    Celda("nivel", "col-sm-6 col-lg-3"),
                    Celda("revisor", "col-sm-6 col-lg-3"),
                    Celda("facturable", "col-12"),
                    Celda("comentario_solucion", "col-12"),
                    css_class="row g-3",
                ),
                css_id="seccion-otros",
            ),
        )

    def clean_asunto(self):
        return self.cleaned_data["asunto"].strip()

    # Lookups whose choices the editor renders from the Actividades formset's rows.
    CATALOGOS = {
        "coordinador": Ejecutor,
        "ejecutor": Ejecutor,
        "revisor": Ejecutor,
        "articulo": Articulo,
    }

    def ids_de_catalogo(self, modelo) -> set:
        """The ids of ``modelo`` (Ejecutor, Articulo) the case points to, as loaded."""
        return {self.actuales[name] for name, m in self.CATALOGOS.items() if m is modelo} - {None}

    def usar_opciones(self, ejecutores, articulos):
        """Show the chosen ejecutores and articulo from rows already loaded.

        Their lupas render only the chosen row (LupaSelect, like Cliente); ``ejecutores`` and
        ``articulos`` (the Actividades formset loads them for its rows, with the ones this
        case points to) give it without a query of its own. Submitted values are still
        validated against the querysets.
        """
        cargados = {Ejecutor: ejecutores, Articulo: articulos}
        for name, modelo in self.CATALOGOS.items():
            self.fields[name].widget.cargados = cargados[modelo]

    def validar_en_memoria(self, opciones: dict):
        """Validate the lookups against rows already loaded, not one query per field.

        ``opciones`` maps each lookup field (those of ACTIVOS, and contacto) to an object
        with ``buscar(pk)`` that returns the row only where this field's queryset would
        find it (the import builds them from ACTIVOS' conditions, in one query per chunk).
        """
        for name, elegibles in opciones.items():
            self.fields[name].compartir(elegibles)

    def _get_validation_exclusions(self):
        # The form's ModelChoiceFields already fetched each chosen row from their querysets;
        # the model's own existence check of the same foreign keys would query them again.
        exclude = super()._get_validation_exclusions()
        exclude.update(
            name
            for name, field in self.fields.items()
            if isinstance(field, forms.ModelChoiceField) and not self.has_error(name)
        )
        return exclude


ELECCION_NO_DISPONIBLE = _("La opción elegida ya no existe o no está disponible; elija otra.")


class ActividadForm(FilaForm):
    """One row of the Actividades section.

    The browser copies the case's current Ejecutor and Facturable into a row added with
    JavaScript (``data-default-from``).
    """

    ejecutor = CompartidaModelChoiceField(
        queryset=Ejecutor.objects.all(),
        required=False,
        label=_("Ejecutor"),
        help_text=Actividad._meta.get_field("ejecutor").help_text,
        widget=LupaSelect(
            "ejecutores", _("Buscar ejecutor"), attrs={"data-default-from": "id_ejecutor"}
        ),
        error_messages={"invalid_choice": ELECCION_NO_DISPONIBLE},
    )
    articulo = CompartidaModelChoiceField(
        queryset=Articulo.objects.all(),
        required=False,
        label=_("Artículo"),
        help_text=Actividad._meta.get_field("articulo").help_text,
        widget=LupaSelect("articulos", _("Buscar artículo")),
        error_messages={"invalid_choice": ELECCION_NO_DISPONIBLE},
    )

    class Meta:
        model = Actividad
        fields = Actividad.CAMPOS
        widgets = {
            "fecha": DateInput(),
            "hora_inicio": TimeInput(),
            "hora_fin": TimeInput(),
            "descripcion": forms.Textarea(attrs={"rows": 1}),
            "facturable": forms.CheckboxInput(attrs={"data-default-from": "id_facturable"}),
        }
        labels = {"descripcion": _("Actividad"), "fecha": _("Fecha")}
        error_messages = {
            "fecha": {"required": _("Indique la fecha."), "invalid": _("Fecha no válida.")},
            "hora_inicio": {"required": _("Indique la hora."), "invalid": _("Hora no válida.")},
            "hora_fin": {"required": _("Indique la hora."), "invalid": _("Hora no válida.")},
            "descripcion": {"required": _("Describa la actividad."), "max_length": DEMASIADO_LARGO},
        }

    # Fields a new row gets from the case; alone they do not make a row worth saving.
    CAMPOS_CON_DEFECTO = {"ejecutor", "facturable", "DELETE"}

    def has_changed(self):
        """A new row counts as filled in only when more than its defaults were given."""
        if self.instance.pk is None:
            if not hasattr(self, "_relleno"):
                self._relleno = algun_cambio(self, self.CAMPOS_CON_DEFECTO)
            return self._relleno
        return super().has_changed()

    def _get_validation_exclusions(self):
        # ejecutor and articulo were checked against the formset's shared list, and the hour
        # order by Actividad.clean(): skip their per-row database round-trips (FK existence and
        # CheckConstraint queries), so that validation costs the same for 5 rows or 500.
        exclude = super()._get_validation_exclusions()
        exclude.update({"ejecutor", "articulo", "hora_fin"})
        return exclude


class ProximosForm(forms.Form):
    """Query parameters of Próximos Casos a Ejecutar; invalid values fall back to defaults."""

    ESTATUS = [("", _("Todos")), *Estatus.choices]

    agrupar = forms.ChoiceField(
        label=_("Agrupar por"),
        choices=[("ejecutor", _("Ejecutor")), ("cliente", _("Cliente"))],
        required=False,
        widget=SelectRapido,
    )
    limite = forms.IntegerField(
        label=_("Casos por grupo"), min_value=1, max_value=100, required=False
    )
    pagina = forms.IntegerField(
        label=_("Página de grupos"),
        min_value=1,
        max_value=10**6,
        required=False,
        widget=forms.HiddenInput,
    )
    # A lupa, like Cliente: the page weighs the same with 40 or 400 executors.
    ejecutor = forms.ModelChoiceField(
        label=_("Ejecutor"),
        queryset=Ejecutor.objects.all(),
        required=False,
        widget=LupaSelect("ejecutores", _("Buscar ejecutor")),
    )
    estatus_ejecutor = forms.ChoiceField(
        label=_("Estatus del ejecutor"), choices=ESTATUS, required=False, widget=SelectRapido
    )
    cliente = forms.ModelChoiceField(
        label=_("Cliente"),
        queryset=Cliente.objects.order_by("nombre"),
        required=False,
        widget=LupaSelect("clientes", _("Buscar cliente")),
    )
    estatus_cliente = forms.ChoiceField(
        label=_("Estatus del cliente"), choices=ESTATUS, required=False, widget=SelectRapido
    )

    DEFECTOS = {
        "agrupar": "ejecutor",
        "limite": 5,
        "estatus_ejecutor": Estatus.ACTIVO,
        "estatus_cliente": Estatus.ACTIVO,
    }

    def __init__(self, data=None, **kwargs):
        datos = dict(self.DEFECTOS)
        if data is not None:
            # <campo>_buscar: what was typed in a lupa's no-JavaScript box.
            for key in [*self.base_fields, "ejecutor_buscar", "cliente_buscar"]:
                if key in data:
                    datos[key] = data.get(key)
        super().__init__(datos, **kwargs)

    def valores(self) -> dict:
        """Cleaned values, each invalid one replaced by its default."""
        self.is_valid()
        valores = {}
        for name in self.fields:
            if name in self.errors:
                valores[name] = self.DEFECTOS.get(name)
            else:
                valores[name] = self.cleaned_data.get(name)
        valores["agrupar"] = valores["agrupar"] or "ejecutor"
        valores["limite"] = valores["limite"] or 5
        return valores


SIN_CAMBIO = ""


class SeguimientoForm(forms.Form):
    """Seguimiento de casos: the bulk action bar of the list."""

    casos = forms.ModelMultipleChoiceField(
        queryset=Caso.objects.only("pk"),
        widget=forms.MultipleHiddenInput,
        error_messages={
            "required": _("Seleccione al menos un caso."),
            "invalid_choice": _("Uno de los casos seleccionados ya no existe."),
            "invalid_pk_value": _("Selección de casos no válida."),
        },
    )
    etapa = forms.ChoiceField(label=_("Etapa"), required=False, widget=SelectRapido)
    prioridad = forms.ChoiceField(label=_("Prioridad"), required=False, widget=SelectRapido)
    # Lupas: the bar weighs the same with 40 or 400 executors.
    ejecutor = forms.ModelChoiceField(
        label=_("Ejecutor"),
        queryset=Ejecutor.objects.filter(Ejecutor.ACTIVOS),
        required=False,
        empty_label=_("— sin cambio —"),
        widget=LupaSelect("ejecutores", _("Buscar ejecutor")),
    )
    coordinador = forms.ModelChoiceField(
        label=_("Coord."),
        queryset=Ejecutor.objects.filter(Ejecutor.ACTIVOS),
        required=False,
        empty_label=_("— sin cambio —"),
        widget=LupaSelect("ejecutores", _("Buscar coordinador")),
    )

    def full_clean(self):
        # Junk ids (25 digits) would overflow the database's integers inside the field's
        # query: refuse them before it runs.
        if self.is_bound and hasattr(self.data, "getlist"):
            for valor in self.data.getlist("casos"):
                if not es_pk(valor):
                    self._errors = ErrorDict()
                    self.cleaned_data = {}
                    self.add_error(None, _("Selección de casos no válida."))
                    return
        super().full_clean()

    def __init__(self, *args, **kwargs):
        from .models import Etapa, Prioridad

        super().__init__(*args, **kwargs)
        sin_cambio = [(SIN_CAMBIO, _("— sin cambio —"))]
        self.fields["etapa"].choices = sin_cambio + con_blanco(Etapa.choices)
        self.fields["prioridad"].choices = sin_cambio + list(Prioridad.choices)
        for name, field in self.fields.items():
            field.widget.attrs.update({"class": "form-select form-select-sm", "id": f"seg-{name}"})

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.cambios():
            raise ValidationError(
                _("Elija al menos un cambio: etapa, ejecutor, coord. o prioridad.")
            )
        return cleaned

    def cambios(self) -> dict:
        """Field → new value, for the fields the user chose to change."""
        datos = getattr(self, "cleaned_data", {})
        cambios = {}
        etapa = datos.get("etapa")
        if etapa:
            cambios["etapa"] = "" if etapa == BLANCO else etapa
        if datos.get("prioridad"):
            cambios["prioridad"] = datos["prioridad"]
        for campo in ("ejecutor", "coordinador"):
            if datos.get(campo):
                cambios[campo] = datos[campo]
        return cambios


class CasoRapidoForm(LecturaDirecta, forms.ModelForm):
    """Agregar casos rápidamente: the few fields needed to register a case in one go."""

    fecha = forms.DateField(
        label=_("Fecha"),
        initial=timezone.localdate,
        widget=DateInput(),
        help_text=_("Fecha de inicio del caso."),
        error_messages={
            "required": _("Indique la fecha de inicio."),
            "invalid": _("Fecha no válida (use dd/mm/aaaa)."),
        },
    )

    class Meta:
        model = Caso
        fields = [
            "prioridad",
            "nivel",
            "cliente",
            "contacto",
            "ejecutor",
            "asunto",
            "etapa",
            "comentario",
        ]
        widgets = {
            **lupas("cliente", "contacto", "ejecutor"),
            "comentario": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = CasoForm.Meta.error_messages

    envio = campo_envio()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cliente"].queryset = Cliente.objects.filter(Cliente.ACTIVOS)
        self.fields["ejecutor"].queryset = Ejecutor.objects.filter(Ejecutor.ACTIVOS)
        self.fields["contacto"].queryset = Contacto.objects.all()
        for name in ("cliente", "contacto", "ejecutor"):
            self.fields[name].error_messages["invalid_choice"] = NO_ENCONTRADO
        self.order_fields(
            [
                "fecha",
                "prioridad",
                "nivel",
                "cliente",
                "contacto",
                "ejecutor",
                "asunto",
                "etapa",
                "comentario",
            ]
        )
        self.helper = ayudante(
            "envio",
            Div(
                Celda("asunto", "col-12"),
                Celda("fecha", "col-sm-4"),
                Celda("prioridad", "col-sm-4"),
                Celda("nivel", "col-sm-4"),
                Celda("cliente", "col-md-6"),
                Celda("contacto", "col-md-6"),
                Celda("ejecutor", "col-md-6"),
                Celda("etapa", "col-md-6"),
                Celda("comentario", "col-12"),
                css_class="row g-3",
            ),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("fecha"):
            # The model's rules (and its check constraints) see the start date.
            self.instance.fecha_inicio = cleaned["fecha"]
        return cleaned

    def clean_asunto(self):
        return self.cleaned_data["asunto"].strip()
