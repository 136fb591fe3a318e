from django.urls import path

from licensing.api import views

urlpatterns = [
    path("datasets/", views.DatasetsView.as_view(), name="api-datasets"),
    path("datasets/<int:dataset_id>/", views.DatasetDetailView.as_view(), name="api-dataset"),
    path(
        "datasets/<int:dataset_id>/croissant",
        views.CroissantView.as_view(),
        name="api-dataset-croissant",
    ),
    path(
        "datasets/<int:dataset_id>/offers/",
        views.OffersView.as_view(),
        name="api-dataset-offers",
    ),
    path("purchases/", views.PurchasesView.as_view(), name="api-purchases"),
    path("grants/", views.GrantsView.as_view(), name="api-grants"),
    path(
        "versions/<int:version_id>/download",
        views.VersionDownloadView.as_view(),
        name="api-version-download",
    ),
]
