"""Render the Actividades rows in Python: the editor of a case with 500 rows stays fast.

Django renders every widget (and every <option>) through a template; 500 rows of 9 widgets
with two selects each took seconds. Here each cell is one ``format_html`` call (every value
escaped on the way in: no fragment can forget it), and what all rows share is built once per
formset: each column's format string with its class, label and attributes already filled
in (escaped), the chosen names of the ejecutor/artículo selects (which list only the chosen
option: the lupa's type-to-search box finds the others), and the lupa around those selects,
which comes from the LupaSelect's own template (includes/lupa_select.html), so the rows and
the case's fields share one definition of it (its no-JavaScript box included).
The markup is the one the page's CSS, app.js and lupa.js expect (data-formset-row, data-lupa,
…), and every input keeps its label, help text, maximum length and error links.

Compact rows: a stored row without errors (most of a big case's rows) is drawn with nothing
but what it posts and names: no ids, labels (``aria-label`` instead), classes, lupa markup,
help links or no-JavaScript boxes. A case with 500 activities weighed 2.1 MB of HTML with
the full markup (4.1 KB a row) and weighs about 0.55 MB with this (1.1 KB a row). The page
adds the rest in the browser (static/js/lupa.js wraps their Ejecutor/Artículo selects in the
lupa from the ``<template data-lupa-plantilla>`` the table carries; app.js adds the remove
buttons), and app.css gives their bare controls Bootstrap's small look. New rows, rows with
errors and a page opened with ``?renglones=completos`` (the no-JavaScript way to change a
stored row's Ejecutor or Artículo by typing it) keep the full markup.

Ejecutor and Artículo: a <select> cannot wrap its text, and long names ("Carlos Eduardo
Mendoza Villalobos") do not fit a column of a row that must fit 1366 px. With JavaScript on,
the chosen name is shown in a box that wraps (``.nombre-elegido``, kept in sync by app.js)
under the lupa's search box (lupa.js puts it in the select's place), transparent until it
has the focus; it takes clicks, the keyboard and the label.
"""

from django.forms import CheckboxInput, Textarea
from django.forms.formsets import DELETION_FIELD_NAME
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _

from efactory.formato import decimal_local
from efactory.marcado import format_html, format_html_join

from .widgets import LupaSelect, TextoBuscado

CELDAS = [
    # (field, cell class, column label)
    ("fecha", "c-fecha", _("Fecha")),
    ("hora_inicio", "c-hora", _("H/Inicio")),
    ("hora_fin", "c-hora", _("H/Fin")),
    ("descripcion", "c-descripcion", _("Actividad")),
    ("ejecutor", "c-ejecutor", _("Ejecutor")),
    ("facturable", "c-fact", _("Fact.")),
    ("articulo", "c-articulo", _("Artículo")),
]
ELIMINAR = _("Eliminar")
ELIMINAR_RENGLON = _("Eliminar renglón")

# The format strings of a row. A cell: its class, the row's hidden inputs (first cell only),
# the label, the control, the control's errors and the row's own (first cell only).
_TD = (
    '<td class="{clase_celda}">{ocultos}<label class="etiqueta-celda" for="{id}">{etiqueta}</label>'
)
_FIN_TD = "{errores}{de_la_fila}</td>"
# A control's attributes in Django's own order, which readers and tests expect: name, value,
# id, aria-invalid, class, aria-describedby, the widget's data-* and maxlength.
_NOMBRE = 'name="{name}"'
_RESTO = ' id="{id}"{invalido} class="{clase}"{describe}{extras}'
CONTROLES = {
    "input": '<input type="{tipo}" ' + _NOMBRE + _RESTO + ">",
    "input_con_valor": '<input type="{tipo}" ' + _NOMBRE + ' value="{valor}"' + _RESTO + ">",
    "casilla": '<input type="checkbox" ' + _NOMBRE + _RESTO + "{marcado}>",
    "textarea": "<textarea " + _NOMBRE + _RESTO + ' rows="{filas}">\n{texto}</textarea>',
    # Inside the lupa's markup: the box with the chosen name, the select and its options.
    "lupa": '<div class="elegido">{nombre_elegido}<select '
    + _NOMBRE
    + _RESTO
    + ">{opciones}</select></div>",
}
OCULTO = '<input type="hidden" name="{}" id="{}">'
OCULTO_CON_VALOR = '<input type="hidden" name="{}" id="{}" value="{}">'
FILA = (
    '<tr data-formset-row{} class="{}">{}{}{}{}{}{}{}'
    '<td class="c-horas text-end" data-horas>{}</td>'
    '<td class="c-eliminar"><div class="sin-js"><input type="checkbox" name="{}" id="{}"{}> '
    '<label for="{}">{}</label></div><button type="button" class="btn btn-sm '
    'btn-outline-danger solo-js boton-eliminar" data-formset-remove aria-label="{}" '
    'title="{}"><span class="icono-eliminar" aria-hidden="true"></span></button></td></tr>\n'
)

# A compact row (a stored row without errors): its cells (COMPACTOS, the first one with the
# row's id), then the hours and the DELETE box. Contexto joins them into one format string per
# formset, each column's fields prefixed by its name, so a row is one format_html() call.
FILA_COMPACTA = '<tr data-formset-row class="fila-compacta">{celdas}'
FIN_FILA_COMPACTA = (
    '<td data-horas>{horas}</td><td><input type="checkbox" name="{borrar__name}" '
    'aria-label="{eliminar}" class="sin-js"{borrar__marcado}></td></tr>\n'
)
ID_COMPACTO = '<input type="hidden" name="{id__name}" value="{id__valor}">'
COMPACTOS = {
    "input": '<td>{ocultos}<input type="{tipo}" name="{name}" value="{valor}" '
    'aria-label="{etiqueta}"></td>',
    "textarea": '<td>{ocultos}<textarea name="{name}" aria-label="{etiqueta}"{extras} '
    'rows="{filas}">\n{texto}</textarea></td>',
    "casilla": '<td>{ocultos}<input type="checkbox" name="{name}" aria-label="{etiqueta}"{marcado}>'
    "</td>",
    "lupa": '<td>{ocultos}<select name="{name}" aria-label="{etiqueta}" data-lupa-fila="{columna}">'
    "{opciones}</select></td>",
}
# The fields a row fills in a compact cell (prefixed by the column's name in the row).
HUECOS_COMPACTOS = ("name", "valor", "texto", "marcado", "opciones")

# Fixed pieces, escaped once: format_html() passes safe strings through as they are, so a
# row spends its escaping on the values that change from row to row.
NADA = conditional_escape("")
MARCADO = conditional_escape(" checked")
INVALIDO = format_html(' aria-invalid="{}"', "true")
FILA_NUEVA = conditional_escape(" data-fila-nueva")
CLASES_FILA = {
    False: conditional_escape("fila-actividad"),
    True: conditional_escape("fila-actividad table-danger-subtle fila-con-error"),
}


class _Huecos(dict):
    """format_map() values that leave every other {field} in place."""

    def __missing__(self, clave):
        return "{" + clave + "}"


def _fijar(formato: str, **fijos) -> str:
    """``formato`` with the ``fijos`` fields filled in, escaped (and their braces doubled), as
    a format string for format_html() with the remaining fields."""
    return formato.format_map(
        _Huecos(
            (clave, conditional_escape(valor).replace("{", "{{").replace("}", "}}"))
            for clave, valor in fijos.items()
        )
    )


class Columna:
    """One column of the rows: what its cell shares in every row, escaped once.

    ``formatos`` are the cell's format strings, by control (``input``, ``input_con_valor``,
    …), with everything the rows share filled in, for a cell without errors; in
    ``formatos_con_errores`` the row fills in the error state too (aria-invalid, the class,
    aria-describedby, the messages). The first column leaves the row's hidden inputs and
    its errors to fill in.
    """

    def __init__(self, nombre, clase_celda, etiqueta, campo, formset, primera: bool):
        widget = campo.widget
        self.nombre = nombre
        # The help text of the column (a lazy help_text evaluated per row costs a gettext).
        self.ayuda = f"ayuda-col-{nombre}" if campo.help_text else ""
        if isinstance(widget, CheckboxInput):
            self.control, clase = "casilla", "form-check-input"
        elif isinstance(widget, LupaSelect):
            self.control, clase = "lupa", "form-select form-select-sm"
        elif isinstance(widget, Textarea):
            self.control, clase = "textarea", "form-control form-control-sm"
        else:
            self.control, clase = "input", "form-control form-control-sm"
        self.clase_invalida = f"{clase} is-invalid"
        fijos = {
            "clase_celda": clase_celda,
            "etiqueta": etiqueta,
            "extras": format_html_join(
                "",
                ' {}="{}"',
                (
                    (clave, valor)
                    for clave, valor in widget.attrs.items()
                    if clave.startswith("data-") or clave == "maxlength"
                ),
            ),
            "tipo": getattr(widget, "input_type", ""),
            "filas": widget.attrs.get("rows", 1),
        }
        if not primera:  # the row's hidden inputs and errors go in the first cell
            fijos |= {"ocultos": "", "de_la_fila": ""}
        sin_errores = {
            "invalido": "",
            "clase": clase,
            "describe": format_html(' aria-describedby="{}"', self.ayuda) if self.ayuda else "",
            "errores": "",
        }
        controles = ("input", "input_con_valor") if self.control == "input" else (self.control,)
        envoltorio = widget.formato_envoltorio(formset.renderer) if self.control == "lupa" else None
        self.envoltorio = envoltorio
        self.formatos = {c: _celda(c, envoltorio, **fijos, **sin_errores) for c in controles}
        self.formatos_con_errores = {c: _celda(c, envoltorio, **fijos) for c in controles}
        # The compact cell keeps the maximum length (the browser enforces it) and drops the
        # data-* attributes: they only serve new rows (data-default-from).
        fijos["extras"] = format_html_join(
            "", ' {}="{}"', ((k, v) for k, v in widget.attrs.items() if k == "maxlength")
        )
        plantilla = COMPACTOS[self.control].replace("{ocultos}", ID_COMPACTO if primera else "")
        self.claves = {}
        for hueco in HUECOS_COMPACTOS:
            self.claves[hueco] = f"{nombre}__{hueco}"
            plantilla = plantilla.replace(f"{{{hueco}}}", f"{{{self.claves[hueco]}}}")
        self.compacto = _fijar(plantilla, columna=nombre, **fijos)


def _celda(control, envoltorio=None, **fijos) -> str:
    """The format string of a cell with ``control``, its ``fijos`` fields filled in.

    A lupa's control goes inside the lupa's markup (``envoltorio``: the two halves its
    template draws around the select, format strings already, left as they are).
    """
    td, control, fin = (_fijar(parte, **fijos) for parte in (_TD, CONTROLES[control], _FIN_TD))
    if envoltorio:
        antes, despues = envoltorio
        return td + antes + control + despues + fin
    return td + control + fin


class Contexto:
    """What every row shares: the columns, the lupa markup, the rendered options.

    Every row's widgets carry the same attributes (ActividadForm sets them), so the columns
    are read once, from the formset's empty form.
    """

    def __init__(self, formset):
        vacio = formset.empty_form
        self.columnas = [
            Columna(nombre, clase, etiqueta, vacio.fields[nombre], formset, primera=i == 0)
            for i, (nombre, clase, etiqueta) in enumerate(CELDAS)
        ]
        self.eliminar = conditional_escape(ELIMINAR)
        self.eliminar_renglon = conditional_escape(ELIMINAR_RENGLON)
        self.fila_compacta = FILA_COMPACTA.replace(
            "{celdas}", "".join(c.compacto for c in self.columnas)
        ) + _fijar(FIN_FILA_COMPACTA, eliminar=ELIMINAR)
        self.nombres = {}
        self._opciones_con = {}
        self._nombres_elegidos = {}
        for nombre, opciones in (
            ("ejecutor", formset.opciones_ejecutor),
            ("articulo", formset.opciones_articulo),
        ):
            self.nombres[nombre] = {str(v): e for v, e in opciones.choices}

    def opciones_con(self, nombre, clave: str):
        """The options of ``nombre``'s select: the empty one and the chosen one, if any.

        Never the whole table: the lupa's type-to-search box (static/js/lupa.js) finds the
        others, so a row weighs the same with 40 ejecutores or 400.
        """
        if (nombre, clave) not in self._opciones_con:
            etiqueta = self.nombres[nombre].get(clave) if clave else None
            vacia = self.nombres[nombre].get("", "")
            self._opciones_con[nombre, clave] = (
                format_html(
                    '<option value="">{}</option><option value="{}" selected>{}</option>',
                    vacia,
                    clave,
                    etiqueta,
                )
                if etiqueta is not None
                else format_html('<option value="" selected>{}</option>', vacia)
            )
        return self._opciones_con[nombre, clave]

    def nombre_elegido(self, nombre, clave: str, invalido: bool):
        """The wrapping box that shows the chosen option's name (hidden from screen readers:
        they read the select itself)."""
        if (nombre, clave, invalido) not in self._nombres_elegidos:
            nombres = self.nombres[nombre]
            self._nombres_elegidos[nombre, clave, invalido] = format_html(
                '<span class="form-select form-select-sm nombre-elegido{}" aria-hidden="true" '
                "data-nombre-elegido>{}</span>",
                " is-invalid" if invalido else "",
                nombres.get(clave) or nombres.get("", ""),
            )
        return self._nombres_elegidos[nombre, clave, invalido]


def _celda_de(bound, columna: Columna, ctx: Contexto, fila=None):
    """One cell: ``bound``'s label, control and errors (``fila``: in the first cell, the
    row's hidden inputs and errors)."""
    valor = bound.value()
    errores = bound.errors
    campos = {"id": bound.auto_id, "name": bound.html_name}
    if fila:
        campos["ocultos"], campos["de_la_fila"] = fila
    formatos = columna.formatos
    if errores:
        formatos = columna.formatos_con_errores
        descritos = [columna.ayuda] if columna.ayuda else []
        campos |= {
            "invalido": INVALIDO,
            "clase": columna.clase_invalida,
            "describe": format_html(
                ' aria-describedby="{}"', " ".join([*descritos, f"{bound.auto_id}_error"])
            ),
            "errores": format_html(
                '<div class="invalid-feedback d-block" id="{}_error">{}</div>',
                bound.auto_id,
                format_html_join("", "<div>{}</div>", ((e,) for e in errores)),
            ),
        }
    control = columna.control
    if control == "casilla":
        campos["marcado"] = MARCADO if bound.field.widget.check_test(valor) else NADA
    elif control == "lupa":
        clave = "" if valor in (None, "") else str(getattr(valor, "pk", valor))
        campos["nombre_elegido"] = ctx.nombre_elegido(columna.nombre, clave, bool(errores))
        campos["opciones"] = ctx.opciones_con(columna.nombre, clave)
        # After a refused save, the text typed in the no-JavaScript box, as it was typed.
        campos["texto_buscado"] = (
            format_html(' value="{}"', valor.texto) if isinstance(valor, TextoBuscado) else NADA
        )
    else:
        texto = bound.field.widget.format_value(valor)
        if control == "textarea":
            campos["texto"] = texto or NADA
        elif texto not in (None, ""):
            control, campos["valor"] = "input_con_valor", texto
    return format_html(formatos[control], **campos)


def _valor(form, nombre):
    """What ``form[nombre].value()`` gives, without building a BoundField for an unbound form
    (3,500 of them cost a third of the page)."""
    if form.is_bound:
        return form[nombre].value()
    campo = form.fields[nombre]
    return campo.prepare_value(form.get_initial_for_field(campo, nombre))


def render_fila_compacta(form, ctx: Contexto):
    """The compact <tr> of a stored row without errors (see the module's docstring): one
    format_html() call over the formset's row format string."""
    campos = {
        "id__name": form.add_prefix(form._meta.model._meta.pk.name),
        "id__valor": form.instance.pk,
        "horas": decimal_local(form.instance.horas),
        "borrar__name": form.add_prefix(DELETION_FIELD_NAME),
        "borrar__marcado": MARCADO
        if form.fields[DELETION_FIELD_NAME].widget.check_test(_valor(form, DELETION_FIELD_NAME))
        else NADA,
    }
    for columna in ctx.columnas:
        nombre, claves, control = columna.nombre, columna.claves, columna.control
        campo = form.fields[nombre]
        valor = _valor(form, nombre)
        campos[claves["name"]] = form.add_prefix(nombre)
        if control == "casilla":
            campos[claves["marcado"]] = MARCADO if campo.widget.check_test(valor) else NADA
        elif control == "lupa":
            clave = "" if valor in (None, "") else str(getattr(valor, "pk", valor))
            campos[claves["opciones"]] = ctx.opciones_con(nombre, clave)
        else:
            texto = campo.widget.format_value(valor)
            campos[claves["texto" if control == "textarea" else "valor"]] = texto or NADA
    return format_html(ctx.fila_compacta, **campos)


def _ocultos(form):
    """The row's hidden inputs (its id and its case), and their errors with the row's own."""
    ocultos = form.hidden_fields()
    entradas = format_html_join(
        "",
        "{}",
        (
            (
                format_html(OCULTO, h.html_name, h.auto_id)
                if (v := h.value()) in (None, "")
                else format_html(OCULTO_CON_VALOR, h.html_name, h.auto_id, v),
            )
            for h in ocultos
        ),
    )
    otros = [*form.non_field_errors(), *(e for h in ocultos for e in h.errors)]
    if not otros:
        return entradas, NADA
    errores = format_html_join(
        "", '<div class="invalid-feedback d-block">{}</div>', ((e,) for e in otros)
    )
    return entradas, errores


def render_fila(form, ctx: Contexto):
    """One <tr> of the Actividades table for ``form`` (a bound or unbound ActividadForm)."""
    primera, *resto = ctx.columnas
    celdas = [
        _celda_de(form[primera.nombre], primera, ctx, _ocultos(form)),
        *(_celda_de(form[columna.nombre], columna, ctx) for columna in resto),
    ]
    borrar = form["DELETE"]
    ident_borrar = conditional_escape(borrar.auto_id)
    return format_html(
        FILA,
        NADA if form.instance.pk else FILA_NUEVA,
        CLASES_FILA[bool(form.errors)],
        *celdas,
        decimal_local(form.instance.horas) if form.instance.pk else NADA,
        borrar.html_name,
        ident_borrar,
        MARCADO if borrar.field.widget.check_test(borrar.value()) else NADA,
        ident_borrar,
        ctx.eliminar,
        ctx.eliminar_renglon,
        ctx.eliminar_renglon,
    )


def _contexto(formset) -> Contexto:
    if not hasattr(formset, "_contexto_filas"):
        formset._contexto_filas = Contexto(formset)
    return formset._contexto_filas


def render_filas(formset, completas=False):
    """Every row of the formset; the shared options are rendered once. Stored rows without
    errors are compact unless ``completas``."""
    ctx = _contexto(formset)
    return format_html_join(
        "",
        "{}",
        (
            (
                render_fila(form, ctx)
                if completas or form.instance.pk is None or form.errors
                else render_fila_compacta(form, ctx),
            )
            for form in formset.forms
        ),
    )


# Where lupa.js puts a compact row's select inside the lupa's markup.
ELEGIDO_EN_PLANTILLA = (
    '<div class="elegido"><span class="form-select form-select-sm nombre-elegido" '
    'aria-hidden="true" data-nombre-elegido></span><span data-lupa-aqui></span></div>'
)


def render_plantillas_lupa(formset):
    """A ``<template data-lupa-plantilla="<column>">`` per lupa column: the lupa's markup
    (the same as a full row's, from includes/lupa_select.html) with a ``data-lupa-aqui``
    placeholder where lupa.js puts a compact row's select."""
    return format_html_join(
        "",
        '<template data-lupa-plantilla="{}">{}</template>',
        (
            (
                columna.nombre,
                format_html(
                    columna.envoltorio[0] + ELEGIDO_EN_PLANTILLA + columna.envoltorio[1],
                    name=f"{columna.nombre}_plantilla",
                    texto_buscado=NADA,
                ),
            )
            for columna in _contexto(formset).columnas
            if columna.envoltorio
        ),
    )


def render_fila_vacia(formset):
    """The formset's empty form (index __prefix__), for "Agregar renglón"."""
    return render_fila(formset.empty_form, _contexto(formset))
