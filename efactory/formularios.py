"""What the project's crispy forms share."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, LayoutObject
from crispy_forms.utils import render_field
from django import forms

from efactory.marcado import format_html, format_html_join


def ayudante(*partes) -> FormHelper:
    """The crispy helper of a form drawn inside the page's own ``<form>``, laid out as
    ``partes``.

    The page's form tag wraps this form and its formsets and carries the CSRF token, so the
    helper draws neither.
    """
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*partes)
    return helper


class Celda(LayoutObject):
    """One field in a ``<div class="…">`` of the layout's grid, drawn in Python.

    ``Div("asunto", css_class="col-lg-8")`` draws crispy's ``div.html`` and, for the field,
    crispy-bootstrap5's ``field.html`` with its includes (label, help text, errors): about
    half a millisecond a field, most of an editor's page. ``Celda("asunto", "col-lg-8")``
    draws the same markup (tests/test_dibujo.py compares both, as HTML) for the fields the
    project's forms have: text, number, date and time inputs, textareas, selects (the lupa
    included) and checkboxes, with the layout's defaults (labels and errors shown, errors
    before the help text). Any other kind of field (radio buttons, files, several widgets
    in one) is left to crispy's own template.
    """

    def __init__(self, campo: str, css_class: str):
        self.fields = [campo]
        self.css_class = css_class

    def render(self, form, context, template_pack=None, **kwargs):
        nombre = self.fields[0]
        bf = form[nombre]
        widget = bf.field.widget
        propio = not (
            bf.use_fieldset
            or isinstance(widget, forms.RadioSelect | forms.FileInput | forms.MultiWidget)
        )
        if propio:
            form.rendered_fields.add(nombre)
            campo = dibujar_campo(bf)
        else:
            campo = render_field(nombre, form, context, template_pack=template_pack)
        return format_html('<div class="{}">{}</div>', self.css_class, campo)


def _clases(widget, extra: str) -> str:
    """The widget's ``class`` as crispy's ``crispy_field`` tag leaves it: the widget's own
    classes, its class name in lower case, then ``extra``."""
    nombre = type(widget).__name__.lower()
    clases = widget.attrs.get("class", "")
    if not clases:
        clases = nombre
    elif nombre not in clases:
        clases += f" {nombre}"
    for clase in extra.split():
        if clase not in clases.split():
            clases += f" {clase}"
    return clases


def _errores_y_ayuda(bf):
    """crispy-bootstrap5's ``help_text_and_errors.html`` with the layout's defaults."""
    errores = bf.errors
    bloque = ""
    if errores:
        bloque = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            getattr(errores, "field_id", None) or "",
            format_html_join(
                "",
                '<span id="error_{}_{}"><strong>{}</strong></span>',
                ((i, bf.auto_id, error) for i, error in enumerate(errores, start=1)),
            ),
        )
    ayuda = ""
    if bf.help_text:
        ayuda = format_html(
            '<div {}class="form-text">{}</div>',
            format_html('id="{}_helptext" ', bf.auto_id) if bf.auto_id else "",
            bf.help_text,
        )
    return format_html("{}{}", bloque, ayuda)


def dibujar_campo(bf):
    """One bound field as crispy-bootstrap5's ``field.html`` draws it (see :class:`Celda`)."""
    widget = bf.field.widget
    if widget.is_hidden:
        return str(bf)
    invalido = " is-invalid" if bf.errors else ""
    requerido = " requiredField" if bf.field.required else ""
    asterisco = ""
    if bf.field.required:
        asterisco = format_html('<span class="{}">*</span>', "asteriskField")
    css = bf.css_classes()
    if isinstance(widget, forms.CheckboxInput):
        widget.attrs["class"] = _clases(widget, "form-check-input" + invalido)
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check{}">{}'
            '<label for="{}" class="form-check-label{}">{}{}</label>{}</div></div>',
            bf.auto_id,
            f" {css}" if css else "",
            str(bf),
            bf.id_for_label,
            requerido,
            bf.label,
            asterisco,
            _errores_y_ayuda(bf),
        )
    base = "form-select" if isinstance(widget, forms.Select) else "form-control"
    widget.attrs["class"] = _clases(widget, base + invalido)
    etiqueta = ""
    if bf.label:
        etiqueta = format_html(
            '<label {}class="form-label{}">{}{}</label>',
            format_html('for="{}" ', bf.id_for_label) if bf.id_for_label else "",
            requerido,
            bf.label,
            asterisco,
        )
    return format_html(
        '<div id="div_{}" class="mb-3{}">{}{}{}</div>',
        bf.auto_id,
        f" {css}" if css else "",
        etiqueta,
        str(bf),
        _errores_y_ayuda(bf),
    )
