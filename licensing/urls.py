from django.urls import path

from licensing import views

app_name = "licensing"
urlpatterns = [
    path("", views.index, name="index"),
    path("datasets/<int:dataset_id>/offers/", views.offers, name="offers"),
    path("offers/<int:offer_id>/withdraw/", views.offer_withdraw, name="offer-withdraw"),
    path("credits/", views.credits, name="credits"),
]
