"""Client pages: list, detail, editor (client + Contactos formset) and delete."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, ProtectedError, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.generic import DeleteView, DetailView, ListView, TemplateView

from cases.models import Caso
from efactory import versiones
from efactory.listas import ListaFiltradaMixin

from .filters import ClienteFilter
from .forms import ClienteForm
from .formsets import PREFIJO_CONTACTOS, contacto_formset_class
from .models import Cliente, Contacto
from .services import guardar_cliente

CASOS_EN_DETALLE = 50


def con_numero_de_casos(queryset):
    """Annotate ``num_casos``: a correlated subquery, run only for the rows of the page."""
    casos = (
        Caso.objects.filter(cliente=OuterRef("pk"))
        .order_by()
        .values("cliente")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(num_casos=Coalesce(Subquery(casos, output_field=IntegerField()), 0))


class ClienteListView(PermissionRequiredMixin, ListaFiltradaMixin, ListView):
    """Clients with search, filters and their number of cases; every parameter in the URL."""

    permission_required = "customers.view_cliente"
    template_name = "customers/cliente_list.html"
    paginate_by = 25

    def get_queryset(self):
        self.filterset = ClienteFilter(
            self.request.GET, queryset=Cliente.objects.all(), request=self.request
        )
        return con_numero_de_casos(self.filterset.qs).order_by("nombre", "pk")


class ClienteDetailView(PermissionRequiredMixin, DetailView):
    """The client's data, its contacts, its latest cases and the hours logged for it."""

    permission_required = "customers.view_cliente"
    template_name = "customers/cliente_detail.html"
    queryset = Cliente.objects.prefetch_related(
        Prefetch("contactos", queryset=Contacto.objects.order_by("nombre", "pk"))
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cliente = self.object
        # One query: number of cases and the hours of all their activities.
        resumen = Caso.objects.filter(cliente=cliente).resumen()
        casos = list(
            Caso.objects.filter(cliente=cliente)
            .select_related("ejecutor")
            .con_horas()
            .order_by("-numero")[:CASOS_EN_DETALLE]
        )
        context.update(
            casos=casos,
            num_casos=resumen["num_casos"],
            hay_mas_casos=resumen["num_casos"] > len(casos),
            horas_total=resumen["horas"],
            horas_facturables=resumen["horas_facturables"],
            casos_en_lista=f"{reverse('cases:caso_list')}?cliente={cliente.pk}",
        )
        return context


TEXTOS_CONFLICTO = versiones.TextosDeConflicto(
    titulo=_lazy("Otra persona guardó este cliente mientras usted lo editaba"),
    filas=_lazy("Contactos:"),
    fila_eliminada=_lazy(
        "%(fila)s: otra persona eliminó este contacto mientras usted lo tenía en pantalla; "
        "sigue en su pantalla como contacto nuevo: elimínelo si no debe volver."
    ),
    fila_difiere=_lazy("%(fila)s: difiere en %(campos)s."),
    fila_agregada=_lazy("%(fila)s: lo agregó otra persona; ya aparece entre sus contactos."),
)


def historiales(cliente: Cliente) -> list:
    """The history records that say who saved the client last: its own and its contacts'."""
    return [cliente.history.all(), Contacto.history.filter(cliente_id=cliente.pk)]


class ClienteEditorView(PermissionRequiredMixin, TemplateView):
    """The client form and its Contactos formset, saved together.

    Follows Django admin's change view: validate the client form, build the formset on the
    submitted client, save both in one transaction or nothing.
    """

    template_name = "customers/cliente_form.html"
    nuevo = False

    def get_permission_required(self):
        return ["customers.add_cliente"] if self.nuevo else ["customers.change_cliente"]

    def get_object(self):
        if self.nuevo:
            return None
        return get_object_or_404(Cliente, pk=self.kwargs["pk"])

    def formset_class(self):
        return contacto_formset_class(extra=2 if self.nuevo else 1)

    def formularios(self, cliente, datos):
        """The client form and the Contactos formset bound to ``datos``, both validated."""
        form = ClienteForm(datos, instance=cliente)
        form.is_valid()
        formset = self.formset_class()(datos, instance=form.instance, prefix=PREFIJO_CONTACTOS)
        formset.is_valid()
        return form, formset

    def get(self, request, *args, **kwargs):
        cliente = self.get_object()
        form = ClienteForm(instance=cliente)
        formset = self.formset_class()(instance=form.instance, prefix=PREFIJO_CONTACTOS)
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset, cliente=cliente)
        )

    def post(self, request, *args, **kwargs):
        cliente = self.get_object()
        form, formset = self.formularios(cliente, request.POST)
        version = versiones.version_de_la_pagina(request.POST)
        if cliente is not None and versiones.desactualizada(cliente.version, version):
            # Someone saved since this page was loaded: nothing is written.
            return self.conflicto(form, formset, cliente)
        if form.is_valid() and formset.is_valid():
            try:
                guardado = guardar_cliente(form=form, formset=formset, version=version)
            except versiones.ConflictoDeVersion:
                # Lost the race between the check above and the UPDATE: same answer.
                return self.conflicto(form, formset, cliente)
            except ProtectedError:
                # A case took a contact marked for deletion after the formset checked it.
                form.add_error(
                    None,
                    _(
                        "Uno de los contactos que quiere eliminar acaba de quedar asignado a "
                        "un caso. No se guardó nada; recargue la página."
                    ),
                )
            except IntegrityError:
                # Two people saved the same código or RIF at the same instant.
                form.add_error(
                    None,
                    _(
                        "Otro usuario acaba de guardar un cliente con el mismo código o RIF. "
                        "No se guardó nada; revise y vuelva a guardar."
                    ),
                )
            else:
                messages.success(
                    request, _("Cliente %(cliente)s guardado.") % {"cliente": guardado}
                )
                if "_continuar" in request.POST:
                    return HttpResponseRedirect(
                        reverse("customers:cliente_update", args=[guardado.pk])
                    )
                return HttpResponseRedirect(guardado.get_absolute_url())
        if cliente is not None and versiones.movida(cliente, version):
            # Saved by someone between get_object() and the formset's read of the contacts.
            return self.conflicto(form, formset, cliente)
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset, cliente=cliente)
        )

    def conflicto(self, form, formset, cliente):
        """409 with the user's input kept and a panel: who saved, when, what differs."""
        actual = Cliente.objects.filter(pk=cliente.pk).first()
        if actual is None:
            raise Http404(_("El cliente ya no existe."))
        conflicto = versiones.describir(
            form,
            formset,
            actual,
            filas=actual.contactos.all(),
            historiales=historiales(actual),
            textos=TEXTOS_CONFLICTO,
        )
        if conflicto.agregadas or conflicto.eliminadas:
            # The page is brought up to the contacts stored now (versiones.pagina_al_dia):
            # those someone else added join it, those they deleted stay as new contacts
            # with what the user has in them, and "Sobrescribir" can save it.
            form, formset = self.formularios(cliente, versiones.pagina_al_dia(formset, conflicto))
        context = self.get_context_data(
            form=form, formset=formset, cliente=actual, conflicto=conflicto
        )
        return self.render_to_response(context, status=409)


class ClienteDeleteView(PermissionRequiredMixin, DeleteView):
    """Confirm, then delete a client and its contacts; a client with cases is kept."""

    permission_required = "customers.delete_cliente"
    model = Cliente
    template_name = "customers/cliente_confirm_delete.html"
    success_url = reverse_lazy("customers:cliente_list")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["num_casos"] = self.object.casos.count()
        context["num_contactos"] = self.object.contactos.count()
        return context

    def rechazar(self, num_casos: int):
        """Back to the client's page, saying why it was not deleted."""
        if num_casos:
            mensaje = ngettext(
                "No se puede eliminar el cliente %(cliente)s: tiene %(n)d caso. "
                "Si ya no trabaja con él, márquelo como inactivo.",
                "No se puede eliminar el cliente %(cliente)s: tiene %(n)d casos. "
                "Si ya no trabaja con él, márquelo como inactivo.",
                num_casos,
            )
        else:
            mensaje = _(
                "No se puede eliminar el cliente %(cliente)s: alguno de sus contactos figura "
                "en casos. Si ya no trabaja con él, márquelo como inactivo."
            )
        messages.error(self.request, mensaje % {"cliente": self.object, "n": num_casos})
        return HttpResponseRedirect(self.object.get_absolute_url())

    def form_valid(self, form):
        cliente = self.object
        num_casos = cliente.casos.count()
        if num_casos:
            return self.rechazar(num_casos)
        nombre = str(cliente)
        try:
            with transaction.atomic():
                cliente.delete()
        except IntegrityError:  # ProtectedError is one too
            # A case was created for it between the check and the delete.
            return self.rechazar(cliente.casos.count())
        messages.success(self.request, _("Cliente %(cliente)s eliminado.") % {"cliente": nombre})
        return HttpResponseRedirect(self.get_success_url())
