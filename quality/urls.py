from django.urls import path

from quality import views

app_name = "quality"
urlpatterns = [
    path("versions/<int:version_id>/", views.report, name="report"),
    path("versions/<int:version_id>/rerun/", views.rerun, name="rerun"),
    path("versions/<int:version_id>/override/", views.override, name="override"),
    path("versions/<int:version_id>/suggest/", views.suggest, name="suggest"),
    path("datasets/<int:dataset_id>/rules/", views.rules, name="rules"),
    path("policy/", views.policy, name="policy"),
]
