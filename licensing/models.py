"""The terms datasets are sold under, purchases, the access they grant, and downloads; and the
catalogue's generation, which the database moves whenever anything the catalogue shows changes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ledger.models import DEFAULT_CURRENCY, Currency, LedgerTransaction
from marketplace.models import Dataset, DatasetVersion, License


class Use(models.TextChoices):
    RESEARCH = "research", "Research"
    COMMERCIAL = "commercial", "Commercial"


class LicenseOffer(models.Model):
    """Terms under which a dataset is sold. Covers every admitted version of the dataset, or
    only the pinned set in ``versions`` when ``all_versions`` is off."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="offers")
    license = models.CharField(max_length=40, choices=License.choices)
    use = models.CharField(max_length=20, choices=Use.choices)
    price = models.PositiveBigIntegerField(help_text="Minor units (cents); 0 means free.")
    currency = models.CharField(max_length=3, choices=Currency.choices, default=DEFAULT_CURRENCY)
    duration_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days of access after purchase; empty means perpetual."
    )
    all_versions = models.BooleanField(default=True)
    versions = models.ManyToManyField(DatasetVersion, blank=True, related_name="offers")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offers_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the terms last changed (a withdrawal included).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["price", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="offer_price_not_negative"),
            models.CheckConstraint(
                condition=Q(duration_days__isnull=True) | Q(duration_days__gt=0),
                name="offer_duration_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["dataset", "is_active"], name="offer_dataset_active"),
            models.Index(fields=["use", "price"], name="offer_use_price"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}: {self.license} {self.use} {self.price} {self.currency}"


class Purchase(models.Model):
    """A buyer's purchase of an offer. At most one per (buyer, idempotency key): retries of the
    same request find this row instead of charging again."""

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases"
    )
    offer = models.ForeignKey(LicenseOffer, on_delete=models.PROTECT, related_name="purchases")
    idempotency_key = models.CharField(max_length=255)
    # sha256 of the canonical request body: the same key with another body is a conflict.
    request_fingerprint = models.CharField(max_length=64)
    # The terms as they were when bought (the offer may be withdrawn later).
    price = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    fee = models.PositiveBigIntegerField(default=0)
    payment_provider = models.CharField(max_length=40)
    ledger_transaction = models.OneToOneField(
        LedgerTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "idempotency_key"], name="one_purchase_per_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"purchase #{self.pk} of offer {self.offer_id} by {self.buyer_id}"


class AccessGrant(models.Model):
    """The right to download ``versions`` (fixed at purchase time) until ``expires_at``."""

    purchase = models.OneToOneField(Purchase, on_delete=models.PROTECT, related_name="grant")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants"
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="grants")
    versions = models.ManyToManyField(DatasetVersion, related_name="grants")
    license = models.CharField(max_length=40, choices=License.choices)
    use = models.CharField(max_length=20, choices=Use.choices)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["buyer", "-id"], name="grant_buyer_recent")]

    def __str__(self) -> str:
        return f"grant #{self.pk} to {self.buyer_id} ({self.use})"

    @property
    def is_active(self) -> bool:
        """In force now: perpetual, or not yet expired. The one definition of an active grant
        (``licensing.selectors.active_grant`` applies it)."""
        return self.expires_at is None or self.expires_at > timezone.now()


class AccessVia(models.TextChoices):
    GRANT = "grant", "Access grant"
    CONTRIBUTOR = "contributor", "Contributor"
    CURATOR = "curator", "Curator"


class Download(models.Model):
    """One download started through the API (recorded before the first byte is sent)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="downloads"
    )
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="downloads")
    grant = models.ForeignKey(
        AccessGrant, null=True, blank=True, on_delete=models.PROTECT, related_name="downloads"
    )
    via = models.CharField(max_length=20, choices=AccessVia.choices)
    range_start = models.PositiveBigIntegerField(null=True, blank=True)
    range_end = models.PositiveBigIntegerField(null=True, blank=True)
    length = models.PositiveBigIntegerField(help_text="Bytes in the response body.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["version", "-id"], name="download_version_recent")]

    def __str__(self) -> str:
        return f"download of version {self.version_id} by {self.user_id}"


class CatalogueGeneration(models.Model):
    """One row (``id`` 1) whose ``value`` the database replaces with a fresh random number
    whenever a row the catalogue shows is inserted, updated or deleted, by whatever means:
    services, the admin, a queryset ``update()``, raw SQL. Cached catalogue responses are valid
    while it is unchanged (``licensing.api.caching``).

    Triggers, not Python, keep it: they are installed by the migration that creates this table
    (``licensing/migrations/0003_catalogue_generation.py`` lists the tables). On SQLite, a later
    migration that rebuilds one of those tables (SQLite alters most columns by copying the table)
    drops its triggers with it; that migration must install them again.
    """

    # The triggers that move the generation: on PostgreSQL, this name on each table (also the
    # constraint name ``SET CONSTRAINTS`` takes); on SQLite, ``<this>_<table>_<event>``.
    TRIGGER = "catalogue_generation_bump"

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="catalogue_generation_one")]

    def __str__(self) -> str:
        return f"catalogue generation {self.value}"
