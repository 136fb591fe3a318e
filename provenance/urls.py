from django.urls import URLPattern

app_name = "provenance"
urlpatterns: list[URLPattern] = []
