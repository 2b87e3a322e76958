"""Template helpers for compact forms (the Actividades rows)."""

from django import forms, template
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _

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
def entrada(widget):
    """An input from its widget context (a date range's boxes), drawn in Python."""
    from efactory.filtros import dibujar_input

    return dibujar_input(widget)


@register.simple_tag
def filas_actividades(formset, completas=False):
    """All rows of the Actividades formset (rendered in Python, see cases/filas.py)."""
    from cases.filas import render_filas

    return render_filas(formset, completas=completas)


@register.simple_tag
def plantillas_lupa_filas(formset):
    """The lupa markup the browser wraps around the compact rows' selects."""
    from cases.filas import render_plantillas_lupa

    return render_plantillas_lupa(formset)


@register.simple_tag
def fila_actividad_vacia(formset):
    from cases.filas import render_fila_vacia

    return render_fila_vacia(formset)


@register.simple_tag
def errores_del_resumen(form, formset=None, seccion=""):
    """The error summary of an editor: one entry per error shown next to a field or row.

    Each entry has the message, the field's label (prefixed by ``seccion`` and the row
    number for a formset row) and ``id``, the id of the input it belongs to, for a link that
    takes the user there (empty for the form's hidden fields, which have nowhere to go).
    The form's entries come in the order of the page (its crispy layout), then the rows';
    rows marked for deletion are not validated, so they are left out.
    """

    def entradas_de(f, etiqueta_fila=""):
        visibles = f.visible_fields()
        # A row's own errors and those of its hidden fields are shown in its first cell.
        primero = visibles[0].id_for_label if etiqueta_fila and visibles else ""
        for nombre, errores in f.errors.items():
            if nombre == NON_FIELD_ERRORS:
                if not etiqueta_fila:
                    continue  # the form's own are listed above the summary's links
                destino, etiqueta = primero, etiqueta_fila
            else:
                campo = f[nombre]
                destino = primero if campo.is_hidden else campo.id_for_label
                etiqueta = f"{etiqueta_fila} · {campo.label}" if etiqueta_fila else campo.label
            for mensaje in errores:
                yield nombre, {"id": destino, "etiqueta": etiqueta, "mensaje": mensaje}

    del_form = list(entradas_de(form))
    layout = getattr(getattr(form, "helper", None), "layout", None)
    if layout is not None:
        orden = {puntero.name: i for i, puntero in enumerate(layout.get_field_names())}
        del_form.sort(key=lambda par: orden.get(par[0], len(orden)))
    entradas = [entrada for _nombre, entrada in del_form]
    if formset is not None:
        entradas.extend(
            {"id": "", "etiqueta": seccion, "mensaje": mensaje}
            for mensaje in formset.non_form_errors()
        )
        for numero, f in enumerate(formset.forms, start=1):
            if not f.errors or (formset.can_delete and formset._should_delete_form(f)):
                continue
            fila = _("%(seccion)s, renglón %(n)d") % {"seccion": seccion, "n": numero}
            entradas.extend(entrada for _nombre, entrada in entradas_de(f, fila))
    return {"total": len(entradas), "entradas": entradas}


@register.simple_tag
def filas_lista(casos, seleccion=False):
    """The list's rows (drawn in Python, see cases/lista.py)."""
    from cases.lista import filas_lista

    return filas_lista(casos, seleccion=seleccion)


@register.simple_tag
def filas_proximos(casos, agrupar):
    """A Próximos group's rows (drawn in Python, see cases/lista.py)."""
    from cases.lista import filas_proximos

    return filas_proximos(casos, agrupar=agrupar)


@register.simple_tag
def filas_actividades_reporte(actividades):
    """The rows of /actividades/ (drawn in Python, see cases/lista.py)."""
    from cases.lista import filas_actividades

    return filas_actividades(actividades)


@register.simple_tag
def filas_horas(reporte):
    """The rows of the hours report (drawn in Python, see cases/lista.py)."""
    from cases.lista import filas_horas

    return filas_horas(reporte)


@register.filter
def celda(valor):
    """A chart's data-table cell: numbers the Spanish way (1.234; 2,50), text as is."""
    from decimal import Decimal

    from django.utils import formats

    if isinstance(valor, bool) or valor is None:
        return "—" if valor is None else valor
    if isinstance(valor, int):
        return formats.number_format(valor, force_grouping=True)
    if isinstance(valor, Decimal | float):
        return formats.number_format(valor, decimal_pos=2, force_grouping=True)
    return valor
