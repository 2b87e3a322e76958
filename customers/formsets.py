"""The client's Contactos inline formset."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from efactory.formsets import BaseFilasFormSet

from .forms import ContactoForm
from .models import Cliente, Contacto

PREFIJO_CONTACTOS = "contactos"
MAX_CONTACTOS = 500


class BaseContactoFormSet(BaseFilasFormSet):
    """Contacts of one client; rows marked DELETE are removed on save."""

    mensaje_alterado = _(
        "Los renglones de contactos llegaron alterados o incompletos; recargue la página."
    )
    mensaje_fila_ajena = _("Este contacto ya no existe o es de otro cliente; recargue la página.")
    default_error_messages = {
        "missing_management_form": _(
            "Los renglones de contactos llegaron alterados o incompletos; recargue la página."
        ),
        "too_many_forms": _("Como máximo se pueden enviar %(num)d contactos a la vez."),
    }
    modelo_padre = Cliente
    form_fila = ContactoForm
    max_filas = MAX_CONTACTOS
    orden_filas = ("nombre", "pk")

    def clean(self):
        """Rules across rows: an intact management form, no deleting a contact in use."""
        super().clean()
        self._validar_eliminados()

    def _validar_eliminados(self):
        """A contact named by cases cannot be deleted (Caso.contacto is PROTECT).

        The row gets the error, counts again for the formset's validity (nothing is saved)
        and its DELETE box is unticked on the re-shown page, so the row reappears (the
        page's script hides rows marked for deletion) with the reason.
        """
        eliminados = {
            form.instance.pk: form
            for form in self.initial_forms
            if form.instance.pk and self._should_delete_form(form)
        }
        if not eliminados:
            return
        # Counted through the reverse relation (Caso.contacto): customers never imports cases.
        en_uso = (
            Contacto.objects.filter(pk__in=eliminados)
            .annotate(n=Count("casos"))
            .filter(n__gt=0)
            .order_by()
            .values("pk", "n")
        )
        for fila in en_uso:
            form = eliminados[fila["pk"]]
            form.add_error(
                None,
                ngettext(
                    "No se puede eliminar: este contacto figura en %(n)d caso. "
                    "Si ya no trabaja con el cliente, quítele la marca «Activo».",
                    "No se puede eliminar: este contacto figura en %(n)d casos. "
                    "Si ya no trabaja con el cliente, quítele la marca «Activo».",
                    fila["n"],
                )
                % {"n": fila["n"]},
            )
            form.data = form.data.copy()
            form.data[form.add_prefix("DELETE")] = ""
            # No longer a row to delete: its error now makes the formset invalid (Django
            # leaves rows marked for deletion out of is_valid()), so nothing is attempted.
            form.cleaned_data["DELETE"] = False


def contacto_formset_class(extra: int = 1):
    """The Contactos formset with ``extra`` empty rows (for pages without JavaScript)."""
    return BaseContactoFormSet.clase(extra)
