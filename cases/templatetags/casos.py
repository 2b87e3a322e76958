"""Template helpers for compact forms (the Actividades rows)."""

from django import forms, template

register = template.Library()


@register.simple_tag
def control(field, size="sm"):
    """Render a bound field's widget with Bootstrap classes and its error state.

    The input is described (aria-describedby) by its column's help text, rendered once per
    table with id ``ayuda-col-<field name>``, and by its errors, so screen readers read both.
    """
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = f"form-select form-select-{size}"
    else:
        css = f"form-control form-control-{size}"
    attrs = {"class": css}
    descritos = [f"ayuda-col-{field.name}"] if field.help_text else []
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        descritos.append(f"{field.auto_id}_error")
    if descritos:
        attrs["aria-describedby"] = " ".join(descritos)
    return field.as_widget(attrs=attrs)


@register.simple_tag
def filas_actividades(formset):
    """All rows of the Actividades formset (rendered in Python, see cases/filas.py)."""
    from cases.filas import render_filas

    return render_filas(formset)


@register.simple_tag
def fila_actividad_vacia(formset):
    from cases.filas import render_fila_vacia

    return render_fila_vacia(formset)
