from django.contrib import admin
from django.db.models import F
from simple_history.admin import SimpleHistoryAdmin

from .formsets import BaseActividadFormSet
from .models import Actividad, Articulo, Caso, Clase, Departamento, Ejecutor, Grupo, Secuencia


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
    fields = [
        "fecha",
        "hora_inicio",
        "hora_fin",
        "descripcion",
        "ejecutor",
        "facturable",
        "articulo",
    ]
    autocomplete_fields = ["ejecutor", "articulo"]


@admin.register(Caso)
class CasoAdmin(SimpleHistoryAdmin):
    list_display = [
        "numero",
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
    autocomplete_fields = [
        "cliente",
        "contacto",
        "coordinador",
        "ejecutor",
        "revisor",
        "articulo",
        "clase",
        "grupo",
        "departamento",
    ]
    list_select_related = ["cliente", "ejecutor"]
    readonly_fields = ["numero", "propietario", "creado_en", "actualizado_en", "version"]
    date_hierarchy = "fecha_inicio"
    inlines = [ActividadInline]
    fieldsets = [
        (
            "Generales",
            {
                "fields": [
                    "numero",
                    "asunto",
                    "prioridad",
                    "cliente",
                    "contacto",
                    "coordinador",
                    ("fecha_inicio", "fecha_cierre"),
                    ("etapa", "avance"),
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
                    "estimado",
                    "complejidad",
                    "nivel",
                    "facturable",
                    "revisor",
                    "comentario_solucion",
                    "propietario",
                    ("creado_en", "actualizado_en", "version"),
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        if not change and obj.propietario_id is None:
            obj.propietario = request.user
        if change:
            # Editors open on this case see their page as stale (conflict detection).
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(Actividad)
class ActividadAdmin(SimpleHistoryAdmin):
    list_display = ["caso", "fecha", "hora_inicio", "hora_fin", "ejecutor", "facturable", "minutos"]
    list_filter = ["facturable", "fecha"]
    search_fields = ["descripcion", "caso__numero", "caso__asunto", "ejecutor__nombre"]
    autocomplete_fields = ["caso", "ejecutor", "articulo"]
    list_select_related = ["caso", "ejecutor"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tocar_caso(obj.caso_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        tocar_caso(obj.caso_id)

    def delete_queryset(self, request, queryset):
        casos = set(queryset.values_list("caso_id", flat=True))
        super().delete_queryset(request, queryset)
        for caso_id in casos:
            tocar_caso(caso_id)


def tocar_caso(caso_id):
    """A row changed outside the editor: bump its case's version so open editors see it."""
    Caso.objects.filter(pk=caso_id).update(version=F("version") + 1)


@admin.register(Secuencia)
class SecuenciaAdmin(admin.ModelAdmin):
    list_display = ["nombre", "valor"]
    readonly_fields = ["nombre", "valor"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
