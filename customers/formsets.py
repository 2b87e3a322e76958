"""The client's Contactos inline formset."""

from django.db.models import Count
from django.forms import inlineformset_factory
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

    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            self._queryset = super().get_queryset().order_by("nombre", "pk")
        return self._queryset

    def clean(self):
        """Rules across rows: an intact management form, no deleting a contact in use."""
        super().clean()
        self._validar_eliminados()

    def _validar_eliminados(self):
        """A contact named by cases cannot be deleted (Caso.contacto is PROTECT).

        The row gets the error and its DELETE box is unticked on the re-shown page, so the
        row reappears (the page's script hides rows marked for deletion) with the reason.
        """
        from cases.models import Caso  # cases depends on customers, not the other way

        eliminados = {
            form.instance.pk: form
            for form in self.initial_forms
            if form.instance.pk and self._should_delete_form(form)
        }
        if not eliminados:
            return
        en_uso = (
            Caso.objects.filter(contacto_id__in=eliminados)
            .order_by()
            .values("contacto_id")
            .annotate(n=Count("pk"))
        )
        for fila in en_uso:
            form = eliminados[fila["contacto_id"]]
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


def contacto_formset_class(extra: int = 1):
    """The Contactos formset with ``extra`` empty rows (for pages without JavaScript)."""
    return inlineformset_factory(
        Cliente,
        Contacto,
        form=ContactoForm,
        formset=BaseContactoFormSet,
        extra=extra,
        can_delete=True,
        max_num=MAX_CONTACTOS,
        absolute_max=MAX_CONTACTOS,
    )
