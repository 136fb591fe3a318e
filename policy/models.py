"""The cooperative's versioned policy: the rates every split of money is made under.

Rows are never edited: a change is a new version (``core.versioning``), recorded with who
decided it, so every revenue event can name the exact policy it was split under. It lives
between transparency and marketplace, before every stage that applies it: the royalty stack
limit concerns uploads (marketplace), the fee and the data share the ledger.
"""

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from core.versioning import DECIDED_BY_MAX

# Rates are basis points (1/100 of a percent), so they stay integers: 1000 means 10 %.
BASIS_POINTS = 10_000


class CooperativePolicy(models.Model):
    version = models.PositiveIntegerField(unique=True)
    fee_bp = models.PositiveIntegerField(
        validators=[MaxValueValidator(BASIS_POINTS)],
        help_text="The cooperative's fee, in basis points.",
    )
    data_share_bp = models.PositiveIntegerField(
        default=3000,
        validators=[MaxValueValidator(BASIS_POINTS)],
        help_text="The part of reported model earnings owed to the data, in basis points.",
    )
    max_royalty_stack_bp = models.PositiveIntegerField(
        default=5000,
        validators=[MaxValueValidator(BASIS_POINTS)],
        help_text="The most a derived version may pass to its parents in total, in basis points.",
    )
    note = models.CharField(max_length=200, blank=True)
    # Who decided it, as an opaque reference: "curator:7", later "motion:12"; "bootstrap" for
    # the first version, made from the settings.
    decided_by = models.CharField(max_length=DECIDED_BY_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "cooperative policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": 0, f"{name}__lte": BASIS_POINTS}),
                name=f"policy_{name}_range",
            )
            for name in ("fee_bp", "data_share_bp", "max_royalty_stack_bp")
        ]

    def __str__(self) -> str:
        return f"cooperative policy v{self.version}: fee {self.fee_bp / 100:g} %"
