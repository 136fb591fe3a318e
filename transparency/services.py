"""Appending to the provenance chain, verifying it, and anchoring its head on IPFS."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ipfs import client as ipfs
from transparency.chain import canonical_json, link_hash, record_body
from transparency.models import GENESIS_HASH, Anchor, ChainHead, ProvenanceRecord

log = logging.getLogger(__name__)


def chain_lock() -> ChainHead:
    """Take the chain head's row lock inside the caller's transaction, before appending.

    Writers that must check the graph before they change it (a new derivation must not close
    a cycle) take this lock first: their check and their append are then serialised with
    every other fact, so two concurrent writes cannot each pass a check the pair would fail.
    """
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def record_append(*, kind: str, subject: str, payload: dict[str, Any]) -> ProvenanceRecord:
    """Append one fact. Joins the caller's transaction, so a fact and its record commit (or
    roll back) together; the head row lock serialises appends on every database."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        seq = head.seq + 1
        created_at = timezone.now()
        # Round-trip through JSON so the stored payload is exactly what was hashed.
        canonical = canonical_json(
            record_body(seq=seq, kind=kind, subject=subject, payload=payload, created_at=created_at)
        )
        digest = link_hash(head.hash, canonical)
        record = ProvenanceRecord.objects.create(
            seq=seq,
            kind=kind,
            subject=subject,
            payload=payload,
            created_at=created_at,
            canonical=canonical,
            prev_hash=head.hash,
            hash=digest,
        )
        head.seq, head.hash = seq, digest
        head.save(update_fields=["seq", "hash"])
    return record


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    record_id: int | None
    reason: str


def chain_verify() -> ChainProblem | None:
    """Walk the whole chain; return the first record that does not hold, or None."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    last_seq = 0
    for record in ProvenanceRecord.objects.order_by("seq").iterator(chunk_size=2000):
        if record.seq != expected_seq:
            return ChainProblem(
                expected_seq, None, f"record #{expected_seq} is missing (next is #{record.seq})"
            )
        body = record_body(
            seq=record.seq,
            kind=record.kind,
            subject=record.subject,
            payload=record.payload,
            created_at=record.created_at,
        )
        if canonical_json(body) != record.canonical:
            return ChainProblem(record.seq, record.id, "its fields differ from the hashed JSON")
        if record.prev_hash != expected_prev:
            return ChainProblem(record.seq, record.id, "its prev_hash does not match record before")
        if link_hash(record.prev_hash, record.canonical) != record.hash:
            return ChainProblem(record.seq, record.id, "its hash does not match its content")
        expected_prev = record.hash
        expected_seq += 1
        last_seq = record.seq
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        return ChainProblem(
            head.seq, None, f"the head says #{head.seq} but the chain ends at #{last_seq}"
        )
    return None


def anchor_head() -> Anchor | None:
    """Publish the chain head on IPFS (added and pinned) and record the anchor.

    Returns None when there is nothing new to anchor (an empty chain, or the head is the one
    anchored last), or when the chain does not verify: a broken chain is never vouched for,
    the failure is logged for the operators instead.
    """
    head = ChainHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return None
    latest = Anchor.objects.order_by("-head_seq", "-pk").first()
    if latest is not None and latest.head_seq == head.seq and latest.head_hash == head.hash:
        return None
    problem = chain_verify()
    if problem is not None:
        log.error("not anchoring: provenance chain broken at #%s: %s", problem.seq, problem.reason)
        return None
    document = {
        "head_hash": head.hash,
        "record_count": head.seq,
        "time": timezone.now().isoformat(),
    }
    cid = ipfs.add_json(document)
    return Anchor.objects.create(cid=cid, head_seq=head.seq, head_hash=head.hash, document=document)


@dataclass(frozen=True)
class ChainStatus:
    head: ChainHead
    record_count: int
    problem: ChainProblem | None
    verified_at: datetime


# Verifying reads every record, so a public page must not do it on each request: the result is
# shared for this long (per cache), which bounds the cost whoever asks and however often.
VERIFICATION_CACHE_SECONDS = 300


def _verification() -> tuple[ChainProblem | None, datetime]:
    return chain_verify(), timezone.now()


def chain_status() -> ChainStatus:
    head = ChainHead.objects.filter(pk=1).first() or ChainHead(pk=1)
    verification = cache.get_or_set(
        "transparency:chain-verification", _verification, VERIFICATION_CACHE_SECONDS
    )
    problem, verified_at = verification if verification is not None else _verification()
    return ChainStatus(
        head=head,
        record_count=ProvenanceRecord.objects.count(),
        problem=problem,
        verified_at=verified_at,
    )
