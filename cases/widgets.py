"""The lupa widget: a select that a search assistant fills, for foreign keys."""

from django import forms
from django.urls import reverse


class LupaSelect(forms.Select):
    """A ``<select>`` with a magnifier button that opens the lupa search assistant.

    The form still posts the primary key under the field's own name and the field validates
    it against its full queryset. With ``completo=False`` (big tables: clients, contacts) the
    select renders only the chosen row, never the whole table, and the browser turns it into
    a type-to-search box; with ``completo=True`` (small tables) it keeps every option.
    ``depende`` names the id of another field whose value scopes the search (the contact's
    client) and clears this field when it changes.
    """

    template_name = "includes/lupa_select.html"

    def __init__(self, tabla: str, etiqueta: str, *, completo=False, depende=None, attrs=None):
        self.tabla = tabla
        self.etiqueta = etiqueta
        self.completo = completo
        self.depende = depende
        super().__init__(attrs=attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["lupa"] = {
            "url": reverse("buscar", args=[self.tabla]),
            "etiqueta": self.etiqueta,
            "completo": self.completo,
            "depende": self.depende or "",
        }
        return context

    def optgroups(self, name, value, attrs=None):
        if self.completo:
            return super().optgroups(name, value, attrs)
        elegidos = [str(v) for v in value if v not in (None, "") and str(v).isdigit()]
        iterador = self.choices
        field = getattr(iterador, "field", None)
        opciones = [("", getattr(field, "empty_label", None) or "---------")]
        if elegidos and field is not None:
            for obj in iterador.queryset.filter(pk__in=elegidos):
                opciones.append((field.prepare_value(obj), field.label_from_instance(obj)))
        return [
            (
                None,
                [
                    self.create_option(
                        name, valor, etiqueta, str(valor) in elegidos, index, attrs=attrs
                    )
                ],
                index,
            )
            for index, (valor, etiqueta) in enumerate(opciones)
        ]
