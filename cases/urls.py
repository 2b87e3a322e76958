from django.urls import path

from . import importar, views

app_name = "cases"

urlpatterns = [
    path("", views.CasoListView.as_view(), name="caso_list"),
    path("seguimiento/", views.SeguimientoView.as_view(), name="seguimiento"),
    path("exportar/", views.CasoExportView.as_view(), name="caso_exportar"),
    path("proximos/", views.ProximosView.as_view(), name="proximos"),
    path("horas/", views.HorasView.as_view(), name="horas"),
    path("graficos/", views.GraficosView.as_view(), name="graficos"),
    path("importar/", importar.ImportarView.as_view(), name="importar"),
    path("importar/plantilla/", importar.PlantillaView.as_view(), name="importar_plantilla"),
    path("importar/<int:pk>/", importar.ImportacionView.as_view(), name="importacion"),
    path("importar/<int:pk>/errores/", importar.ErroresView.as_view(), name="importacion_errores"),
    path(
        "importar/<int:pk>/progreso/", importar.ProgresoView.as_view(), name="importacion_progreso"
    ),
    path("rapido/", views.CasoRapidoView.as_view(), name="caso_rapido"),
    path("nuevo/", views.CasoEditorView.as_view(nuevo=True), name="caso_create"),
    path("<int:pk>/", views.CasoDetailView.as_view(), name="caso_detail"),
    path("<int:pk>/editar/", views.CasoEditorView.as_view(), name="caso_update"),
    path("<int:pk>/historial/", views.CasoHistorialView.as_view(), name="caso_historial"),
    path("<int:pk>/eliminar/", views.CasoDeleteView.as_view(), name="caso_delete"),
]
