"""Widgets for foreign keys to tables too big to list in a page."""

from django import forms


class LupaSelect(forms.Select):
    """A <select> that renders only the chosen row (and the empty choice), never the table.

    The lupa search assistant fills it from ``/buscar/<tabla>/``; the form still posts the
    primary key under the field's own name, and the field validates it against the full
    queryset. ``tabla`` names the search endpoint, ``etiqueta`` the button's aria-label.
    """

    template_name = "includes/lupa_select.html"

    def __init__(self, tabla: str, etiqueta: str = "", attrs=None):
        self.tabla = tabla
        self.etiqueta = etiqueta
        super().__init__(attrs=attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["lupa"] = {"tabla": self.tabla, "etiqueta": self.etiqueta}
        return context

    def optgroups(self, name, value, attrs=None):
        """Only the selected options: query just those rows, not the whole table."""
        elegidos = {str(v) for v in value if v not in (None, "")}
        field_choices = self.choices
        queryset = getattr(field_choices, "queryset", None)
        opciones = [("", getattr(field_choices, "field", None) and field_choices.field.empty_label)]
        if elegidos and queryset is not None:
            field = field_choices.field
            validos = [v for v in elegidos if v.isdigit()]
            for obj in queryset.filter(pk__in=validos):
                opciones.append((field.prepare_value(obj), field.label_from_instance(obj)))
        groups = []
        for index, (option_value, option_label) in enumerate(opciones):
            if option_value is None:
                option_value = ""
            selected = str(option_value) in elegidos
            groups.append(
                (
                    None,
                    [
                        self.create_option(
                            name,
                            option_value,
                            option_label or "---------",
                            selected,
                            index,
                            attrs=attrs,
                        )
                    ],
                    index,
                )
            )
        return groups
