"""Client pages (the full customers pages with their contacts formset build on these)."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Q
from django.views.generic import DetailView, ListView

from .models import Cliente


class ClienteListView(PermissionRequiredMixin, ListView):
    permission_required = "customers.view_cliente"
    model = Cliente
    paginate_by = 25
    template_name = "customers/cliente_list.html"

    def get_queryset(self):
        qs = Cliente.objects.order_by("nombre")
        q = self.request.GET.get("q", "").strip()[:100]
        if q:
            qs = qs.filter(Q(nombre__icontains=q) | Q(codigo__icontains=q) | Q(rif__icontains=q))
        return qs


class ClienteDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "customers.view_cliente"
    model = Cliente
    template_name = "customers/cliente_detail.html"

    def get_queryset(self):
        return Cliente.objects.prefetch_related("contactos")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["casos"] = self.object.casos.select_related("ejecutor").order_by("-numero")[:50]
        return context
