from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cases.inicio import InicioView
from cases.lupa import BuscarView
from cases.views import ActividadListView

from . import views

admin.site.site_header = "eFactory Casos"
admin.site.site_title = "eFactory Casos"
admin.site.index_title = "Administración"

urlpatterns = [
    path("", InicioView.as_view(), name="inicio"),
    # Only login, logout and password change: password reset by e-mail is not offered
    # (SPEC: every page but login and /salud/ requires login; no mail is configured).
    path("cuentas/login/", auth_views.LoginView.as_view(), name="login"),
    path("cuentas/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "cuentas/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "cuentas/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("casos/", include("cases.urls")),
    path("actividades/", ActividadListView.as_view(), name="actividad_list"),
    path("clientes/", include("customers.urls")),
    path("buscar/<slug:tabla>/", BuscarView.as_view(), name="buscar"),
    path("salud/", views.salud, name="salud"),
    path("admin/", admin.site.urls),
]

handler400 = "efactory.errores.solicitud_incorrecta"
handler500 = "efactory.errores.error_servidor"
