"""The cooperative's books: accounts, double-entry ledger rows and revenue events.

Every movement of money is one ``LedgerTransaction`` whose ``LedgerEntry`` rows sum to zero.
Amounts are signed integers in minor units: a positive entry raises the account's balance, a
negative one lowers it. Balances are never stored; they are the sum of an account's entries
(indexed so the sum is one index-only scan on PostgreSQL).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.models import DatasetVersion
from policy.models import CooperativePolicy

DEFAULT_CURRENCY = "EUR"


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    GBP = "GBP", "GBP"
    CHF = "CHF", "CHF"


class AccountKind(models.TextChoices):
    MEMBER = "member", "Member balance"
    TREASURY = "treasury", "Cooperative treasury"
    VERSION_REVENUE = "version_revenue", "Revenue held for a dataset version"
    # Where cooperative credit comes from: curators' top-ups are issued against it, so its
    # balance is minus the credit in circulation.
    ISSUANCE = "issuance", "Credit issuance"
    # Money that came from outside through a payment provider other than cooperative credit.
    EXTERNAL = "external", "External payments"


class Account(models.Model):
    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    version = models.ForeignKey(
        DatasetVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=DEFAULT_CURRENCY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # NULLs are distinct in unique constraints, so each owner kind gets its own.
            models.UniqueConstraint(
                fields=["kind", "user", "currency"],
                condition=Q(kind="member"),
                name="one_member_account_per_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "version", "currency"],
                condition=Q(kind="version_revenue"),
                name="one_version_account_per_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(kind__in=["treasury", "issuance", "external"]),
                name="one_cooperative_account_per_currency",
            ),
            models.CheckConstraint(
                condition=(Q(kind="member") & Q(user__isnull=False) & Q(version__isnull=True))
                | (Q(kind="version_revenue") & Q(version__isnull=False) & Q(user__isnull=True))
                | (
                    Q(kind__in=["treasury", "issuance", "external"])
                    & Q(user__isnull=True)
                    & Q(version__isnull=True)
                ),
                name="account_owner_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == AccountKind.MEMBER:
            return f"member {self.user_id} ({self.currency})"
        if self.kind == AccountKind.VERSION_REVENUE:
            return f"version {self.version_id} revenue ({self.currency})"
        return f"{self.get_kind_display()} ({self.currency})"


class TransactionKind(models.TextChoices):
    TOP_UP = "top_up", "Credit top-up"
    PURCHASE = "purchase", "Purchase"


class LedgerTransaction(models.Model):
    """One economic event; its entries sum to zero (checked when it is posted)."""

    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    # What caused it, e.g. "purchase:12" (the ledger never imports the stages after it).
    reference = models.CharField(max_length=100, db_index=True)
    memo = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.reference}"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # Balance = SUM(amount) WHERE account_id = ?; covering the amount makes it an
            # index-only scan on PostgreSQL (other databases ignore INCLUDE).
            models.Index(fields=["account"], include=["amount"], name="entry_account_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount:+d}"


class RevenueEventKind(models.TextChoices):
    SALE = "sale", "Dataset sale"
    MODEL_EARNINGS = "model_earnings", "Model earnings"


class RevenueEvent(models.Model):
    """Revenue that reached a dataset version, waiting to be split along provenance.

    ``amount`` is what is held in the version's revenue account (the price after the
    cooperative fee). ``split_at`` stays empty until the split runs, exactly once.
    """

    kind = models.CharField(max_length=20, choices=RevenueEventKind.choices)
    version = models.ForeignKey(
        DatasetVersion, on_delete=models.PROTECT, related_name="revenue_events"
    )
    currency = models.CharField(max_length=3, choices=Currency.choices)
    gross = models.BigIntegerField(help_text="This version's part of the price, before the fee.")
    fee = models.BigIntegerField()
    amount = models.BigIntegerField(help_text="Held for the version: gross minus fee.")
    # The cooperative policy the event was split under (its fee, for a sale).
    policy = models.ForeignKey(CooperativePolicy, on_delete=models.PROTECT, related_name="+")
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="revenue_events"
    )
    reference = models.CharField(max_length=100)
    split_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["reference", "version"], name="one_event_per_version"),
            models.CheckConstraint(
                condition=Q(amount=models.F("gross") - models.F("fee")),
                name="revenue_amount_is_gross_minus_fee",
            ),
        ]
        indexes = [models.Index(fields=["split_at", "id"], name="revenue_unsplit")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} → version {self.version_id}: {self.amount}"
