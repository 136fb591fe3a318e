"""Models registered by their owners, the training runs that produced them, and the dataset
versions each run used. Together with ``marketplace.VersionDerivation`` these are the edges of
the provenance graph (see ``provenance.lineage`` for how the graph is walked)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.models import DatasetVersion


class Model(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="models_owned"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # The trained weights on IPFS, when the owner publishes them; checked with ipfs.cid.is_cid.
    artifact_cid = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class TrainingRun(models.Model):
    """One training run that generated (a version of) ``model`` and used dataset versions."""

    model = models.ForeignKey(Model, on_delete=models.PROTECT, related_name="runs")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    # The OpenLineage run id when the run came from an emitted event; re-sending the same
    # COMPLETE event finds the run instead of recording it twice.
    external_run_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_runs_recorded"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    versions = models.ManyToManyField(
        DatasetVersion, through="TrainingRunInput", related_name="training_runs"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="run_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.model}"


class TrainingRunInput(models.Model):
    """``run used version`` with its attribution weight (by default the rows used)."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="inputs")
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="run_uses")
    weight = models.DecimalField(max_digits=24, decimal_places=6)
    rows_used = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "version"], name="unique_run_input"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="run_input_weight_positive"),
        ]
        # The lineage walk goes both ways: downstream from a version (version_id, run_id) and
        # upstream from a run (the unique constraint's (run_id, version_id) index).
        indexes = [models.Index(fields=["version", "run"], name="run_input_version_run")]

    def __str__(self) -> str:
        return f"{self.run_id} used {self.version_id} ({self.weight})"
