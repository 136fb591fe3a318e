from django.urls import path

from ledger.api import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path(
        "members/<int:member_id>/credits/",
        views.MemberCreditsView.as_view(),
        name="api-member-credits",
    ),
]
