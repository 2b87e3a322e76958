from django.contrib import admin, messages
from django.db import IntegrityError, models
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from simple_history.admin import SimpleHistoryAdmin

from efactory import versiones
from efactory.numeros import DecimalInput

from . import conflictos
from .formsets import BaseActividadFormSet
from .models import Actividad, Articulo, Caso, Clase, Departamento, Ejecutor, Grupo, Secuencia
from .services import comprobar_solapes


class CatalogoAdmin(admin.ModelAdmin):
    list_display = ["codigo", "nombre", "activo"]
    list_filter = ["activo"]
    search_fields = ["codigo", "nombre"]
    ordering = ["nombre"]


for model in (Articulo, Clase, Grupo, Departamento):
    admin.site.register(model, CatalogoAdmin)


@admin.register(Ejecutor)
class EjecutorAdmin(admin.ModelAdmin):
    list_display = ["nombre", "email", "usuario", "departamento", "grupo", "estatus"]
    list_filter = ["estatus", "departamento", "grupo"]
    search_fields = ["nombre", "email", "usuario__username"]
    autocomplete_fields = ["usuario", "departamento", "grupo"]
    list_select_related = ["usuario", "departamento", "grupo"]


class ActividadInline(admin.TabularInline):
    """Activities inside the case; the same cross-row rules as the editor (date window,
    overlaps) through the editor's formset class."""

    model = Actividad
    formset = BaseActividadFormSet
    extra = 0
    fields = Actividad.CAMPOS
    autocomplete_fields = ["ejecutor", "articulo"]


class CasoAdminForm(versiones.FormularioVersionado):
    """The admin's case form: it carries the version and refuses a stale save."""

    def historiales(self):
        return conflictos.historiales(self.instance)


@admin.register(Caso)
class CasoAdmin(versiones.AdminVersionado, SimpleHistoryAdmin):
    form = CasoAdminForm
    # Estimado as in the editor: "40,00", typed "2,5" or "2.5".
    formfield_overrides = {models.DecimalField: {"localize": True, "widget": DecimalInput}}
    list_display = [
        "documento",
        "asunto",
        "prioridad",
        "fecha_inicio",
        "cliente",
        "ejecutor",
        "etapa",
        "avance",
    ]
    list_filter = ["etapa", "prioridad", "origen", "complejidad", "interno", "facturable"]
    search_fields = ["numero", "asunto", "comentario", "cliente__nombre", "cliente__codigo"]
    autocomplete_fields = Caso.RELACIONES
    list_select_related = ["cliente", "ejecutor"]
    readonly_fields = [
        "documento",
        "completado_en",
        "propietario",
        "creado_en",
        "actualizado_en",
        "version_actual",
    ]
    date_hierarchy = "fecha_inicio"
    inlines = [ActividadInline]
    fieldsets = [
        (
            "Generales",
            {
                "fields": [
                    "documento",
                    "asunto",
                    "prioridad",
                    "cliente",
                    "contacto",
                    "coordinador",
                    ("fecha_inicio", "fecha_cierre"),
                    ("etapa", "avance", "completado_en"),
                    "ejecutor",
                    "departamento",
                    "grupo",
                    "articulo",
                    "clase",
                    "origen",
                    "interno",
                    "comentario",
                ]
            },
        ),
        (
            "Otros",
            {
                "fields": [
                    *Caso.CAMPOS_OTROS,
                    "propietario",
                    ("creado_en", "actualizado_en", "version_actual"),
                    # The hidden version the page was loaded with (FormularioVersionado).
                    "version",
                ]
            },
        ),
    ]

    @admin.display(description=_lazy("Documento"), ordering="numero")
    def documento(self, obj):
        return obj.documento

    @admin.display(description=_lazy("Versión"))
    def version_actual(self, obj):
        return obj.version

    def get_search_results(self, request, queryset, search_term):
        """The app's accent-insensitive search (Caso.objects.buscar): "nandu" finds Ñandú."""
        if not search_term.strip():
            return queryset, False
        return queryset.buscar(search_term), False

    def save_model(self, request, obj, form, change):
        if not change and obj.propietario_id is None:
            obj.propietario = request.user
        obj.aplicar_derivados()
        # AdminVersionado takes the next version (or refuses a stale save).
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Surface a refusal of the (deferred) overlap constraint inside the admin's
        # transaction, where changeform_view below turns it into a message.
        comprobar_solapes()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as error:
            if "actividad_sin_solapes" not in str(error).lower():
                raise
            # Another save wrote an overlapping row after this form was validated.
            self.message_user(
                request,
                _(
                    "No se guardó: otra persona registró al mismo tiempo una actividad del "
                    "mismo ejecutor que se cruza con una de estas. Revise las horas."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Actividad)
class ActividadAdmin(versiones.AdminDeFilas, SimpleHistoryAdmin):
    """Activities across cases, to look up and delete; read-only otherwise.

    An activity's rules (inside its case's dates, no overlap with the ejecutor's other rows
    in this or any other case) need its case's submitted values: activities are added and
    changed in their case (the Caso page's inline here, or the editor), which apply them.
    """

    list_display = ["caso", "fecha", "hora_inicio", "hora_fin", "ejecutor", "facturable", "minutos"]
    list_filter = ["facturable", "fecha"]
    search_fields = ["descripcion", "caso__numero", "caso__asunto", "ejecutor__nombre"]
    list_select_related = ["caso", "ejecutor"]
    # A row deleted here: its case's editors open now see their page as stale.
    padre = "caso"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Secuencia)
class SecuenciaAdmin(admin.ModelAdmin):
    list_display = ["nombre", "valor"]
    readonly_fields = ["nombre", "valor"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
