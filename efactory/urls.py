from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from cases.lupa import BuscarView

from . import views

admin.site.site_header = "eFactory Casos"
admin.site.site_title = "eFactory Casos"
admin.site.index_title = "Administración"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cases:caso_list", permanent=False), name="inicio"),
    path("cuentas/", include("django.contrib.auth.urls")),
    path("casos/", include("cases.urls")),
    path("clientes/", include("customers.urls")),
    path("buscar/<slug:tabla>/", BuscarView.as_view(), name="buscar"),
    path("salud/", views.salud, name="salud"),
    path("admin/", admin.site.urls),
]

handler500 = "efactory.errores.error_servidor"
