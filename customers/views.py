"""Client pages: list, detail, editor (client + Contactos formset) and delete."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, ProtectedError, Q, Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import DeleteView, DetailView, ListView, TemplateView

from cases.models import Caso, minutos_a_horas
from cases.pagination import ConteoAcotadoPaginator

from .filters import ClienteFilter, con_numero_de_casos
from .forms import ClienteForm
from .formsets import PREFIJO_CONTACTOS, contacto_formset_class
from .models import Cliente, Contacto
from .services import ConflictoDeVersion, guardar_cliente

CASOS_EN_DETALLE = 50


class ClienteListView(PermissionRequiredMixin, ListView):
    """Clients with search, filters and their number of cases; every parameter in the URL."""

    permission_required = "customers.view_cliente"
    template_name = "customers/cliente_list.html"
    paginate_by = 25
    paginator_class = ConteoAcotadoPaginator

    def get_queryset(self):
        self.filterset = ClienteFilter(
            self.request.GET, queryset=Cliente.objects.all(), request=self.request
        )
        return con_numero_de_casos(self.filterset.qs).order_by("nombre", "pk")

    def get_paginator(self, queryset, per_page, **kwargs):
        return self.paginator_class(
            queryset, per_page, pagina_pedida=self.request.GET.get("page"), **kwargs
        )

    def paginate_queryset(self, queryset, page_size):
        """Like ListView's, but a junk or out-of-range ?page= shows a real page, not a 404."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(paginator.pagina_pedida)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filterset=self.filterset,
            filtros_activos=self.filterset.activos(),
            ignorados=self.filterset.parametros_ignorados(),
        )
        return context


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
        # One query: number of cases and minutes of all their activities.
        resumen = Caso.objects.filter(cliente=cliente).aggregate(
            num_casos=Count("pk", distinct=True),
            minutos_total=Sum("actividades__minutos", default=0),
            minutos_facturables=Sum(
                "actividades__minutos", filter=Q(actividades__facturable=True), default=0
            ),
        )
        casos = list(
            Caso.objects.filter(cliente=cliente)
            .select_related("ejecutor")
            .con_horas()
            .order_by("-numero")[:CASOS_EN_DETALLE]
        )
        for caso in casos:
            caso.horas_total = minutos_a_horas(caso.minutos_total)
            caso.horas_facturables = minutos_a_horas(caso.minutos_facturables)
        context.update(
            casos=casos,
            num_casos=resumen["num_casos"],
            hay_mas_casos=resumen["num_casos"] > len(casos),
            horas_total=minutos_a_horas(resumen["minutos_total"]),
            horas_facturables=minutos_a_horas(resumen["minutos_facturables"]),
            casos_en_lista=f"{reverse('cases:caso_list')}?cliente={cliente.pk}",
        )
        return context


def mensaje_de_conflicto(cliente: Cliente) -> str:
    """Who saved ``cliente`` last and when, as the editor tells the user after a conflict."""
    ultimo = cliente.history.select_related("history_user").order_by("-history_date").first()
    quien = _("otro usuario")
    cuando = ""
    if ultimo is not None:
        if ultimo.history_user is not None:
            usuario = ultimo.history_user
            quien = usuario.get_full_name() or usuario.get_username()
        cuando = formats.date_format(ultimo.history_date, "SHORT_DATETIME_FORMAT")
    return _(
        "%(quien)s guardó este cliente%(cuando)s, después de que usted abrió esta página. "
        "No se guardó nada: revise los datos actuales en otra pestaña. Si vuelve a guardar, "
        "lo que ve en esta página reemplazará esos cambios."
    ) % {"quien": quien, "cuando": f" ({cuando})" if cuando else ""}


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

    def get(self, request, *args, **kwargs):
        cliente = self.get_object()
        form = ClienteForm(instance=cliente)
        formset = self.formset_class()(instance=form.instance, prefix=PREFIJO_CONTACTOS)
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset, cliente=cliente)
        )

    def post(self, request, *args, **kwargs):
        cliente = self.get_object()
        form = ClienteForm(request.POST, instance=cliente)
        form_valido = form.is_valid()
        formset = self.formset_class()(
            request.POST, instance=form.instance, prefix=PREFIJO_CONTACTOS
        )
        if form_valido and formset.is_valid():
            try:
                guardado = guardar_cliente(form=form, formset=formset)
            except ConflictoDeVersion as conflicto:
                form.add_error(None, mensaje_de_conflicto(cliente))
                # Saving this page again is now a deliberate overwrite.
                form.data = form.data.copy()
                form.data["version"] = str(conflicto.version_actual)
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
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset, cliente=cliente)
        )


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
