from django.urls import path

from marketplace.api import views

urlpatterns = [
    path("datasets/", views.DatasetUploadView.as_view(), name="api-datasets"),
    path(
        "datasets/<int:dataset_id>/versions/",
        views.VersionCreateView.as_view(),
        name="api-dataset-versions",
    ),
    path("versions/<int:version_id>/", views.VersionDetailView.as_view(), name="api-version"),
]
