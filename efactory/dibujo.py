"""The project's form renderer: Django's widget templates drawn in Python.

Every ``<input>``, ``<select>`` and ``<textarea>`` Django draws goes through a template and
an include of ``attrs.html`` (and one more include per ``<option>``): a form of thirty fields
spent more time in those templates than in everything else it does. This renderer draws the
same markup for the templates of Django's own input, select and textarea widgets, from the
same context (``widget.get_context()``), and leaves every other template (the lupa, the
admin's widgets, Django's form and error templates) to the template engine, as
``TemplatesSetting`` does. The markup is the same as the templates', whitespace between tags
aside (tests/test_dibujo.py draws each widget both ways).

A project template that overrides one of these names would be ignored, so there is none, and
the test suite checks that there stays none.
"""

from django.forms.renderers import TemplatesSetting

from efactory.marcado import format_html

from .filtros import atributos, dibujar_input, dibujar_select

# Django's widget templates that only include input.html.
PLANTILLAS_INPUT = frozenset(
    f"django/forms/widgets/{nombre}.html"
    for nombre in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
    )
)
PLANTILLA_SELECT = "django/forms/widgets/select.html"
PLANTILLA_OPCION = "django/forms/widgets/select_option.html"
PLANTILLA_TEXTAREA = "django/forms/widgets/textarea.html"
# The names this renderer draws itself: no project template may override them.
PLANTILLAS_DIBUJADAS = PLANTILLAS_INPUT | {PLANTILLA_SELECT, PLANTILLA_OPCION, PLANTILLA_TEXTAREA}


def dibujar_textarea(widget: dict):
    """A ``<textarea>`` as Django's ``textarea.html`` draws it (the newline after the opening
    tag is part of it: the browser drops it, and a text that starts with one keeps it)."""
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>',
        widget["name"],
        atributos(widget["attrs"]),
        widget["value"] or "",
    )


def _opciones_simples(widget: dict) -> bool:
    """Whether every option of a select uses Django's own option template."""
    return all(
        opcion.get("template_name") == PLANTILLA_OPCION
        for _grupo, opciones, _indice in widget["optgroups"]
        for opcion in opciones
    )


class Renderizador(TemplatesSetting):
    """``FORM_RENDERER``: TemplatesSetting, with Django's basic widgets drawn in Python."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None:
            if template_name in PLANTILLAS_INPUT:
                return dibujar_input(widget)
            if template_name == PLANTILLA_SELECT and _opciones_simples(widget):
                return dibujar_select(widget)
            if template_name == PLANTILLA_TEXTAREA:
                return dibujar_textarea(widget)
        return super().render(template_name, context, request=request)
