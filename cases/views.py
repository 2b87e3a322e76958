"""Views of Servicio y Soporte → Casos."""

from itertools import groupby
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.http import (
    FileResponse,
    Http404,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import DeleteView, DetailView, FormView, ListView, TemplateView

from customers.models import Cliente
from efactory import versiones
from efactory.listas import OPCIONES_POR_PAGINA, ListaFiltradaMixin, por_pagina
from efactory.preparadas import PreparadaDeModelos
from efactory.replica import LecturaEnReplica

from .conflictos import describir
from .exports import CSV, CSV_EXCEL, csv_de, csv_stream, xlsx_archivo, xlsx_de_una_hoja
from .filters import CasoFilter
from .forms import CasoForm, CasoRapidoForm, ProximosForm, SeguimientoForm
from .formsets import actividad_formset_class
from .graficos import IDENTIFICADORES, MAX_PERIODOS, Graficos
from .historial import historial_de_caso
from .horas import AGRUPACIONES, MAX_COLUMNAS, MAX_GRUPOS, MAX_NIVELES, PERIODOS, Reporte
from .models import Actividad, Articulo, Caso, Ejecutor, totales_de
from .reportes import (
    ANCHOS_ACTIVIDADES,
    COLUMNAS_ACTIVIDADES,
    ORDEN_ACTIVIDADES,
    ActividadFilter,
    FiltroDeRango,
    filas_de_actividades,
    mes_actual,
    semana_actual,
    totales,
    ultimos_12_meses,
)
from .services import (
    ActividadSolapada,
    EnvioRepetido,
    caso_de_envio,
    crear_caso_rapido,
    guardar_caso,
    seguimiento_en_lote,
    token_envio,
)
from .widgets import LupaSelect

PREFIJO_ACTIVIDADES = "actividades"


COLUMNAS_LISTA = [
    # (label, ?orden= key or None, CSS class of the column (its width in app.css), and the
    # label shown when it is abbreviated: screen readers still read the whole label)
    (_lazy("Documento"), "numero", "c-documento", None),
    (_lazy("Asunto"), None, "c-asunto", None),
    (_lazy("Prioridad"), "prioridad", "c-prioridad", None),
    (_lazy("Inicio"), "fecha_inicio", "c-fecha", None),
    (_lazy("Días en ejecución"), "dias", "c-numero", None),
    (_lazy("Cliente"), "cliente", "c-nombre", None),
    (_lazy("Ejecutor"), "ejecutor", "c-nombre", None),
    (_lazy("Etapa"), "etapa", "c-etapa", None),
    (_lazy("Avance"), "avance", "c-avance", None),
    (_lazy("Horas"), None, "c-numero", None),
    (_lazy("Horas facturables"), None, "c-numero", _lazy("Horas fact.")),
    (_lazy("Comentario"), None, "c-comentario", None),
]

# The filters behind "Más filtros" (the main row holds q, etapa, prioridad, ejecutor,
# cliente, abiertos and vencidos): the disclosure starts open when one of these is set.
MAS_FILTROS = [
    "coordinador",
    "grupo",
    "departamento",
    "articulo",
    "clase",
    "origen",
    "complejidad",
    "interno",
    "facturable",
]
RANGOS_DE_FECHAS = ["fecha_inicio", "fecha_cierre", "completado_en"]
# The case filters of /actividades/, behind its "Filtros del caso" disclosure.
FILTROS_DEL_CASO = [
    "q",
    "etapa",
    "prioridad",
    "cliente",
    *[nombre for nombre in MAS_FILTROS if nombre != "facturable"],
]


# The columns the list's rows show (cases/lista.py): the rest of a case is not read.
CAMPOS_LISTA = (
    "numero",
    "asunto",
    "prioridad",
    "fecha_inicio",
    "fecha_cierre",
    "etapa",
    "avance",
    "comentario",
    "cliente__nombre",
    "ejecutor__nombre",
)

# The page's cases from their keys, with their client and ejecutor (see ConteoAcotadoPaginator).
FILAS_LISTA = PreparadaDeModelos(
    lambda pks: Caso.objects.para_lista().only(*CAMPOS_LISTA).order_by().filter(pk__in=pks)
)


def elegidos_cargados(form):
    """Hand each lupa the row its field already read while validating (big tables render
    only the chosen row: this way they do not read it a second time)."""
    datos = getattr(form, "cleaned_data", {})
    for nombre, field in form.fields.items():
        if isinstance(field.widget, LupaSelect) and datos.get(nombre) is not None:
            field.widget.cargados = (datos[nombre],)


def casos_filtrados(request, queryset):
    """The list's filters and ordering applied to ``queryset``: (filterset, ordered qs)."""
    filterset = CasoFilter(request.GET, queryset=queryset, request=request)
    return filterset, filterset.qs


class CasoListView(PermissionRequiredMixin, ListaFiltradaMixin, ListView):
    """The coordinators' list: filters, free-text search, sorting, pagination, bulk follow-up.

    Every parameter lives in the URL, so a filtered, sorted page can be bookmarked.
    """

    permission_required = "cases.view_caso"
    template_name = "cases/caso_list.html"

    def get_queryset(self):
        self.filterset, qs = casos_filtrados(self.request, Caso.objects.para_lista())
        return qs

    def get_paginate_by(self, queryset):
        return por_pagina(self.request)

    def get_filas(self):
        return FILAS_LISTA

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The hours of the page's cases only, in one grouped query.
        Actividad.objects.horas_de(context["object_list"])
        orden = self.filterset.orden_actual
        elegidos_cargados(self.filterset.form)
        columnas = []
        for etiqueta, clave, clase, corta in COLUMNAS_LISTA:
            direccion = None
            if clave and orden.lstrip("-") == clave:
                direccion = "descending" if orden.startswith("-") else "ascending"
            siguiente = f"-{clave}" if direccion == "ascending" else clave
            columnas.append(
                {
                    "etiqueta": etiqueta,
                    "clave": clave,
                    "clase": clase,
                    "corta": corta,
                    "direccion": direccion,
                    "siguiente": siguiente,
                }
            )
        user = self.request.user
        puede_lote = user.has_perm("cases.editar_lote_caso")
        context.update(
            columnas=columnas,
            # The empty row spans every column, the selection column included when shown.
            num_columnas=len(columnas) + (1 if puede_lote else 0),
            orden=orden,
            por_pagina=self.get_paginate_by(None),
            opciones_por_pagina=OPCIONES_POR_PAGINA,
            mas_filtros=[self.filterset.form[nombre] for nombre in MAS_FILTROS],
            rangos_de_fechas=[self.filterset.form[nombre] for nombre in RANGOS_DE_FECHAS],
            mas_filtros_activos=self.filterset.activos(MAS_FILTROS + RANGOS_DE_FECHAS),
            puede_lote=puede_lote,
            puede_exportar=user.has_perm("cases.exportar_caso"),
            firma_filtros=self.filterset.firma(),
        )
        if context["puede_lote"]:
            # Built only if the template draws it (its fragment is cached).
            context["seguimiento_form"] = SimpleLazyObject(SeguimientoForm)
        return context


class SeguimientoView(PermissionRequiredMixin, View):
    """Seguimiento de casos: change etapa, ejecutor, coordinador or prioridad of many cases."""

    permission_required = "cases.editar_lote_caso"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = SeguimientoForm(request.POST)
        volver = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            volver, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ) or not volver.startswith("/"):
            volver = reverse("cases:caso_list")
        if not form.is_valid():
            for errores in form.errors.values():
                for error in errores:
                    messages.error(request, error)
            return HttpResponseRedirect(volver)
        cambiados = seguimiento_en_lote(
            casos=form.cleaned_data["casos"], cambios=form.cambios(), usuario=request.user
        )
        seleccionados = len(form.cleaned_data["casos"])
        messages.success(
            request,
            ngettext(
                "%(n)d caso actualizado (de %(total)d seleccionados).",
                "%(n)d casos actualizados (de %(total)d seleccionados).",
                cambiados,
            )
            % {"n": cambiados, "total": seleccionados},
        )
        return HttpResponseRedirect(volver)


class CasoExportView(PermissionRequiredMixin, LecturaEnReplica, View):
    """The current filtered, sorted list as CSV or XLSX, streamed.

    ``formato=csv`` separates with ``,`` and writes decimals with ``.``; ``formato=csv-excel``
    is the same file with ``;`` and decimal commas, which Excel in Spanish opens in columns.
    """

    permission_required = "cases.exportar_caso"
    FORMATOS_CSV = {"csv": CSV, "csv-excel": CSV_EXCEL}

    def get(self, request, *args, **kwargs):
        formato = request.GET.get("formato", "csv")
        if formato not in (*self.FORMATOS_CSV, "xlsx"):
            return HttpResponseBadRequest(
                _(
                    "Formato de exportación desconocido: use formato=csv, formato=csv-excel "
                    "o formato=xlsx."
                ),
                content_type="text/plain; charset=utf-8",
            )
        _filterset, qs = casos_filtrados(request, Caso.objects.all())
        extension = "xlsx" if formato == "xlsx" else "csv"
        nombre = f"casos-{timezone.localdate():%Y-%m-%d}.{extension}"
        if formato in self.FORMATOS_CSV:
            respuesta = StreamingHttpResponse(
                csv_stream(qs, self.FORMATOS_CSV[formato]), content_type="text/csv; charset=utf-8"
            )
            respuesta["Content-Disposition"] = f'attachment; filename="{nombre}"'
            return respuesta
        return FileResponse(
            xlsx_archivo(qs),
            as_attachment=True,
            filename=nombre,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


def descarga(formato: str, nombre: str, encabezado, filas, anchos, hoja: str):
    """A streamed download of ``filas``: CSV (``csv``, ``csv-excel``) or a one-sheet XLSX;
    None for an unknown ``formato``."""
    if formato in CasoExportView.FORMATOS_CSV:
        respuesta = StreamingHttpResponse(
            csv_de(encabezado, filas, CasoExportView.FORMATOS_CSV[formato]),
            content_type="text/csv; charset=utf-8",
        )
        respuesta["Content-Disposition"] = f'attachment; filename="{nombre}.csv"'
        return respuesta
    if formato == "xlsx":
        return FileResponse(
            xlsx_de_una_hoja(hoja, encabezado, filas, anchos),
            as_attachment=True,
            filename=f"{nombre}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return None


def formato_desconocido():
    return HttpResponseBadRequest(
        _("Formato de exportación desconocido: use formato=csv, formato=csv-excel o formato=xlsx."),
        content_type="text/plain; charset=utf-8",
    )


class ActividadListView(PermissionRequiredMixin, LecturaEnReplica, ListaFiltradaMixin, ListView):
    """/actividades/: every activity row across cases, filtered, with the totals of the
    whole filtered set; ``formato=csv|csv-excel|xlsx`` downloads the same rows."""

    permission_required = "cases.view_actividad"
    template_name = "cases/actividad_list.html"

    def get_queryset(self):
        self.filterset = ActividadFilter(
            self.request.GET,
            queryset=Actividad.objects.all(),
            request=self.request,
            rango_por_omision=semana_actual(),
        )
        return self.filterset.qs.select_related("ejecutor", "caso__cliente").order_by(
            *ORDEN_ACTIVIDADES
        )

    def get_paginate_by(self, queryset):
        return por_pagina(self.request)

    def get_paginator(self, queryset, per_page, **kwargs):
        """The page's count is the totals' (one aggregate query gives both): with case filters
        each query joins the cases, and counting them apart cost as much as the totals."""
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        self.totales = totales(self.filterset.qs)
        paginator.count = self.totales["filas"]
        return paginator

    def get(self, request, *args, **kwargs):
        formato = request.GET.get("formato")
        if formato is None:
            return super().get(request, *args, **kwargs)
        if not request.user.has_perm("cases.exportar_caso"):
            raise PermissionDenied
        respuesta = descarga(
            formato,
            f"actividades-{timezone.localdate():%Y-%m-%d}",
            COLUMNAS_ACTIVIDADES,
            filas_de_actividades(self.get_queryset()),
            ANCHOS_ACTIVIDADES,
            "Actividades",
        )
        return respuesta or formato_desconocido()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        elegidos_cargados(self.filterset.form)
        elegidos_cargados(self.filterset.del_caso.form)
        del_caso = self.filterset.del_caso.form
        context.update(
            totales=self.totales,
            form_caso=del_caso,
            filtros_del_caso=[del_caso[nombre] for nombre in FILTROS_DEL_CASO],
            rangos_del_caso=[del_caso[nombre] for nombre in RANGOS_DE_FECHAS],
            filtros_del_caso_activos=self.filterset.del_caso.activos(),
            por_pagina=self.get_paginate_by(None),
            opciones_por_pagina=OPCIONES_POR_PAGINA,
            puede_exportar=self.request.user.has_perm("cases.exportar_caso"),
        )
        return context


class HorasView(PermissionRequiredMixin, LecturaEnReplica, TemplateView):
    """Reporte de horas: activity hours in up to three nested groups with subtotals, and a
    column per period; ``formato=csv|csv-excel|xlsx`` downloads the innermost groups."""

    permission_required = "cases.exportar_caso"
    template_name = "cases/horas.html"

    def agrupar(self) -> tuple[list[str], list[str]]:
        """The valid ``agrupar`` keys in order (at most 3, no repeats; default ejecutor) and
        whether some were ignored."""
        pedidos = self.request.GET.getlist("agrupar")
        validos = []
        for clave in pedidos:
            if clave in AGRUPACIONES and clave not in validos and len(validos) < MAX_NIVELES:
                validos.append(clave)
        ignorados = ["agrupar"] if len(validos) != len([p for p in pedidos if p]) else []
        return validos or ["ejecutor"], ignorados

    def reporte(self):
        self.filterset = ActividadFilter(
            self.request.GET,
            queryset=Actividad.objects.all(),
            request=self.request,
            rango_por_omision=mes_actual(),
        )
        agrupar, self.ignorados = self.agrupar()
        columnas = self.request.GET.get("columnas") or None
        if columnas is not None and columnas not in PERIODOS:
            self.ignorados.append("columnas")
            columnas = None
        self.agrupar_elegido, self.columnas_elegidas = agrupar, columnas
        return Reporte(self.filterset.qs, agrupar, columnas, self.filterset.rango).calcular()

    def get(self, request, *args, **kwargs):
        formato = request.GET.get("formato")
        if formato is None:
            return super().get(request, *args, **kwargs)
        reporte = self.reporte()
        if reporte.demasiados_grupos or reporte.demasiadas_columnas:
            return HttpResponseBadRequest(
                _("Demasiados grupos o columnas: acote los filtros o el rango de fechas."),
                content_type="text/plain; charset=utf-8",
            )
        respuesta = descarga(
            formato,
            f"horas-{timezone.localdate():%Y-%m-%d}",
            reporte.encabezado(),
            reporte.filas_csv(),
            [24] * len(reporte.grupos) + [10] * (len(reporte.encabezado()) - len(reporte.grupos)),
            "Horas",
        )
        return respuesta or formato_desconocido()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reporte = self.reporte()
        elegidos_cargados(self.filterset.form)
        elegidos_cargados(self.filterset.del_caso.form)
        del_caso = self.filterset.del_caso.form
        context.update(
            reporte=reporte,
            filterset=self.filterset,
            filtros_activos=self.filterset.activos(),
            ignorados=sorted(self.filterset.parametros_ignorados() + self.ignorados),
            agrupaciones=list(AGRUPACIONES.values()),
            niveles=[
                self.agrupar_elegido[i] if i < len(self.agrupar_elegido) else ""
                for i in range(MAX_NIVELES)
            ],
            columnas=self.columnas_elegidas or "",
            form_caso=del_caso,
            filtros_del_caso=[del_caso[nombre] for nombre in FILTROS_DEL_CASO],
            rangos_del_caso=[del_caso[nombre] for nombre in RANGOS_DE_FECHAS],
            filtros_del_caso_activos=self.filterset.del_caso.activos(),
            max_grupos=MAX_GRUPOS,
            max_columnas=MAX_COLUMNAS,
        )
        return context


class GraficosView(PermissionRequiredMixin, LecturaEnReplica, TemplateView):
    """Gráfico Ejecutivo de Soporte: six charts of the filtered cases, each an inline SVG with
    a description, a data table and a CSV (``?grafico=<id>&formato=csv``)."""

    permission_required = "cases.exportar_caso"
    template_name = "cases/graficos.html"

    def graficos(self):
        self.filterset = CasoFilter(self.request.GET, queryset=Caso.objects.all())
        rango = FiltroDeRango(self.request.GET)
        desde, hasta = rango.rango(ultimos_12_meses())
        periodo = self.request.GET.get("periodo") or "mes"
        self.ignorados = rango.ignorados()
        if periodo not in PERIODOS:
            self.ignorados.append("periodo")
            periodo = "mes"
        # The links keep the page's case filters (not its range, period or paging).
        filtros = {
            clave: self.request.GET.getlist(clave)
            for clave in self.request.GET
            if clave in self.filterset.filters and clave not in ("orden",)
        }
        self.periodo, self.desde, self.hasta = periodo, desde, hasta
        return Graficos(self.filterset.qs, desde, hasta, periodo, filtros)

    def get(self, request, *args, **kwargs):
        if request.GET.get("formato") is None:
            return super().get(request, *args, **kwargs)
        if request.GET.get("formato") not in (*CasoExportView.FORMATOS_CSV, "xlsx"):
            return formato_desconocido()
        grafico = self.graficos().uno(request.GET.get("grafico", ""))
        if grafico is None:
            return HttpResponseBadRequest(
                _("Gráfico desconocido: use grafico=%(ids)s.") % {"ids": "|".join(IDENTIFICADORES)},
                content_type="text/plain; charset=utf-8",
            )
        return descarga(
            request.GET["formato"],
            f"{grafico.ident}-{timezone.localdate():%Y-%m-%d}",
            grafico.encabezado,
            grafico.filas,
            [28] + [14] * (len(grafico.encabezado) - 1),
            grafico.ident,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        graficos = self.graficos()
        elegidos_cargados(self.filterset.form)
        form = self.filterset.form
        context.update(
            graficos=graficos.todos(),
            demasiados_periodos=graficos.demasiados_periodos,
            max_periodos=MAX_PERIODOS,
            filterset=self.filterset,
            periodo=self.periodo,
            desde=self.desde,
            hasta=self.hasta,
            filtros_activos=self.filterset.activos(),
            ignorados=sorted(self.filterset.parametros_ignorados() + self.ignorados),
            filtros_del_caso=[
                form[nombre]
                for nombre in ["q", "etapa", "prioridad", "ejecutor", "cliente", *MAS_FILTROS]
            ],
        )
        return context


class CasoDetailView(PermissionRequiredMixin, DetailView):
    """Read-only, printable view of the whole case."""

    permission_required = "cases.view_caso"
    template_name = "cases/caso_detail.html"

    def get_queryset(self):
        return (
            Caso.objects.completo()
            .select_related("propietario")
            .con_horas()
            .prefetch_related(
                Prefetch(
                    "actividades",
                    queryset=Actividad.objects.select_related("ejecutor", "articulo"),
                )
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totales"] = self.object.totales()
        context["estimado"] = self.object.frente_al_estimado(context["totales"]["horas"])
        return context


def ya_guardado(request, caso_id):
    """The answer to a page submitted again: the case its first submission saved."""
    caso = Caso.objects.filter(pk=caso_id).only("numero").first()
    if caso is None:
        return HttpResponseRedirect(reverse("cases:caso_list"))
    messages.info(
        request,
        _("Este formulario ya se había guardado: caso %(documento)s. No se guardó dos veces.")
        % {"documento": caso.documento},
    )
    return HttpResponseRedirect(caso.get_absolute_url())


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
        # The chosen client and contact come along: their lupas show them (see CasoForm).
        return get_object_or_404(
            Caso.objects.select_related("propietario", "cliente", "contacto__cliente"),
            pk=self.kwargs["pk"],
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
        # The case's ejecutor and articulo lookups show what the formset loaded for its rows.
        context["form"].usar_opciones(formset.ejecutores, formset.articulos)
        # Stored rows are compact unless asked for in full (the no-JavaScript way to retype a
        # stored row's Ejecutor or Artículo, see cases/filas.py).
        context["renglones_completos"] = self.request.GET.get("renglones") == "completos"
        return context

    def catalogos(self, form) -> dict:
        """The case's own ejecutores and articulo, for the formset to load with the rows'."""
        return {
            "ejecutores_del_caso": form.ids_de_catalogo(Ejecutor),
            "articulos_del_caso": form.ids_de_catalogo(Articulo),
        }

    def get(self, request, *args, **kwargs):
        caso = self.get_object()
        form = CasoForm(instance=caso)
        formset_class = self.formset_class()
        formset = formset_class(
            instance=form.instance,
            prefix=PREFIJO_ACTIVIDADES,
            initial=[self.initial_actividad(caso)] * formset_class.extra,
            **self.catalogos(form),
        )
        return self.render_to_response(self.get_context_data(form=form, formset=formset, caso=caso))

    def formularios(self, caso, datos=None):
        """The case form and its Actividades formset, bound to the POST (or ``datos``).

        The formset is built after the case form is validated, on the values the user
        submitted (the date window and the default ejecutor come from them).
        """
        if datos is None:
            datos = self.request.POST
        form = CasoForm(datos, instance=caso)
        form.is_valid()
        limpios = form.cleaned_data
        formset_class = self.formset_class()
        formset = formset_class(
            datos,
            instance=form.instance,
            prefix=PREFIJO_ACTIVIDADES,
            initial=[self.initial_actividad(caso)] * formset_class.extra,
            fecha_inicio=limpios.get("fecha_inicio") if "fecha_inicio" not in form.errors else None,
            fecha_cierre=limpios.get("fecha_cierre") if "fecha_cierre" not in form.errors else None,
            ejecutor_caso=limpios.get("ejecutor"),
            **self.catalogos(form),
        )
        formset.is_valid()
        return form, formset

    def post(self, request, *args, **kwargs):
        envio = token_envio(request.POST.get("envio"))
        guardado = caso_de_envio(envio)
        if guardado is not None:
            # This very page was saved already (double click, resubmit after Back).
            return ya_guardado(request, guardado)
        caso = self.get_object()
        form, formset = self.formularios(caso)
        version = versiones.version_de_la_pagina(request.POST)
        if caso is not None and versiones.desactualizada(caso.version, version):
            # Someone saved since this page was loaded: nothing is written.
            return self.conflicto(form, formset, caso)
        if form.is_valid() and formset.is_valid():
            try:
                caso = guardar_caso(
                    form=form, formset=formset, usuario=request.user, version=version, envio=envio
                )
            except versiones.ConflictoDeVersion:
                # Lost the race between the check above and the UPDATE: same answer.
                return self.conflicto(form, formset, caso)
            except EnvioRepetido as repetido:
                return ya_guardado(request, repetido.caso_id)
            except ActividadSolapada:
                # Another save wrote an overlapping row after this one was validated:
                # validate again from the POST, which now sees that row and marks ours.
                return self.solapada()
            messages.success(
                request, _("Caso %(documento)s guardado.") % {"documento": caso.documento}
            )
            if "_continuar" in request.POST:
                return HttpResponseRedirect(reverse("cases:caso_update", args=[caso.pk]))
            return HttpResponseRedirect(caso.get_absolute_url())
        if caso is not None and versiones.movida(caso, version):
            # Saved by someone after get_object() read it and before the formset read the
            # rows (their new row looks like a tampered page): the conflict page explains.
            return self.conflicto(form, formset, caso)
        context = self.get_context_data(form=form, formset=formset, caso=caso)
        return self.render_to_response(context, status=200)

    def solapada(self):
        caso = self.get_object()
        form, formset = self.formularios(caso)
        if not formset.non_form_errors() and formset.is_valid():
            formset._non_form_errors.append(
                _(
                    "Otra persona registró al mismo tiempo una actividad que se cruza con una "
                    "de estas; revise las horas y guarde de nuevo."
                )
            )
        context = self.get_context_data(form=form, formset=formset, caso=caso)
        return self.render_to_response(context, status=200)

    def conflicto(self, form, formset, caso):
        """409 with the user's input kept and a panel: who saved, when, what differs."""
        actual = Caso.objects.completo().filter(pk=caso.pk).first()
        if actual is None:
            raise Http404(_("El caso ya no existe."))
        conflicto = describir(form, formset, actual)
        if conflicto.agregadas or conflicto.eliminadas:
            # The page is brought up to the rows stored now (versiones.pagina_al_dia), so
            # that "Sobrescribir" can save it.
            form, formset = self.formularios(caso, versiones.pagina_al_dia(formset, conflicto))
        context = self.get_context_data(
            form=form, formset=formset, caso=actual, conflicto=conflicto
        )
        return self.render_to_response(context, status=409)


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


GRUPOS_POR_PAGINA = 25
# Próximos counts each group's open cases up to here, and then says "más de 100".
COTA_ABIERTOS = 100


def grupos_de_la_pagina(base, agrupar: str, pagina: int) -> tuple[list, bool]:
    """The groups (client or executor ids) shown on ``pagina``, in name order, and whether
    more follow. "Sin ejecutor" (None) closes the last page when unassigned cases exist.

    Groups are read from their own table (a client or executor with at least one open case
    under the filters), so Próximos only ever reads the cases of one page of groups,
    whatever the number of clients.
    """
    abiertos = base.abiertos()
    tabla, campo = (Cliente, "cliente") if agrupar == "cliente" else (Ejecutor, "ejecutor")
    # "Has one": the key of its first open case, not EXISTS. PostgreSQL runs an EXISTS as a
    # semi-join that reads every open case of the group (a bitmap of the whole index range);
    # a LIMIT 1 subquery stops at the first one.
    primero = abiertos.filter(**{campo: OuterRef("pk")}).order_by().values("pk")[:1]
    tabla = tabla.objects.alias(primero=Subquery(primero)).filter(primero__isnull=False)
    inicio = (pagina - 1) * GRUPOS_POR_PAGINA
    claves = list(
        tabla.order_by("nombre", "pk").values_list("pk", flat=True)[
            inicio : inicio + GRUPOS_POR_PAGINA + 1
        ]
    )
    hay_mas = len(claves) > GRUPOS_POR_PAGINA
    claves = claves[:GRUPOS_POR_PAGINA]
    if agrupar != "cliente" and not hay_mas and abiertos.filter(ejecutor__isnull=True).exists():
        claves.append(None)
    return claves, hay_mas


class ProximosView(PermissionRequiredMixin, TemplateView):
    """Próximos Casos a Ejecutar: open cases grouped by ejecutor or cliente, in work order."""

    permission_required = "cases.view_caso"
    template_name = "cases/proximos.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ProximosForm(self.request.GET)
        form.fields["ejecutor"].empty_label = _("Todos")
        v = form.valores()
        elegidos_cargados(form)
        qs = Caso.objects.all()
        if v["ejecutor"]:
            qs = qs.filter(ejecutor=v["ejecutor"])
        if v["estatus_ejecutor"]:
            # Unassigned open cases are work too: they stay, under "Sin ejecutor".
            qs = qs.filter(Q(ejecutor__isnull=True) | Q(ejecutor__estatus=v["estatus_ejecutor"]))
        if v["cliente"]:
            qs = qs.filter(cliente=v["cliente"])
        if v["estatus_cliente"]:
            qs = qs.filter(cliente__estatus=v["estatus_cliente"])
        pagina = v.get("pagina") or 1
        claves, hay_mas = grupos_de_la_pagina(qs, v["agrupar"], pagina)
        campo = "cliente_id" if v["agrupar"] == "cliente" else "ejecutor_id"
        # How many open cases each group of the page has (the table shows at most limite),
        # counted up to COTA_ABIERTOS + 1 each: one grouped count over the first cases of
        # each group (the same per-group reading as the cases themselves, so that counting
        # a million open cases never costs more than showing them).
        elegidos = qs.proximos(
            agrupar=v["agrupar"], limite=COTA_ABIERTOS + 1, grupos=claves, ordenar=False
        )
        abiertos = dict(elegidos.values_list(campo).annotate(n=Count("pk")).values_list(campo, "n"))
        qs = qs.proximos(agrupar=v["agrupar"], limite=v["limite"], grupos=claves).select_related(
            "cliente", "ejecutor"
        )
        context["cota"] = COTA_ABIERTOS
        context["pagina"] = pagina
        context["hay_mas"] = hay_mas
        if v["agrupar"] == "cliente":
            qs = qs.order_by("cliente__nombre", *qs.query.order_by)
            clave = lambda c: c.cliente  # noqa: E731
        else:
            qs = qs.order_by(F("ejecutor__nombre").asc(nulls_last=True), *qs.query.order_by)
            clave = lambda c: c.ejecutor  # noqa: E731
        context["form"] = form
        context["valores"] = v
        casos = Actividad.objects.horas_de(qs)  # the hours of the page's cases in one query
        # (group, its cases shown, how many open cases it has under the filters)
        context["grupos"] = [
            (grupo, list(filas), abiertos.get(grupo.pk if grupo else None, 0))
            for grupo, filas in groupby(casos, key=clave)
        ]
        return context


class CasoRapidoView(PermissionRequiredMixin, FormView):
    """Agregar casos rápidamente: register a case with a handful of fields."""

    permission_required = "cases.add_caso"
    form_class = CasoRapidoForm
    template_name = "cases/caso_rapido.html"
    # After "Guardar y agregar otro" these stay filled for the next case.
    CONSERVAR = ("cliente", "ejecutor", "prioridad", "etapa")

    def get_initial(self):
        initial = super().get_initial()
        for campo in self.CONSERVAR:
            valor = self.request.GET.get(campo)
            if valor:
                initial[campo] = valor
        return initial

    def post(self, request, *args, **kwargs):
        guardado = caso_de_envio(token_envio(request.POST.get("envio")))
        if guardado is not None:
            return ya_guardado(request, guardado)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            caso = crear_caso_rapido(
                form=form,
                usuario=self.request.user,
                envio=token_envio(self.request.POST.get("envio")),
            )
        except EnvioRepetido as repetido:
            return ya_guardado(self.request, repetido.caso_id)
        messages.success(
            self.request, _("Caso %(documento)s creado.") % {"documento": caso.documento}
        )
        if "_otro" in self.request.POST:
            conservar = {
                campo: form.data.get(campo) for campo in self.CONSERVAR if form.data.get(campo)
            }
            return HttpResponseRedirect(
                reverse("cases:caso_rapido") + ("?" + urlencode(conservar) if conservar else "")
            )
        return HttpResponseRedirect(caso.get_absolute_url())


class CasoHistorialView(PermissionRequiredMixin, DetailView):
    """Historial: every change of the case and of its activity rows, newest first."""

    permission_required = "cases.view_caso"
    template_name = "cases/caso_historial.html"
    queryset = Caso.objects.select_related("cliente")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["guardados"] = historial_de_caso(self.object)
        return context
