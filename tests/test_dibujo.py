"""Forms drawn in Python (issue 11): the form renderer (efactory/dibujo.py) and the layout's
Celda (efactory/formularios.py) draw the markup Django's and crispy's templates draw."""

import datetime
import re
from pathlib import Path

import pytest
from crispy_forms.layout import Div
from crispy_forms.utils import render_crispy_form
from django import forms
from django.conf import settings
from django.forms.renderers import TemplatesSetting
from django.test.html import parse_html
from django.utils import translation

from cases.forms import CasoForm, CasoRapidoForm
from customers.forms import ClienteForm
from efactory.dibujo import PLANTILLAS_DIBUJADAS, Renderizador
from efactory.formularios import Celda, ayudante
from tests.factories import CasoFactory, ClienteFactory

NASTY = "a <b> & \"c\" 'd'"


def _dos_veces(widget, name, value, attrs=None):
    """The widget drawn by Django's templates and by the project's renderer."""
    plantilla = widget.render(name, value, attrs, renderer=TemplatesSetting())
    python = widget.render(name, value, attrs, renderer=Renderizador())
    return plantilla, python


WIDGETS = [
    (forms.TextInput(attrs={"placeholder": NASTY, "maxlength": 200}), NASTY),
    (forms.TextInput(), None),
    (forms.TextInput(), ""),
    (forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}), 50),
    (forms.EmailInput(), "x@example.com"),
    (forms.URLInput(), "https://example.com/?a=1&b=2"),
    (forms.PasswordInput(render_value=True), NASTY),
    (forms.PasswordInput(), NASTY),
    (forms.HiddenInput(attrs={"data-envio": ""}), "3f2a"),
    (forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), datetime.date(2026, 2, 28)),
    (forms.TimeInput(format="%H:%M"), datetime.time(7, 30)),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.CheckboxInput(attrs={"data-default-from": "id_facturable"}), None),
    (forms.Textarea(attrs={"rows": 3}), NASTY),
    (forms.Textarea(), "\nempieza con salto\nde línea"),
    (forms.Textarea(), None),
    (forms.Select(choices=[("", "---------"), ("a", NASTY), (1, "Uno")]), "a"),
    (forms.Select(choices=[("", "---------"), (1, "Uno")]), None),
    (forms.Select(choices=[("Grupo <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")]), "y"),
    (forms.SelectMultiple(choices=[(1, "Uno"), (2, "Dos"), (3, "Tres")]), [1, 3]),
    (forms.NullBooleanSelect(), True),
]


@pytest.mark.parametrize(("widget", "value"), WIDGETS)
def test_the_renderer_draws_django_widgets_as_their_templates_do(widget, value):
    attrs = {"id": "id_campo", "required": True, "disabled": False, "aria-invalid": "true"}
    plantilla, python = _dos_veces(widget, "campo", value, attrs)
    assert parse_html(python) == parse_html(plantilla)
    # Not only the same document: the same text, but for the line breaks between options.
    assert python == re.sub(r">\s+<(/?option|/select|/?optgroup)", r"><\1", plantilla)


def test_the_renderer_leaves_other_templates_to_the_template_engine():
    """The lupa, radio buttons and the admin's widgets keep their templates."""
    radio = forms.RadioSelect(choices=[("a", "A"), ("b", "B")])
    plantilla, python = _dos_veces(radio, "r", "a", {"id": "id_r"})
    assert python == plantilla
    assert 'type="radio"' in python


def test_no_project_template_overrides_what_the_renderer_draws():
    """The renderer never reads these templates: an override would be silently ignored."""
    carpetas = [Path(d) for motor in settings.TEMPLATES for d in motor.get("DIRS", [])]
    for carpeta in carpetas:
        for nombre in PLANTILLAS_DIBUJADAS:
            assert not (carpeta / nombre).exists(), nombre


def test_the_project_draws_forms_with_its_renderer():
    assert settings.FORM_RENDERER == "efactory.dibujo.Renderizador"


def _dibujado(form, parte) -> str:
    """``form`` drawn by ``{% crispy %}`` with a layout of one ``parte``."""
    form.helper = ayudante(parte)
    return render_crispy_form(form, form.helper)


def _por_crispy(form, nombre, css_class) -> str:
    """The field as the layout drew it before: crispy's Div around crispy's field.html."""
    return _dibujado(form, Div(nombre, css_class=css_class))


def _por_celda(form, nombre, css_class) -> str:
    return _dibujado(form, Celda(nombre, css_class))


def _formularios():
    caso = CasoFactory(asunto=NASTY, comentario="x" * 20)
    cliente = ClienteFactory(nombre=NASTY)
    errores_caso = {
        "asunto": "",
        "cliente": "999999",
        "fecha_inicio": "31/02/2026",
        "avance": "150",
        "estimado": "x",
        "nivel": "-1",
        "etapa": "nada",
        "interno": "on",
        "version": "1",
    }
    return [
        ("CasoForm nuevo", CasoForm()),
        ("CasoForm guardado", CasoForm(instance=caso)),
        ("CasoForm con errores", CasoForm(data=errores_caso, instance=caso)),
        ("CasoRapidoForm", CasoRapidoForm()),
        ("CasoRapidoForm con errores", CasoRapidoForm(data={"asunto": "", "fecha": "x"})),
        ("ClienteForm", ClienteForm(instance=cliente)),
        ("ClienteForm con errores", ClienteForm(data={"codigo": "", "email": "no"})),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("idioma", ["es", "en"])
def test_celda_draws_every_field_of_the_editors_as_crispy_did(idioma):
    with translation.override(idioma):
        for titulo, form in _formularios():
            form.is_bound and form.is_valid()
            for nombre in form.fields:
                if form.fields[nombre].widget.is_hidden:
                    continue
                antes = _por_crispy(form, nombre, "col-sm-6 col-lg-4")
                despues = _por_celda(form, nombre, "col-sm-6 col-lg-4")
                assert parse_html(despues) == parse_html(antes), f"{titulo}: {nombre}"


@pytest.mark.django_db
def test_celda_marks_a_field_with_errors_as_crispy_did():
    form = CasoForm(data={"asunto": "", "avance": "150"}, instance=CasoFactory())
    assert not form.is_valid()
    html = _por_celda(form, "avance", "col-3")
    assert 'class="numberinput form-control is-invalid"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_avance_error" class="invalid-feedback"' in html
    assert '<span id="error_1_id_avance"><strong>' in html
    # Drawing it twice leaves the same classes (crispy's tag adds each class once).
    assert _por_celda(form, "avance", "col-3") == html


@pytest.mark.django_db
def test_the_editor_page_is_drawn_without_crispys_field_template(cliente_coordinador, monkeypatch):
    """Every visible field of the editor goes through Celda: crispy's field.html is used
    only for the two hidden ones (version, envio)."""
    from crispy_forms import utils

    usados = []
    real = utils.default_field_template

    def contar(*args, **kwargs):
        usados.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(utils, "default_field_template", contar)
    respuesta = cliente_coordinador.get(f"/casos/{CasoFactory().pk}/editar/")
    assert respuesta.status_code == 200
    assert len(usados) == 2
    assert b'id="div_id_asunto" class="mb-3"' in respuesta.content
