"""Writes for members and API tokens."""

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Member

TOKEN_PREFIX = "coop_"  # noqa: S105 (a public prefix, not a secret)


def hash_token_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def member_create(
    *,
    username: str,
    password: str | None,
    email: str = "",
    display_name: str = "",
    is_contributor: bool = True,
    is_buyer: bool = True,
    is_curator: bool = False,
) -> Member:
    user = get_user_model().objects.create_user(username=username, email=email, password=password)
    return Member.objects.create(
        user=user,
        display_name=display_name,
        is_contributor=is_contributor,
        is_buyer=is_buyer,
        is_curator=is_curator,
    )


def member_for(user: User) -> Member:
    """The member profile of a user, created on first use for users made outside the sign-up
    flow (``createsuperuser``, the admin)."""
    member, _ = Member.objects.get_or_create(user=user)
    return member


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the only time the plain key exists outside the client


def token_create(*, user: User, name: str) -> IssuedToken:
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[: len(TOKEN_PREFIX) + 6], key_hash=hash_token_key(key)
    )
    return IssuedToken(token=token, key=key)


def token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when it is not theirs or already revoked."""
    updated = ApiToken.objects.filter(id=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return updated == 1
