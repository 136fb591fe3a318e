from django.urls import path

from marketplace.api import views

# POST /api/v1/datasets/ (views.dataset_upload) is routed by licensing.api.urls, whose view
# serves the catalogue's GET on the same path.
urlpatterns = [
    path(
        "datasets/<int:dataset_id>/versions/",
        views.VersionCreateView.as_view(),
        name="api-dataset-versions",
    ),
    path("versions/<int:version_id>/", views.VersionDetailView.as_view(), name="api-version"),
]
