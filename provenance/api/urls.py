from django.urls import path

from provenance.api import views

urlpatterns = [
    path("models/", views.ModelCreateView.as_view(), name="api-models"),
    path("models/<int:model_id>/", views.ModelDetailView.as_view(), name="api-model"),
    path(
        "models/<int:model_id>/training-runs/",
        views.TrainingRunCreateView.as_view(),
        name="api-model-training-runs",
    ),
    path("lineage/", views.LineageView.as_view(), name="api-lineage"),
    path("lineage/openlineage", views.OpenLineageView.as_view(), name="api-openlineage"),
    path("provenance/export", views.ProvExportView.as_view(), name="api-provenance-export"),
]
