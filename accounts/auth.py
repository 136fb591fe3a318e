"""Typing help for views that only run for signed-in members."""

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind ``login_required``."""

    user: User


def acting_user(request: Request | HttpRequest) -> User:
    """The signed-in user of an API request (the permission classes already required one)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user
