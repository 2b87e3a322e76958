"""Template helpers for compact forms (the Actividades rows)."""

from django import forms, template

register = template.Library()


@register.simple_tag
def control(field, size="sm"):
    """Render a bound field's widget with Bootstrap classes and its error state.

    Errors are linked with aria-describedby so screen readers read them with the input.
    """
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = f"form-select form-select-{size}"
    else:
        css = f"form-control form-control-{size}"
    attrs = {"class": css}
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}_error"
    return field.as_widget(attrs=attrs)
