"""The tamper-evident record: an append-only, hash-chained log of every fact the cooperative
asserts (uploads, pins, verdicts, purchases, runs, splits), and its anchors on IPFS."""

from django.db import models

GENESIS_HASH = "0" * 64


class ChainHead(models.Model):
    """One row (pk=1) holding the end of the chain. Appends lock it, so the chain never forks."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class ProvenanceRecord(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=40, db_index=True)
    subject = models.CharField(max_length=120, db_index=True, help_text="e.g. version:12")
    payload = models.JSONField()
    created_at = models.DateTimeField()
    canonical = models.TextField(help_text="The canonical JSON that was hashed.")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject}"


class Anchor(models.Model):
    """The chain head published on IPFS at a point in time."""

    cid = models.CharField(max_length=120)
    head_seq = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    # Exactly what was added to IPFS ({head_hash, record_count, time}), so anyone can recompute
    # the CID from it (ipfs.client.canonical_json) and compare it with the chain.
    document = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.cid} @#{self.head_seq}"
