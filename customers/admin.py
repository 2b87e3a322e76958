from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Cliente, Contacto


class ContactoInline(admin.TabularInline):
    model = Contacto
    extra = 0
    fields = ["nombre", "cargo", "email", "telefono", "activo"]


@admin.register(Cliente)
class ClienteAdmin(SimpleHistoryAdmin):
    list_display = ["codigo", "nombre", "tipo", "rif", "email", "telefono", "estatus", "interno"]
    list_filter = ["estatus", "tipo", "interno"]
    search_fields = ["codigo", "nombre", "rif", "email"]
    ordering = ["nombre"]
    inlines = [ContactoInline]
    list_per_page = 50

    def save_model(self, request, obj, form, change):
        if change:
            # Editors open on this client see their page as stale (conflict detection).
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(Contacto)
class ContactoAdmin(SimpleHistoryAdmin):
    list_display = ["nombre", "cliente", "cargo", "email", "telefono", "activo"]
    list_filter = ["activo"]
    search_fields = ["nombre", "email", "cliente__nombre", "cliente__codigo"]
    autocomplete_fields = ["cliente"]
    list_select_related = ["cliente"]
