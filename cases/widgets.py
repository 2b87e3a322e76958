"""The lupa widget: a select that a search assistant fills, for foreign keys."""

from django import forms
from django.forms.renderers import get_default_renderer
from django.urls import reverse
from django.utils.translation import get_language

from efactory.claves import es_pk
from efactory.filtros import dibujar_select
from efactory.marcado import format_html

# The table whose chosen row scopes a dependent lupa (a contact belongs to a client).
DEPENDENCIAS = {"contactos": "clientes"}
# Where formato_envoltorio() puts the control, the row's field name and the text typed in the
# no-JavaScript box: plain letters, which the template prints as they are.
MARCADOR_CONTROL = "LUPACONTROLAQUI"
MARCADOR_NOMBRE = "LUPANOMBREAQUI"
MARCADOR_TEXTO = "LUPATEXTOAQUI"


# The lupa markup of each kind of LupaSelect, by language (static text: no data).
_ENVOLTORIOS: dict[tuple, tuple[str, str]] = {}


class TextoBuscado:
    """A text typed in the no-JavaScript box that names no single row.

    Deliberately not a ``str``: the field's lookup must not take a typed "7" for the primary
    key 7 (it rejects this object as an invalid choice, quoting the text), and the re-shown
    page puts the text back in the box instead of selecting row 7.
    """

    def __init__(self, texto: str):
        self.texto = texto

    def __str__(self):
        return self.texto


def resolver(tabla: str, texto: str, *, cliente=None) -> str | None:
    """The key of the one active row ``texto`` names (its exact code, or the only match)."""
    from .lupa import TABLAS, buscar

    definicion = TABLAS[tabla]
    encontrados = list(buscar(definicion, texto, cliente=cliente)[:2])
    codigo = definicion.codigo
    exactos = [
        o for o in encontrados if codigo and str(getattr(o, codigo)).lower() == texto.lower()
    ]
    if exactos or len(encontrados) == 1:
        return str((exactos or encontrados)[0].pk)
    if encontrados and "email" in definicion.campos and "@" in texto:
        # An e-mail address names one person even when it is part of another's.
        exactos = list(
            definicion.modelo._default_manager.filter(definicion.activo, email__iexact=texto)[:2]
        )
        if len(exactos) == 1:
            return str(exactos[0].pk)
    return None


class LupaSelect(forms.Select):
    """A ``<select>`` with a magnifier button that opens the lupa search assistant.

    The form still posts the primary key under the field's own name and the field validates
    it against its full queryset. With ``completo=False`` (the default: clients, contacts,
    ejecutores, artículos) the select renders only the chosen row, never the whole table, so
    a page weighs the same with 40 rows in the table or 4,000, and the browser turns it into
    a type-to-search box; with ``completo=True`` it keeps every option.
    ``depende`` names the id of another field whose value scopes the search (the contact's
    client) and clears this field when it changes.

    Without JavaScript the big-table select cannot offer other rows, so a ``<noscript>`` text
    box ``<name>_buscar`` takes a code or a name instead: :meth:`value_from_datadict` turns
    an exact code, an exact e-mail, or a text that matches exactly one active row, into that
    row's key. An inactive chosen row (an old case's) is marked ``data-inactivo``: the
    browser does not copy it into new Actividades rows (static/js/app.js).
    """

    template_name = "includes/lupa_select.html"
    # Rows already loaded (the edited case's own client and contact): when the chosen value
    # is one of them, the widget shows it without querying it again.
    cargados = ()

    def __init__(self, tabla: str, etiqueta: str, *, completo=False, depende=None, attrs=None):
        self.tabla = tabla
        self.etiqueta = etiqueta
        self.completo = completo
        self.depende = depende
        super().__init__(attrs=attrs)

    def get_context(self, name, value, attrs):
        texto = ""
        if isinstance(value, TextoBuscado):
            texto, value = value.texto, None
        context = super().get_context(name, value, attrs)
        final = context["widget"]["attrs"]
        # A field with errors: BoundField marks the select (aria-invalid, is-invalid). The
        # container is marked too, because the error message that follows it is its sibling,
        # not the select's, and Bootstrap shows .invalid-feedback only after an .is-invalid.
        invalido = final.get("aria-invalid") == "true" or "is-invalid" in final.get("class", "")
        context["widget"]["lupa"] = self.contexto_lupa(
            name, texto=texto, invalido=invalido, describe=final.get("aria-describedby", "")
        )
        return context

    def contexto_lupa(self, name="", *, texto="", invalido=False, describe="", control=""):
        """What the template says about the lupa around the select (``widget.lupa``)."""
        return {
            "url": reverse("buscar", args=[self.tabla]),
            "etiqueta": self.etiqueta,
            "completo": self.completo,
            "depende": self.depende or "",
            "buscar": f"{name}_buscar",
            "texto": texto,
            "invalido": invalido,
            "describe": describe,
            "control": control,
        }

    def formato_envoltorio(self, renderer) -> tuple[str, str]:
        """This lupa's markup before and after the control, as two halves of a
        :func:`~django.utils.html.format_html` format string.

        For controls drawn in Python (the Actividades rows, cases/filas.py): they render the
        widget's own template once per formset, with a placeholder for the select, so the
        lupa's markup has one definition. The template escapes what it prints; braces are
        doubled so that format_html() reads them as text.

        The no-JavaScript box of a big table takes the row's ``{name}`` and, after a refused
        save, the text typed in it (``{texto_buscado}``: ``value="…"`` or nothing).
        """
        contexto = {
            "widget": {
                "lupa": self.contexto_lupa(
                    MARCADOR_NOMBRE, texto=MARCADOR_TEXTO, control=MARCADOR_CONTROL
                )
            }
        }
        html = renderer.render(self.template_name, contexto).strip()
        # Exactly one placeholder, or the unpacking fails loudly.
        antes, despues = (
            p.replace("{", "{{")
            .replace("}", "}}")
            .replace(f' value="{MARCADOR_TEXTO}"', "{texto_buscado}")
            .replace(MARCADOR_NOMBRE, "{name}")
            for p in html.split(MARCADOR_CONTROL)
        )
        return antes, despues

    def render(self, name, value, attrs=None, renderer=None):
        """The lupa drawn in Python: its markup (from the template, once per process and
        language, :meth:`formato_envoltorio`) around the select (:func:`dibujar_select`).
        A field with errors, a description or a typed text takes the template itself."""
        context = self.get_context(name, value, attrs)
        lupa = context["widget"]["lupa"]
        if lupa["invalido"] or lupa["describe"] or lupa["texto"]:
            return self._render(self.template_name, context, renderer)
        clave = (self.tabla, str(self.etiqueta), self.completo, self.depende, get_language())
        if clave not in _ENVOLTORIOS:
            _ENVOLTORIOS[clave] = self.formato_envoltorio(renderer or get_default_renderer())
        antes, despues = _ENVOLTORIOS[clave]
        return format_html(
            antes + "{control}" + despues,
            control=dibujar_select(context["widget"]),
            name=name,
            texto_buscado="",
        )

    def firma(self, field, elegido):
        """What this select shows that comes from the database, for a cached filter panel
        (FiltrosBase.firma): every option when ``completo``; otherwise the chosen row
        (``elegido``, the field's cleaned value): its key, its label and whether it is active.
        """
        if self.completo:
            return [(str(v), str(e)) for v, e in field.choices]
        if elegido is None or not hasattr(elegido, "pk"):
            return None
        from .lupa import TABLAS

        tabla = TABLAS.get(self.tabla)
        return (
            str(elegido.pk),
            str(field.label_from_instance(elegido)),
            tabla.es_activo(elegido) if tabla else None,
        )

    def value_from_datadict(self, data, files, name):
        valor = super().value_from_datadict(data, files, name)
        texto = (data.get(f"{name}_buscar") or "").strip()
        if valor not in (None, "") or not texto or self.completo:
            return valor
        cliente = None
        if self.depende:
            # The scoping row may itself have been typed in its own no-JavaScript box.
            dependencia = self.depende.removeprefix("id_")
            cliente = data.get(dependencia)
            buscado = (data.get(f"{dependencia}_buscar") or "").strip()
            if not cliente and buscado and self.tabla in DEPENDENCIAS:
                cliente = resolver(DEPENDENCIAS[self.tabla], buscado)
        # Not found or ambiguous: the field rejects the text, quoting it.
        return resolver(self.tabla, texto, cliente=cliente) or TextoBuscado(texto)

    def optgroups(self, name, value, attrs=None):
        if self.completo:
            return super().optgroups(name, value, attrs)
        elegidos = [str(v) for v in value if v not in (None, "") and es_pk(v)]
        iterador = self.choices
        field = getattr(iterador, "field", None)
        opciones = [("", getattr(field, "empty_label", None) or "---------")]
        if elegidos and field is not None:
            conocidos = {str(obj.pk): obj for obj in self.cargados}
            objetos = [conocidos[pk] for pk in elegidos if pk in conocidos]
            if len(objetos) < len(elegidos):
                objetos += iterador.queryset.filter(pk__in=set(elegidos) - set(conocidos))
            for obj in objetos:
                opciones.append((field.prepare_value(obj), field.label_from_instance(obj), obj))
        from .lupa import TABLAS

        tabla = TABLAS.get(self.tabla)
        grupos = []
        for index, (valor, etiqueta, *obj) in enumerate(opciones):
            opcion = self.create_option(
                name, valor, etiqueta, str(valor) in elegidos, index, attrs=attrs
            )
            if obj and tabla and not tabla.es_activo(obj[0]):
                opcion["attrs"] = {**opcion["attrs"], "data-inactivo": True}
            grupos.append((None, [opcion], index))
        return grupos
