"""Members of the cooperative: a Django user plus a profile with roles, and hashed API tokens."""

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    CONTRIBUTOR = "contributor", "Contributor"
    BUYER = "buyer", "Buyer"
    CURATOR = "curator", "Curator"


class Member(models.Model):
    """The cooperative profile of a user. Domain rows point at the user; roles live here."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member"
    )
    display_name = models.CharField(max_length=150, blank=True)
    is_contributor = models.BooleanField(default=True)
    is_buyer = models.BooleanField(default=True)
    # Curators review quality decisions and top up credits; only a curator or an admin can
    # grant the role, never the member themself.
    is_curator = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()

    @property
    def roles(self) -> list[str]:
        flags = {
            Role.CONTRIBUTOR: self.is_contributor,
            Role.BUYER: self.is_buyer,
            Role.CURATOR: self.is_curator,
        }
        return [str(role) for role, on in flags.items() if on]


class ApiToken(models.Model):
    """An API key. Only its sha256 is stored; the key itself is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
