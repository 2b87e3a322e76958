"""efactory/formsets.py:LecturaDirecta cleans a form and lists its changes exactly as Django
does (BaseForm._clean_fields, changed_data), without building a BoundField per field."""

import datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.forms import ActividadForm, CasoForm
from cases.models import Caso, Ejecutor
from efactory.formsets import LecturaDirecta, algun_cambio
from tests.cases.datos import datos_caso
from tests.factories import CasoFactory, ClienteFactory, EjecutorFactory

COLORES = [("rojo", "Rojo"), ("verde", "Verde"), ("azul", "Azul")]


def hoy():
    return datetime.date(2026, 3, 2)


class Campos(forms.Form):
    """One field of every kind the project's forms use, and some they do not."""

    nombre = forms.CharField(max_length=5)
    cantidad = forms.IntegerField(required=False, min_value=0)
    fecha = forms.DateField(required=False, initial=hoy, input_formats=["%d/%m/%Y", "%Y-%m-%d"])
    hora = forms.TimeField(required=False)
    activo = forms.BooleanField(required=False, initial=True)
    tal_vez = forms.NullBooleanField(required=False)
    color = forms.ChoiceField(choices=COLORES, required=False)
    colores = forms.MultipleChoiceField(choices=COLORES, required=False)
    bloqueado = forms.CharField(disabled=True, initial="fijo", required=False)
    archivo = forms.FileField(required=False)
    momento = forms.SplitDateTimeField(required=False)
    oculto = forms.CharField(required=False, show_hidden_initial=True, initial="antes")
    monto = forms.DecimalField(required=False, max_digits=5, decimal_places=2)

    def clean_nombre(self):
        nombre = self.cleaned_data["nombre"]
        if nombre == "malo":
            raise ValidationError("Nombre no permitido.", code="malo")
        return nombre.upper()

    def clean_cantidad(self):
        # Reads another field: what was cleaned before it, in field order.
        return (self.cleaned_data["cantidad"] or 0) + len(self.cleaned_data.get("nombre", ""))


class Directa(LecturaDirecta, Campos):
    pass


textos = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=8),
    st.sampled_from(
        ["malo", "abc", "7", "-3", "1.5", "1,5", "02/03/2026", "2026-03-02", "31/02/2026", "25:00"]
    ),
    st.sampled_from(["10:30", "rojo", "azul", "morado", "on", "true", "false", "2", "3", "antes"]),
)


def _datos(valores: dict) -> QueryDict:
    datos = QueryDict(mutable=True)
    for nombre, valor in valores.items():
        if valor is None:
            continue
        if isinstance(valor, list):
            datos.setlist(nombre, valor)
        else:
            datos[nombre] = valor
    return datos


def _los_dos(clase_directa, clase_django, datos, **kwargs):
    directo = clase_directa(datos, **kwargs)
    django = clase_django(datos, **kwargs)
    return directo, django


def _igual(directo, django):
    assert directo.is_valid() == django.is_valid()
    assert directo.errors.get_json_data() == django.errors.get_json_data()
    assert directo.cleaned_data == django.cleaned_data
    assert directo.changed_data == django.changed_data
    assert directo.has_changed() == django.has_changed()


@settings(max_examples=300, deadline=None)
@given(
    valores=st.fixed_dictionaries(
        {
            nombre: textos
            for nombre in [
                "nombre",
                "cantidad",
                "fecha",
                "hora",
                "activo",
                "tal_vez",
                "color",
                "bloqueado",
                "oculto",
                "initial-oculto",
                "momento_0",
                "momento_1",
                "monto",
            ]
        }
    ),
    colores=st.lists(st.sampled_from(["rojo", "verde", "negro", ""]), max_size=3),
    prefijo=st.sampled_from([None, "p"]),
)
def test_cleaned_data_errors_and_changes_are_djangos_for_any_submission(valores, colores, prefijo):
    valores["colores"] = colores
    if prefijo:
        valores = {f"{prefijo}-{nombre}": valor for nombre, valor in valores.items()}
    directo, django = _los_dos(Directa, Campos, _datos(valores), prefix=prefijo)
    _igual(directo, django)


def test_a_field_already_drawn_and_a_form_with_initial_values_clean_the_same():
    datos = _datos({"nombre": "ana", "cantidad": "2", "fecha": "03/03/2026", "oculto": "x"})
    inicial = {"nombre": "ana", "fecha": datetime.date(2026, 3, 3), "activo": False}
    directo, django = _los_dos(Directa, Campos, datos, initial=inicial)
    # The page drew two fields before validating: their BoundFields are used, as Django does.
    str(directo["nombre"]), str(django["nombre"])
    str(directo["fecha"]), str(django["fecha"])
    _igual(directo, django)
    assert directo.cleaned_data["nombre"] == "ANA"
    assert directo.changed_data == ["cantidad", "oculto"]


def test_an_unbound_form_is_not_valid_and_lists_the_same_changes():
    assert not Directa().is_valid()
    assert Directa().errors == {}
    # Django compares the initial values with no data: those with a value "changed".
    assert Directa().changed_data == Campos().changed_data == ["fecha", "activo"]


@pytest.mark.django_db
def test_the_case_editor_form_cleans_as_djangos():
    cliente = ClienteFactory()
    caso = CasoFactory(cliente=cliente, asunto="Antes")
    datos = datos_caso(
        cliente,
        asunto="Después",
        avance="150",  # out of range
        fecha_cierre="01/01/2020",  # before the start
        interno="on",
        version=str(caso.version),
    )
    directo = CasoForm(datos, instance=caso)

    class CasoDjango(CasoForm):
        _clean_fields = forms.BaseForm._clean_fields
        changed_data = forms.BaseForm.changed_data

    django = CasoDjango(datos, instance=caso)
    _igual(directo, django)
    assert {"avance", "fecha_cierre"} <= set(directo.errors)
    assert {"asunto", "interno"} <= set(directo.changed_data)


@pytest.mark.django_db
def test_an_activity_row_reads_its_change_as_djangos():
    ejecutor = EjecutorFactory()
    # Only what a new row gets from the case: not a row worth saving.
    solo_defectos = ActividadForm({"ejecutor": ejecutor.pk, "facturable": "on"})
    assert not solo_defectos.has_changed()
    fila = ActividadForm({"ejecutor": ejecutor.pk, "fecha": "02/03/2026", "descripcion": "Ver"})
    assert fila.has_changed()
    for form in (solo_defectos, fila):
        de_django = [n for n, bf in form._bound_items() if bf._has_changed()]
        assert form.changed_data == de_django
        assert algun_cambio(form) == bool(de_django)


class CasoCorto(LecturaDirecta, forms.ModelForm):
    """A model form with each reason Django excludes a model field from the model's
    validation: not on the form, declared but left out of Meta.fields, in Meta.exclude, not
    required by the form though the model requires it, and failed."""

    prioridad = forms.CharField(required=False)  # declared, not in Meta.fields
    asunto = forms.CharField(required=False, max_length=10)  # the model requires it
    avance = forms.IntegerField(required=False, max_value=100)  # the model requires it

    class Meta:
        model = Caso
        fields = ["asunto", "avance", "comentario", "fecha_cierre", "etapa", "ejecutor"]
        exclude = ["etapa"]  # noqa: DJ006 (the exclusion rule under test)


class CasoCortoDjango(CasoCorto):
    _get_validation_exclusions = forms.BaseModelForm._get_validation_exclusions


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(
    valores=st.fixed_dictionaries(
        {
            nombre: textos
            for nombre in ["asunto", "avance", "comentario", "fecha_cierre", "prioridad"]
        }
    ),
    con_ejecutor=st.booleans(),
)
def test_the_models_validation_skips_the_fields_django_skips(valores, con_ejecutor):
    ejecutor = Ejecutor.objects.first() or EjecutorFactory()
    valores["ejecutor"] = str(ejecutor.pk) if con_ejecutor else ""
    datos = _datos(valores)
    directo, django = _los_dos(CasoCorto, CasoCortoDjango, datos)
    assert directo.is_valid() == django.is_valid()
    assert directo.errors.get_json_data() == django.errors.get_json_data()
    assert directo._get_validation_exclusions() == django._get_validation_exclusions()


@pytest.mark.django_db
def test_the_editors_forms_skip_the_fields_django_skips():
    cliente = ClienteFactory()
    caso = CasoFactory(cliente=cliente)
    for datos in (
        datos_caso(cliente, asunto="", avance="150", version=str(caso.version)),
        datos_caso(cliente, ejecutor=str(EjecutorFactory().pk), version=str(caso.version)),
    ):
        form = CasoForm(datos, instance=caso)
        form.is_valid()
        de_django = forms.BaseModelForm._get_validation_exclusions(form)
        assert LecturaDirecta._get_validation_exclusions(form) == de_django
    fila = ActividadForm({"fecha": "02/03/2026", "hora_inicio": "9", "descripcion": "Ver"})
    fila.is_valid()
    de_django = forms.BaseModelForm._get_validation_exclusions(fila)
    assert LecturaDirecta._get_validation_exclusions(fila) == de_django
