"""Datasets, their immutable versions (identified by CID), derivation links and pin state."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class License(models.TextChoices):
    """SPDX identifiers the cooperative accepts for datasets."""

    CC_BY_4_0 = "CC-BY-4.0", "CC-BY-4.0 (Creative Commons Attribution 4.0)"
    CC_BY_SA_4_0 = "CC-BY-SA-4.0", "CC-BY-SA-4.0 (Attribution-ShareAlike 4.0)"
    CC_BY_NC_4_0 = "CC-BY-NC-4.0", "CC-BY-NC-4.0 (Attribution-NonCommercial 4.0)"
    CC0_1_0 = "CC0-1.0", "CC0-1.0 (Public Domain Dedication)"
    ODBL_1_0 = "ODbL-1.0", "ODbL-1.0 (Open Database License)"
    PDDL_1_0 = "PDDL-1.0", "PDDL-1.0 (Open Data Commons Public Domain)"
    CDLA_PERMISSIVE_2_0 = "CDLA-Permissive-2.0", "CDLA-Permissive-2.0"
    CDLA_SHARING_1_0 = "CDLA-Sharing-1.0", "CDLA-Sharing-1.0"


class Format(models.TextChoices):
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"
    JSONL = "jsonl", "JSON Lines"


# File name endings accepted for each format; anything else is refused at upload.
FORMAT_EXTENSIONS: dict[str, tuple[str, ...]] = {
    Format.CSV: (".csv",),
    Format.PARQUET: (".parquet", ".pq"),
    Format.JSONL: (".jsonl", ".ndjson"),
}


class Dataset(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    license = models.CharField(max_length=40, choices=License.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="datasets_created"
    )
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="DatasetContributor", related_name="datasets"
    )
    # Columns the contributor declares ([{"name": ..., "type": ...}]); the quality gate checks
    # each version against it when present.
    declared_schema = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # The catalogue lists newest-updated first.
        indexes = [models.Index(fields=["updated_at", "id"], name="dataset_updated")]

    def __str__(self) -> str:
        return self.title


class DatasetContributor(models.Model):
    """A member who owns part of a dataset; revenue that stays with a version is split among
    its dataset's contributors by share weight."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dataset_memberships"
    )
    share_weight = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "user"], name="unique_dataset_contributor"),
            models.CheckConstraint(condition=Q(share_weight__gt=0), name="share_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.dataset} ({self.share_weight})"


class VersionStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    PINNING = "pinning", "Pinning"
    PINNED = "pinned", "Pinned"
    CHECKING = "checking", "Checking"
    ADMITTED = "admitted", "Admitted"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


TERMINAL_STATUSES = frozenset(
    {VersionStatus.ADMITTED, VersionStatus.REJECTED, VersionStatus.FAILED}
)


class DatasetVersion(models.Model):
    """One immutable upload. Its CID (CIDv1, raw leaves, 256 KiB chunks) is its identity."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    cid = models.CharField(max_length=120, unique=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    format = models.CharField(max_length=10, choices=Format.choices)
    license = models.CharField(max_length=40, choices=License.choices)
    original_filename = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="versions_uploaded"
    )
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.UPLOADED, db_index=True
    )
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    # Filled in by the quality gate once the file has been parsed.
    schema = models.JSONField(null=True, blank=True)
    row_count = models.PositiveBigIntegerField(null=True, blank=True)
    parents = models.ManyToManyField(
        "self", through="VersionDerivation", symmetrical=False, related_name="children"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["dataset_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="unique_version_number"),
        ]
        indexes = [
            models.Index(fields=["dataset", "status"], name="version_dataset_status"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.title} v{self.number}"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class VersionDerivation(models.Model):
    """``child wasDerivedFrom parent`` with the royalty weight the child passes to the parent."""

    child = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="parent_links")
    parent = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="child_links")
    weight = models.DecimalField(max_digits=7, decimal_places=6)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["child", "parent"], name="unique_derivation"),
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=1), name="derivation_weight_range"
            ),
            models.CheckConstraint(
                condition=~Q(child=models.F("parent")), name="derivation_not_self"
            ),
        ]
        indexes = [models.Index(fields=["parent", "child"], name="derivation_parent_child")]

    def __str__(self) -> str:
        return f"{self.child_id} ← {self.parent_id} ({self.weight})"


class PinStatus(models.TextChoices):
    """The IPFS Pinning Service API vocabulary."""

    QUEUED = "queued", "Queued"
    PINNING = "pinning", "Pinning"
    PINNED = "pinned", "Pinned"
    FAILED = "failed", "Failed"


class Pin(models.Model):
    version = models.OneToOneField(DatasetVersion, on_delete=models.CASCADE, related_name="pin")
    cid = models.CharField(max_length=120, db_index=True)
    status = models.CharField(
        max_length=10, choices=PinStatus.choices, default=PinStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The node received (and pinned) the bytes while they were uploaded; pinning needs no add.
    preadded = models.BooleanField(default=False)
    # Where the uploaded bytes wait until the node confirms the pin; cleared afterwards.
    staged_path = models.CharField(max_length=500, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.cid} {self.status}"
