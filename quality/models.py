"""Quality rules stored as data, and the reports the gate writes.

- ``QualityPolicy``: the cooperative's default rules. Each change is a new row with the next
  ``number`` (``core.versioning``) and who decided it; the newest is in force, and every
  report records the one it used.
- ``DatasetRules``: a dataset's own rules and its ``revision`` (bumped on every change).
- ``QualityReport``: one gate run for one version (a re-run adds a new one; the newest counts).
- ``QualityOverride``: a curator's decision over a report, with who, when and why.
- ``VersionProfile``: a cached profile of a version's file, the input to suggested rules.
"""

from django.conf import settings
from django.db import models

from core.versioning import DECIDED_BY_MAX
from marketplace.models import Dataset, DatasetVersion


class Verdict(models.TextChoices):
    ADMITTED = "admitted", "Admitted"
    REJECTED = "rejected", "Rejected"


class QualityPolicy(models.Model):
    number = models.PositiveIntegerField(unique=True)
    # [{"type", "kwargs", "severity"}]; a column argument of "*" means every column.
    rules = models.JSONField(default=list)
    note = models.TextField(blank=True)
    # Who decided it, as an opaque reference: "curator:7", later "motion:12"; "bootstrap" for
    # the first version (the cooperative's default rules).
    decided_by = models.CharField(max_length=DECIDED_BY_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name_plural = "quality policies"

    def __str__(self) -> str:
        return f"Quality policy v{self.number}"


class DatasetRules(models.Model):
    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, related_name="quality_rules")
    rules = models.JSONField(default=list)
    revision = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "dataset rules"

    def __str__(self) -> str:
        return f"Rules of {self.dataset} (rev {self.revision})"


class QualityReport(models.Model):
    version = models.ForeignKey(
        DatasetVersion, on_delete=models.CASCADE, related_name="quality_reports"
    )
    policy = models.ForeignKey(QualityPolicy, on_delete=models.PROTECT, related_name="reports")
    rules_revision = models.PositiveIntegerField(default=0)
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.TextField(blank=True)
    # The people-readable rows (one per expectation) the report page renders from.
    summary = models.JSONField(default=list)
    counts = models.JSONField(default=dict)
    # The expanded suite that ran, and GX's full result JSON.
    suite = models.JSONField(default=list)
    gx_result = models.JSONField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["version", "-id"], name="report_version_latest")]

    def __str__(self) -> str:
        return f"Quality report {self.pk} for version {self.version_id}: {self.verdict}"


class QualityOverride(models.Model):
    report = models.ForeignKey(QualityReport, on_delete=models.CASCADE, related_name="overrides")
    decision = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.TextField()
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.decision} by {self.curator} on report {self.report_id}"


class VersionProfile(models.Model):
    version = models.OneToOneField(
        DatasetVersion, on_delete=models.CASCADE, related_name="quality_profile"
    )
    profile = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Profile of version {self.version_id}"
