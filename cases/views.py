"""Views of Servicio y Soporte → Casos."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.generic import DeleteView, DetailView, ListView, TemplateView

from .forms import CasoForm, ProximosForm
from .formsets import actividad_formset_class
from .models import Actividad, Caso, totales_de
from .services import guardar_caso

PREFIJO_ACTIVIDADES = "actividades"


class CasoListView(PermissionRequiredMixin, ListView):
    """The case list (the coordinators' full list builds on this)."""

    permission_required = "cases.view_caso"
    model = Caso
    paginate_by = 25
    template_name = "cases/caso_list.html"

    def get_queryset(self):
        return Caso.objects.para_lista().order_by("-numero")


class CasoDetailView(PermissionRequiredMixin, DetailView):
    """Read-only, printable view of the whole case."""

    permission_required = "cases.view_caso"
    template_name = "cases/caso_detail.html"

    def get_queryset(self):
        return Caso.objects.select_related(
            "cliente",
            "contacto",
            "coordinador",
            "ejecutor",
            "revisor",
            "articulo",
            "clase",
            "grupo",
            "departamento",
            "propietario",
        ).prefetch_related(
            Prefetch(
                "actividades",
                queryset=Actividad.objects.select_related("ejecutor", "articulo"),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totales"] = self.object.totales()
        return context


class CasoEditorView(PermissionRequiredMixin, TemplateView):
    """The case editor: the case form and its Actividades formset, saved together.

    Follows Django admin's change view: validate the case form first, build the formset on
    the case the user submitted (so the date rules see the submitted dates), save both in one
    transaction or nothing.
    """

    template_name = "cases/caso_form.html"
    nuevo = False

    def get_permission_required(self):
        return ["cases.add_caso"] if self.nuevo else ["cases.change_caso"]

    def get_object(self):
        if self.nuevo:
            return None
        return get_object_or_404(
            Caso.objects.select_related("propietario", "cliente"), pk=self.kwargs["pk"]
        )

    def formset_class(self):
        return actividad_formset_class(extra=3 if self.nuevo else 1)

    def initial_actividad(self, caso):
        """New rows default their ejecutor and facturable from the case."""
        if caso is None:
            return {}
        return {"ejecutor": caso.ejecutor_id, "facturable": caso.facturable}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        formset = context["formset"]
        context["totales"] = totales_de(f.instance for f in formset.initial_forms)
        return context

    def get(self, request, *args, **kwargs):
        caso = self.get_object()
        form = CasoForm(instance=caso)
        formset_class = self.formset_class()
        formset = formset_class(
            instance=form.instance,
            prefix=PREFIJO_ACTIVIDADES,
            initial=[self.initial_actividad(caso)] * formset_class.extra,
        )
        return self.render_to_response(self.get_context_data(form=form, formset=formset, caso=caso))

    def post(self, request, *args, **kwargs):
        caso = self.get_object()
        initial = self.initial_actividad(caso)
        form = CasoForm(request.POST, instance=caso)
        form_valido = form.is_valid()
        datos = form.cleaned_data
        formset_class = self.formset_class()
        formset = formset_class(
            request.POST,
            instance=form.instance,
            prefix=PREFIJO_ACTIVIDADES,
            initial=[initial] * formset_class.extra,
            fecha_inicio=datos.get("fecha_inicio") if "fecha_inicio" not in form.errors else None,
            fecha_cierre=datos.get("fecha_cierre") if "fecha_cierre" not in form.errors else None,
            ejecutor_caso=datos.get("ejecutor"),
        )
        formset_valido = formset.is_valid()
        if form_valido and formset_valido:
            caso = guardar_caso(form=form, formset=formset, usuario=request.user)
            messages.success(
                request, _("Caso %(documento)s guardado.") % {"documento": caso.documento}
            )
            if "_continuar" in request.POST:
                return HttpResponseRedirect(reverse("cases:caso_update", args=[caso.pk]))
            return HttpResponseRedirect(caso.get_absolute_url())
        context = self.get_context_data(form=form, formset=formset, caso=caso)
        return self.render_to_response(context, status=200)


class CasoDeleteView(PermissionRequiredMixin, DeleteView):
    permission_required = "cases.delete_caso"
    model = Caso
    template_name = "cases/caso_confirm_delete.html"
    success_url = reverse_lazy("cases:caso_list")

    def form_valid(self, form):
        documento = self.object.documento
        response = super().form_valid(form)
        messages.success(
            self.request, _("Caso %(documento)s eliminado.") % {"documento": documento}
        )
        return response


class ProximosView(PermissionRequiredMixin, TemplateView):
    """Próximos Casos a Ejecutar: open cases grouped by ejecutor or cliente, in work order."""

    permission_required = "cases.view_caso"
    template_name = "cases/proximos.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ProximosForm(self.request.GET)
        v = form.valores()
        qs = Caso.objects.proximos(agrupar=v["agrupar"], limite=v["limite"]).select_related(
            "cliente", "ejecutor"
        )
        if v["ejecutor"]:
            qs = qs.filter(ejecutor=v["ejecutor"])
        if v["estatus_ejecutor"]:
            qs = qs.filter(ejecutor__estatus=v["estatus_ejecutor"])
        if v["cliente"]:
            qs = qs.filter(cliente=v["cliente"])
        if v["estatus_cliente"]:
            qs = qs.filter(cliente__estatus=v["estatus_cliente"])
        if v["agrupar"] == "cliente":
            qs = qs.order_by("cliente__nombre", "cliente_id", "puesto")
            clave = lambda c: c.cliente  # noqa: E731
        else:
            qs = qs.order_by("ejecutor__nombre", "ejecutor_id", "puesto")
            clave = lambda c: c.ejecutor  # noqa: E731
        context["form"] = form
        context["valores"] = v
        context["grupos"] = [(grupo, list(casos)) for grupo, casos in groupby(qs, key=clave)]
        return context
