"""Writes for the quality gate: the default policy, each dataset's rules, running the gate on a
pinned version, re-runs, curator overrides, and suggested rules.

The flow is pin → check → admit: ``version_check`` claims a pinned version, fetches exactly the
pinned bytes from IPFS (verified against the CID), runs ``quality.checks.gate`` and moves the
version to admitted or rejected, recording both facts in the provenance chain.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.selectors import AnyUser, is_curator
from core.errors import Forbidden
from core.tasks import enqueue
from core.versioning import decided_by_clean, version_current, version_next
from ipfs.client import IpfsError
from ipfs.verified import CidMismatch, iter_verified
from marketplace.models import Dataset, DatasetVersion, VersionStatus
from marketplace.selectors import can_see_unadmitted, is_contributor_of
from marketplace.services import version_set_status
from quality import checks, isolation, profiling
from quality.models import (
    DatasetRules,
    QualityOverride,
    QualityPolicy,
    QualityReport,
    Verdict,
    VersionProfile,
)
from quality.reading import Limits, strip_paths
from quality.rules import (
    CRITICAL,
    DEFAULT_POLICY_RULES,
    RuleError,
    validate_declared_schema,
    validate_rules,
)
from transparency.services import record_append

log = logging.getLogger(__name__)

RECHECKABLE = (VersionStatus.ADMITTED, VersionStatus.REJECTED, VersionStatus.FAILED)


def workers() -> int:
    """Processes one gate run may use for GX (see checks.run_suite)."""
    raw = getattr(settings, "QUALITY_WORKERS", None) or os.environ.get("QUALITY_WORKERS")
    if raw:
        return max(1, int(raw))
    return max(1, min(2, os.cpu_count() or 1))


def gate_options() -> checks.Options:
    """How a check reads and validates: what it may read before a file is refused as too
    large (see quality.reading), and how it splits the work (see quality.checks)."""
    return checks.Options(
        workers=workers(),
        limits=Limits(
            max_rows=settings.QUALITY_MAX_ROWS,
            max_cells=settings.QUALITY_MAX_CELLS,
            max_bytes=settings.QUALITY_MAX_EXPANDED_BYTES,
            max_depth=settings.QUALITY_MAX_JSON_DEPTH,
        ),
        group_bytes=settings.QUALITY_GROUP_BYTES,
        parallel_min_rows=settings.QUALITY_PARALLEL_MIN_ROWS,
        parallel_max_bytes=settings.QUALITY_PARALLEL_MAX_BYTES,
    )


# --- The policy and the rules ----------------------------------------------------------------


def _first_policy() -> dict[str, Any]:
    return {
        "rules": DEFAULT_POLICY_RULES,
        "note": "The cooperative's default.",
        "decided_by": "bootstrap",
    }


def policy_current() -> QualityPolicy:
    """The policy in force; the first one is created on demand (never by a data migration,
    so a flushed test database still gets one)."""
    return version_current(QualityPolicy, field="number", first=_first_policy)


def policy_update(*, decided_by: str, rules: Any, note: str = "") -> QualityPolicy:
    """A new policy version, decided by ``decided_by`` (e.g. "curator:7"); who may decide is
    the caller's to check. Raises RuleError."""
    decided_by = decided_by_clean(decided_by)
    clean = validate_rules(rules, allow_all_columns=True)
    note = note.strip()

    def record(policy: QualityPolicy) -> None:
        record_append(
            kind="quality_policy",
            subject=f"quality_policy:{policy.number}",
            payload={"number": policy.number, "rules": clean, "note": note, "by": decided_by},
        )

    return version_next(
        QualityPolicy,
        field="number",
        first=_first_policy,
        values=lambda _current: {"rules": clean, "note": note, "decided_by": decided_by},
        then=record,
    )


def rules_for(dataset: Dataset) -> DatasetRules:
    rules, _ = DatasetRules.objects.get_or_create(dataset=dataset)
    return rules


_UNSET: Any = object()


def rules_set(
    *,
    user: AbstractBaseUser,
    dataset: Dataset,
    rules: Any = _UNSET,
    declared_schema: Any = _UNSET,
) -> DatasetRules:
    """Replace a dataset's rules and/or its declared schema. Only its contributors may.
    Raises RuleError (nothing is saved) when anything is invalid."""
    if not is_contributor_of(user, dataset):
        raise Forbidden("Only the dataset's contributors can change its rules.")
    clean_rules = None if rules is _UNSET else validate_rules(rules)
    clean_schema = (
        _UNSET if declared_schema is _UNSET else validate_declared_schema(declared_schema)
    )
    with transaction.atomic():
        stored = DatasetRules.objects.select_for_update().filter(dataset=dataset).first()
        if stored is None:
            stored = rules_for(dataset)
        changed = False
        if clean_rules is not None and clean_rules != stored.rules:
            stored.rules = clean_rules
            changed = True
        if clean_schema is not _UNSET and clean_schema != dataset.declared_schema:
            Dataset.objects.filter(pk=dataset.pk).update(declared_schema=clean_schema)
            dataset.declared_schema = clean_schema
            changed = True
        if changed:
            stored.revision += 1
            stored.updated_by = user  # type: ignore[assignment]
            stored.save()
            record_append(
                kind="quality_rules",
                subject=f"dataset:{dataset.pk}",
                payload={
                    "dataset": dataset.pk,
                    "revision": stored.revision,
                    "rules": stored.rules,
                    "declared_schema": dataset.declared_schema,
                    "by": user.pk,
                },
            )
    return stored


def rules_add(*, user: AbstractBaseUser, dataset: Dataset, new_rules: list[Any]) -> DatasetRules:
    """Append rules (an identical rule already there is not added twice)."""
    current = list(rules_for(dataset).rules)
    for rule in validate_rules(new_rules):
        if rule not in current:
            current.append(rule)
    return rules_set(user=user, dataset=dataset, rules=current)


# --- Running the gate ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    report: QualityReport | None = None
    retry_in: int | None = None  # seconds, when the IPFS node could not serve the file


def _claim(version_id: int) -> DatasetVersion | None:
    """Move a pinned version to checking; only one worker wins (conditional UPDATE). A version
    left in checking longer than a task may run (its worker died) can be claimed again."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    claimed = DatasetVersion.objects.filter(
        Q(status=VersionStatus.PINNED)
        | Q(status=VersionStatus.CHECKING, status_changed_at__lt=stale),
        pk=version_id,
    ).update(
        status=VersionStatus.CHECKING,
        status_reason="Running the quality checks.",
        status_changed_at=now,
    )
    if claimed != 1:
        return None
    return DatasetVersion.objects.select_related("dataset").get(pk=version_id)


def _fetch(version: DatasetVersion, folder: Path) -> Path:
    """The pinned bytes, verified against the CID as they stream, in a local file."""
    suffix = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}.get(version.format, "")
    path = folder / f"{version.cid}{suffix}"
    with path.open("wb") as out:
        for piece in iter_verified(version.cid):
            out.write(piece)
    return path


def version_check(*, version_id: int, requested_by_id: int | None = None) -> CheckOutcome:
    """Check one pinned version. Returns quietly when it is not (or no longer) pinned."""
    version = _claim(version_id)
    if version is None:
        return CheckOutcome()
    with tempfile.TemporaryDirectory(prefix="quality-") as tmp:
        try:
            path = _fetch(version, Path(tmp))
        except CidMismatch as exc:
            with transaction.atomic():
                version_set_status(
                    version, VersionStatus.FAILED, f"The node returned other bytes: {exc}"
                )
            return CheckOutcome()
        except IpfsError as exc:
            # Back to pinned so the next attempt can claim it again.
            version_set_status(
                version, VersionStatus.PINNED, f"Waiting for the IPFS node to check: {exc}"
            )
            log.warning("quality check of version %s postponed: %s", version_id, exc)
            return CheckOutcome(retry_in=30)
        report = gate_run(version=version, path=path, requested_by_id=requested_by_id)
    return CheckOutcome(report=report)


def gate_run(
    *, version: DatasetVersion, path: Path, requested_by_id: int | None = None
) -> QualityReport:
    """Read, validate, store and decide for a local copy of the version's bytes."""
    started = time.perf_counter()
    policy = policy_current()
    rules = rules_for(version.dataset)
    try:
        # In a child process with a hard memory limit: whatever the file does (a bomb, a
        # native crash in a parser) ends as a rejection with a reason, never takes this
        # process down, and never holds more than the limit (see quality.isolation).
        outcome = isolation.gate_isolated(
            path,
            version.format,
            policy_rules=policy.rules,
            dataset_rules=rules.rules,
            declared_schema=version.dataset.declared_schema,
            options=gate_options(),
            memory_bytes=settings.QUALITY_CHECK_MEMORY_BYTES,
            timeout=settings.QUALITY_CHECK_TIMEOUT_SECONDS,
        )
    except Exception as exc:
        # The child could not even be started (no memory for a fork, a full disk): refused
        # with a reason, never admitted.
        log.exception("quality gate failed on version %s", version.pk)
        text = strip_paths(f"{type(exc).__name__}: {str(exc)[:200]}")
        row = checks.builtin_row("builtin:run", "the checks run on the file", False, text)
        outcome = checks.GateOutcome(
            admitted=False,
            reason=f"Rejected: the checks could not run on this file ({text}).",
            rows=[row],
            suite=[],
            gx_result=None,
            counts=checks.counts_of([row]),
        )
    duration_ms = int((time.perf_counter() - started) * 1000)
    verdict = Verdict.ADMITTED if outcome.admitted else Verdict.REJECTED
    with transaction.atomic():
        report = QualityReport.objects.create(
            version=version,
            policy=policy,
            rules_revision=rules.revision,
            verdict=verdict,
            reason=outcome.reason,
            summary=outcome.rows,
            counts=outcome.counts,
            suite=outcome.suite,
            gx_result=outcome.gx_result,
            duration_ms=duration_ms,
            requested_by_id=requested_by_id,
        )
        if outcome.schema is not None:
            DatasetVersion.objects.filter(pk=version.pk).update(
                schema=outcome.schema, row_count=outcome.row_count
            )
            version.schema, version.row_count = outcome.schema, outcome.row_count
        reason = outcome.reason
        if outcome.admitted and outcome.counts.get("warnings"):
            reason = f"Admitted with {outcome.counts['warnings']} warning(s)."
        version_set_status(version, verdict, reason)
        record_append(
            kind="quality_verdict",
            subject=f"version:{version.pk}",
            payload={
                "version": version.pk,
                "cid": version.cid,
                "report": report.pk,
                "verdict": str(verdict),
                "policy_version": policy.number,
                "rules_revision": rules.revision,
                "counts": outcome.counts,
                "failed": [
                    r["id"] for r in outcome.rows if not r["success"] and r["severity"] == CRITICAL
                ],
            },
        )
        record_append(
            kind="admission",
            subject=f"version:{version.pk}",
            payload={
                "version": version.pk,
                "cid": version.cid,
                "status": str(verdict),
                "report": report.pk,
                "by": "quality_gate",
            },
        )
    return report


# Started by name (core.tasks), so this module never imports its own tasks.
CHECK_TASK = "quality.tasks.check_version"


def check_rerun(*, user: AbstractBaseUser, version: DatasetVersion) -> None:
    """Run the checks again (after the rules changed). Contributors and curators only."""
    if not (is_contributor_of(user, version.dataset_id) or is_curator(user)):
        raise Forbidden("Only the dataset's contributors or a curator can re-run checks.")
    with transaction.atomic():
        updated = DatasetVersion.objects.filter(pk=version.pk, status__in=RECHECKABLE).update(
            status=VersionStatus.PINNED,
            status_reason="Queued for a new quality check.",
            status_changed_at=timezone.now(),
        )
        if not updated:
            raise Forbidden(
                f"This version is {version.status}; it can be re-checked once its check is done."
            )
        version.status = VersionStatus.PINNED
        enqueue(CHECK_TASK, version.pk, user.pk)


def override_create(
    *, user: AbstractBaseUser, version: DatasetVersion, decision: str, reason: str
) -> QualityOverride:
    """A curator admits or rejects a version against its report, with a recorded reason."""
    if not is_curator(user):
        raise Forbidden("Only curators can override a quality decision.")
    if decision not in Verdict.values:
        raise RuleError([f"The decision must be admitted or rejected, not {decision!r}."])
    if not reason.strip():
        raise RuleError(["Give the reason for the override; it is shown on the report."])
    report = QualityReport.objects.filter(version=version).order_by("-pk").first()
    if report is None:
        raise RuleError(["This version has no quality report yet."])
    with transaction.atomic():
        override = QualityOverride.objects.create(
            report=report, decision=decision, reason=reason.strip(), curator_id=user.pk
        )
        version_set_status(
            version, decision, f"Curator override by {user.get_username()}: {reason.strip()}"
        )
        payload = {
            "version": version.pk,
            "report": report.pk,
            "decision": decision,
            "reason": override.reason,
            "curator": user.pk,
            "gate_verdict": report.verdict,
        }
        record_append(kind="quality_override", subject=f"version:{version.pk}", payload=payload)
        record_append(
            kind="admission",
            subject=f"version:{version.pk}",
            payload={
                "version": version.pk,
                "cid": version.cid,
                "status": decision,
                "report": report.pk,
                "by": f"curator:{user.pk}",
            },
        )
    return override


# --- Suggested rules -------------------------------------------------------------------------


def profile_for(*, user: AnyUser, version: DatasetVersion) -> dict[str, Any]:
    """The profile of a version's file (fetched and read once, then cached)."""
    if not can_see_unadmitted(user, version.dataset_id):
        raise Forbidden("Only the dataset's contributors or a curator can profile it.")
    cached = VersionProfile.objects.filter(version=version).first()
    if cached is not None:
        return cached.profile
    with tempfile.TemporaryDirectory(prefix="quality-profile-") as tmp:
        path = _fetch(version, Path(tmp))
        try:
            frame = checks.read_table(path, version.format)
        except checks.ParseFailure as exc:
            raise RuleError([str(exc)]) from exc
        prof = profiling.profile(frame)
    VersionProfile.objects.get_or_create(version=version, defaults={"profile": prof})
    return prof


def suggestions_for(*, user: AnyUser, version: DatasetVersion) -> list[dict[str, Any]]:
    return profiling.suggest(profile_for(user=user, version=version))


def suggestions_accept(
    *, user: AbstractBaseUser, version: DatasetVersion, rules: list[Any], rerun: bool = True
) -> DatasetRules:
    """Add the accepted (possibly edited) suggestions to the dataset's rules and re-check."""
    stored = rules_add(user=user, dataset=version.dataset, new_rules=rules)
    if rerun and version.status in RECHECKABLE:
        check_rerun(user=user, version=version)
    return stored
