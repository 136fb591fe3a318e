"""Reads of members and their roles: the one place that says who is a member, a buyer or a
curator. Callers (views, the admin, the services that check who may act) ask here."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

from accounts.models import Member
from core.api import MAX_ID

AnyUser = AbstractBaseUser | AnonymousUser


def is_curator(user: AnyUser) -> bool:
    """Curators review quality decisions, top up credits and change the policies; a Django
    superuser counts as one."""
    if not user.is_authenticated:
        return False
    return (
        bool(getattr(user, "is_superuser", False))
        or Member.objects.filter(user_id=user.pk, is_curator=True).exists()
    )


def has_buyer_role(user: AnyUser) -> bool:
    """Members with the buyer role may buy access."""
    return user.is_authenticated and Member.objects.filter(user_id=user.pk, is_buyer=True).exists()


def member_by_id(user_id: int) -> User | None:
    """The user with this id if they are a member of the cooperative."""
    if not 0 < user_id <= MAX_ID:
        return None
    return get_user_model().objects.filter(pk=user_id, member__isnull=False).first()


def member_by_username(username: str) -> User | None:
    return get_user_model().objects.filter(username=username, member__isnull=False).first()
