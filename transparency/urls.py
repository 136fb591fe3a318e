from django.urls import path

from transparency import views

app_name = "transparency"
urlpatterns = [path("", views.transparency, name="index")]
