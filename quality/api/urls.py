from django.urls import URLPattern, path

from quality.api import views

urlpatterns: list[URLPattern] = [
    path(
        "versions/<int:version_id>/quality/",
        views.VersionQualityApi.as_view(),
        name="api-version-quality",
    ),
    path(
        "versions/<int:version_id>/quality/recheck/",
        views.VersionRecheckApi.as_view(),
        name="api-version-quality-recheck",
    ),
    path(
        "datasets/<int:dataset_id>/rules/",
        views.DatasetRulesApi.as_view(),
        name="api-dataset-rules",
    ),
]
