from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.ClienteListView.as_view(), name="cliente_list"),
    path("nuevo/", views.ClienteEditorView.as_view(nuevo=True), name="cliente_create"),
    path("<int:pk>/", views.ClienteDetailView.as_view(), name="cliente_detail"),
    path("<int:pk>/editar/", views.ClienteEditorView.as_view(), name="cliente_update"),
    path("<int:pk>/eliminar/", views.ClienteDeleteView.as_view(), name="cliente_delete"),
]
