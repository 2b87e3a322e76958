"""Render the Actividades rows in Python: the editor of a case with 500 rows stays fast.

Django renders every widget (and every <option>) through a template; 500 rows of 9 widgets
with two selects each took seconds. Here each row is one string built with plain string
operations (every value escaped with django.utils.html.escape), and the options of the shared
ejecutor/artículo selects are rendered once per formset. The markup is the one the page's
CSS, app.js and lupa.js expect (data-formset-row, data-lupa, …), and every input keeps its
label, help text, maximum length and error links.

Ejecutor and Artículo: a <select> cannot wrap its text, and long names ("Carlos Eduardo
Mendoza Villalobos") do not fit a column of a row that must fit 1366 px. With JavaScript on,
the chosen name is shown in a box that wraps (``.nombre-elegido``, kept in sync by app.js)
under the real, transparent select, which still takes clicks, the keyboard and the label.
"""

from django.forms import CheckboxInput, Textarea
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from efactory.numeros import decimal_local

CELDAS = [
    # (field, cell class, column label)
    ("fecha", "c-fecha", "Fecha"),
    ("hora_inicio", "c-hora", "H/Inicio"),
    ("hora_fin", "c-hora", "H/Fin"),
    ("descripcion", "c-descripcion", "Actividad"),
    ("ejecutor", "c-ejecutor", "Ejecutor"),
    ("facturable", "c-fact", "Fact."),
    ("articulo", "c-articulo", "Artículo"),
]
LUPAS = {
    "ejecutor": ("ejecutores", "Buscar ejecutor"),
    "articulo": ("articulos", "Buscar artículo"),
}


class Contexto:
    """What every row shares: translated labels, the lupa markup, the rendered options."""

    def __init__(self, formset):
        self.etiquetas = {nombre: escape(_(etiqueta)) for nombre, _c, etiqueta in CELDAS}
        # Which columns have help text (evaluating a lazy help_text per row costs a gettext).
        vacio = formset.empty_form
        self.con_ayuda = {nombre for nombre, _c, _e in CELDAS if vacio.fields[nombre].help_text}
        self.eliminar = escape(_("Eliminar"))
        self.eliminar_renglon = escape(_("Eliminar renglón"))
        self.lupas = {}
        self.opciones = {}
        self.nombres = {}
        for nombre, opciones in (
            ("ejecutor", formset.opciones_ejecutor),
            ("articulo", formset.opciones_articulo),
        ):
            tabla, titulo = LUPAS[nombre]
            titulo = escape(_(titulo))
            self.lupas[nombre] = (
                f'<div class="input-group flex-nowrap lupa" data-lupa data-lupa-url='
                f'"{reverse("buscar", args=[tabla])}" data-lupa-titulo="{titulo}">'
                '<div class="elegido">',
                f'</select></div><button type="button" class="btn btn-outline-secondary lupa-boton '
                f'solo-js" data-lupa-abrir aria-label="{titulo}" title="{titulo}"><span '
                f'class="icono-lupa" aria-hidden="true"></span></button></div>',
            )
            self.opciones[nombre] = "".join(
                f'<option value="{escape(valor)}">{escape(etiqueta)}</option>'
                for valor, etiqueta in opciones.choices
            )
            self.nombres[nombre] = {str(v): escape(e) for v, e in opciones.choices}

    def opciones_con(self, nombre, elegido) -> str:
        html = self.opciones[nombre]
        if elegido in (None, ""):
            return html.replace('<option value="">', '<option value="" selected>', 1)
        valor = escape(getattr(elegido, "pk", elegido))
        return html.replace(f'<option value="{valor}">', f'<option value="{valor}" selected>', 1)

    def nombre_elegido(self, nombre, elegido, invalido: bool) -> str:
        """The wrapping box that shows the chosen option's name (hidden from screen readers:
        they read the select itself)."""
        clave = "" if elegido in (None, "") else str(getattr(elegido, "pk", elegido))
        texto = self.nombres[nombre].get(clave) or self.nombres[nombre].get("", "")
        clase = "form-select form-select-sm nombre-elegido" + (" is-invalid" if invalido else "")
        return f'<span class="{clase}" aria-hidden="true" data-nombre-elegido>{texto}</span>'


def _atributos(bound, clase, ctx, valor_html="") -> str:
    # Django's own attribute order (name, value, …), which readers and tests expect.
    partes = [f'name="{bound.html_name}"{valor_html} id="{bound.auto_id}"']
    descritos = [f"ayuda-col-{bound.name}"] if bound.name in ctx.con_ayuda else []
    if bound.errors:
        clase += " is-invalid"
        partes.append('aria-invalid="true"')
        descritos.append(f"{bound.auto_id}_error")
    partes.append(f'class="{clase}"')
    if descritos:
        partes.append(f'aria-describedby="{" ".join(descritos)}"')
    for clave, valor in bound.field.widget.attrs.items():
        if clave.startswith("data-") or clave == "maxlength":
            partes.append(f'{clave}="{escape(valor)}"')
    return " ".join(partes)


def _control(bound, ctx: Contexto) -> str:
    widget = bound.field.widget
    valor = bound.value()
    if isinstance(widget, CheckboxInput):
        marcado = " checked" if widget.check_test(valor) else ""
        return f'<input type="checkbox" {_atributos(bound, "form-check-input", ctx)}{marcado}>'
    if bound.name in ctx.lupas:
        antes, despues = ctx.lupas[bound.name]
        return (
            f"{antes}{ctx.nombre_elegido(bound.name, valor, bool(bound.errors))}"
            f"<select {_atributos(bound, 'form-select form-select-sm', ctx)}>"
            f"{ctx.opciones_con(bound.name, valor)}{despues}"
        )
    texto = widget.format_value(valor)
    texto = "" if texto is None else escape(texto)
    if isinstance(widget, Textarea):
        filas = widget.attrs.get("rows", 1)
        atributos = _atributos(bound, "form-control form-control-sm", ctx)
        return f'<textarea {atributos} rows="{filas}">\n{texto}</textarea>'
    valor_html = f' value="{texto}"' if texto else ""
    atributos = _atributos(bound, "form-control form-control-sm", ctx, valor_html)
    return f'<input type="{widget.input_type}" {atributos}>'


def _errores(bound) -> str:
    if not bound.errors:
        return ""
    lista = "".join(f"<div>{escape(e)}</div>" for e in bound.errors)
    return f'<div class="invalid-feedback d-block" id="{bound.auto_id}_error">{lista}</div>'


def render_fila(form, ctx: Contexto) -> str:
    """One <tr> of the Actividades table for ``form`` (a bound or unbound ActividadForm)."""
    clases = "fila-actividad"
    if form.errors:
        clases += " table-danger-subtle fila-con-error"
    nueva = "" if form.instance.pk else " data-fila-nueva"
    ocultos = form.hidden_fields()
    celdas = []
    for i, (nombre, clase, _etiqueta) in enumerate(CELDAS):
        bound = form[nombre]
        extra = despues = ""
        if i == 0:
            for h in ocultos:
                valor = h.value()
                valor_html = f' value="{escape(valor)}"' if valor not in (None, "") else ""
                extra += f'<input type="hidden" name="{h.html_name}" id="{h.auto_id}"{valor_html}>'
            otros = [*form.non_field_errors(), *(e for h in ocultos for e in h.errors)]
            despues = "".join(
                f'<div class="invalid-feedback d-block">{escape(e)}</div>' for e in otros
            )
        celdas.append(
            f'<td class="{clase}">{extra}<label class="etiqueta-celda" for="{bound.id_for_label}">'
            f"{ctx.etiquetas[nombre]}</label>{_control(bound, ctx)}{_errores(bound)}{despues}</td>"
        )
    horas = escape(decimal_local(form.instance.horas)) if form.instance.pk else ""
    celdas.append(f'<td class="c-horas text-end" data-horas>{horas}</td>')
    borrar = form["DELETE"]
    marcado = " checked" if borrar.field.widget.check_test(borrar.value()) else ""
    celdas.append(
        f'<td class="c-eliminar"><div class="sin-js"><input type="checkbox" '
        f'name="{borrar.html_name}" id="{borrar.auto_id}"{marcado}> <label '
        f'for="{borrar.auto_id}">{ctx.eliminar}</label></div><button type="button" '
        f'class="btn btn-sm btn-outline-danger solo-js boton-eliminar" data-formset-remove '
        f'aria-label="{ctx.eliminar_renglon}" title="{ctx.eliminar_renglon}">'
        '<span class="icono-eliminar" aria-hidden="true"></span></button></td>'
    )
    return f'<tr data-formset-row{nueva} class="{clases}">{"".join(celdas)}</tr>\n'


def _contexto(formset) -> Contexto:
    if not hasattr(formset, "_contexto_filas"):
        formset._contexto_filas = Contexto(formset)
    return formset._contexto_filas


def render_filas(formset) -> str:
    """Every row of the formset; the shared options are rendered once."""
    ctx = _contexto(formset)
    return mark_safe("".join(render_fila(form, ctx) for form in formset.forms))


def render_fila_vacia(formset) -> str:
    """The formset's empty form (index __prefix__), for "Agregar renglón"."""
    return mark_safe(render_fila(formset.empty_form, _contexto(formset)))
