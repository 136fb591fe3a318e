from django.urls import path

from marketplace import views

app_name = "marketplace"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("datasets/new/", views.dataset_new, name="dataset-new"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="dataset"),
    path("datasets/<int:dataset_id>/versions/new/", views.version_new, name="version-new"),
    path("versions/<int:version_id>/", views.version_detail, name="version"),
    path("versions/<int:version_id>/status/", views.version_status, name="version-status"),
    path("versions/<int:version_id>/retry-pin/", views.version_retry_pin, name="version-retry-pin"),
    path("versions/<int:version_id>/download", views.version_download, name="version-download"),
]
