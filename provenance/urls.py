from django.urls import path

from provenance import views

app_name = "provenance"
urlpatterns = [
    path("models/", views.model_list, name="models"),
    path("models/new/", views.model_new, name="model-new"),
    path("models/<int:model_id>/", views.model_detail, name="model"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("members/<int:user_id>/", views.member_detail, name="member"),
    path("lineage.json", views.lineage_json, name="lineage-json"),
]
