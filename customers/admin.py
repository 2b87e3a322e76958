from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from efactory import versiones

from .models import Cliente, Contacto


class ContactoInline(admin.TabularInline):
    model = Contacto
    extra = 0
    fields = ["nombre", "cargo", "email", "telefono", "activo"]


class ClienteAdminForm(versiones.FormularioVersionado):
    """The admin's client form: it carries the version and refuses a stale save."""

    def historiales(self):
        return [
            self.instance.history.all(),
            Contacto.history.filter(cliente_id=self.instance.pk),
        ]


@admin.register(Cliente)
class ClienteAdmin(versiones.AdminVersionado, SimpleHistoryAdmin):
    form = ClienteAdminForm
    list_display = ["codigo", "nombre", "tipo", "rif", "email", "telefono", "estatus", "interno"]
    list_filter = ["estatus", "tipo", "interno"]
    search_fields = ["codigo", "nombre", "rif", "email"]
    ordering = ["nombre"]
    inlines = [ContactoInline]
    list_per_page = 50


@admin.register(Contacto)
class ContactoAdmin(versiones.AdminDeFilas, SimpleHistoryAdmin):
    """Contacts across clients. A contact saved or deleted here makes the client's editors
    open now stale (its version goes up), as a change in the client's own page does."""

    list_display = ["nombre", "cliente", "cargo", "email", "telefono", "activo"]
    list_filter = ["activo"]
    search_fields = ["nombre", "email", "cliente__nombre", "cliente__codigo"]
    autocomplete_fields = ["cliente"]
    list_select_related = ["cliente"]

    padre = "cliente"
