"""Writes for datasets and versions: accepting uploads, staging them, and pinning on IPFS.

The flow here is upload → pin. An upload the node pinned while it arrived is recorded pinned
in its own transaction; any other is staged and pinned by the pin task. What comes after
pinning (the quality gate) is started through the task named in
``settings.COOP_AFTER_PIN_TASK``, so this module never imports the later stages.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from core.errors import Forbidden, Invalid
from core.tasks import enqueue
from ipfs import client as ipfs
from marketplace.models import (
    FORMAT_EXTENSIONS,
    Dataset,
    DatasetContributor,
    DatasetVersion,
    Format,
    License,
    Pin,
    PinStatus,
    VersionDerivation,
    VersionStatus,
)
from marketplace.uploads import StagedUpload, too_large_message
from transparency.services import record_append

log = logging.getLogger(__name__)


class UploadRejected(Invalid):
    """An upload that cannot be accepted, with a message for the person who sent it."""

    default_field: ClassVar[str | None] = "file"


class DuplicateUpload(UploadRejected):
    """These exact bytes are already a version: a 409 that names it (``existing_version``)."""

    status = HTTPStatus.CONFLICT
    default_field = None

    def __init__(self, message: str, *, existing: DatasetVersion) -> None:
        super().__init__(message, extra={"existing_version": existing.pk})
        self.existing = existing


@dataclass(frozen=True)
class ParentSpec:
    version: DatasetVersion
    weight: Decimal


def _check_upload(upload: StagedUpload | None, fmt: str) -> StagedUpload:
    if upload is None:
        raise UploadRejected("Choose a file to upload.")
    if not isinstance(upload, StagedUpload):
        # Only our streaming handler knows the CID of what it received.
        raise UploadRejected("The upload was not received by the staging handler.")
    if not upload.size:
        raise UploadRejected("The file is empty.")
    if upload.size > settings.COOP_UPLOAD_MAX_BYTES:  # a direct call, not through the handler
        raise UploadRejected(too_large_message())
    if fmt not in FORMAT_EXTENSIONS:
        raise UploadRejected(f"Unknown format {fmt!r}.", field="format")
    name = (upload.name or "").lower()
    if not name.endswith(FORMAT_EXTENSIONS[fmt]):
        allowed = ", ".join(FORMAT_EXTENSIONS[fmt])
        raise UploadRejected(
            f"A {Format(fmt).label} file must end with {allowed}; got {upload.name!r}."
        )
    existing = DatasetVersion.objects.select_related("dataset").filter(cid=upload.cid).first()
    if existing is not None:
        raise DuplicateUpload(
            f"These exact bytes are already in the cooperative as {existing} (CID {existing.cid}).",
            existing=existing,
        )
    return upload


# --- Derivations: the royalty-weight rules, owned here for uploads and later declarations ---

# VersionDerivation.weight keeps 6 decimal places; a weight is checked as it will be stored.
WEIGHT_QUANTUM = Decimal("0.000001")


class DerivationRejected(Invalid):
    """Parents (``wasDerivedFrom`` links with royalty weights) that cannot be declared."""

    default_field = "parents"


def derivations_check(
    *,
    parents: Sequence[ParentSpec],
    child: DatasetVersion | None = None,
    existing: Mapping[int, Decimal] | None = None,
    field: str = "parents",
) -> list[ParentSpec]:
    """The rules every royalty-weighted parent link obeys, for a new version's parents
    (``child`` None) and for parents declared later (``existing``: the links the child already
    has, parent id to weight): each parent once, never the child itself, admitted to the
    catalogue; each weight above 0 and at most 1 as stored (6 decimal places); a declared
    weight never changes; the child's weights add up to at most 1. Returns the parents with
    their weights as stored; raises ``DerivationRejected`` about ``field``."""
    existing = existing or {}
    seen: set[int] = set()
    specs: list[ParentSpec] = []
    for spec in parents:
        parent = spec.version
        if parent.pk in seen:
            raise DerivationRejected(f"Parent version {parent.pk} is listed twice.", field=field)
        seen.add(parent.pk)
        if child is not None and parent.pk == child.pk:
            raise DerivationRejected(
                f"Version {child.pk} cannot be derived from itself.", field=field
            )
        weight = spec.weight.quantize(WEIGHT_QUANTUM)
        if not (Decimal(0) < spec.weight <= 1 and weight > 0):
            raise DerivationRejected(
                f"The royalty weight for parent version {parent.pk} must be above 0 and at most 1.",
                field=field,
            )
        if parent.status != VersionStatus.ADMITTED:
            raise DerivationRejected(
                f"Parent version {parent.pk} is not admitted to the catalogue.", field=field
            )
        declared = existing.get(parent.pk)
        if declared is not None and declared != weight and child is not None:
            raise DerivationRejected(
                f"Version {child.pk} already derives from version {parent.pk} with weight "
                f"{declared.normalize():f}; a declared weight cannot change.",
                field=field,
            )
        specs.append(ParentSpec(parent, weight))
    new = sum((s.weight for s in specs if s.version.pk not in existing), Decimal(0))
    total = sum(existing.values(), Decimal(0)) + new
    if total > 1:
        whose = (
            "the parents add up" if child is None else f"version {child.pk}'s parents would add up"
        )
        raise DerivationRejected(
            f"The royalty weights of {whose} to {total.normalize():f}, above 1.", field=field
        )
    return specs


def _derivations_create(
    child: DatasetVersion, parents: Sequence[ParentSpec]
) -> list[VersionDerivation]:
    """The links, each recorded in the provenance chain (in the caller's transaction)."""
    links = [
        VersionDerivation.objects.create(child=child, parent=spec.version, weight=spec.weight)
        for spec in parents
    ]
    for link in links:
        record_append(
            kind="derivation",
            subject=f"version:{child.pk}",
            payload={"child": child.pk, "parent": link.parent_id, "weight": str(link.weight)},
        )
    return links


def derivations_add(
    *, child: DatasetVersion, parents: Sequence[ParentSpec], field: str = "parents"
) -> list[VersionDerivation]:
    """Declare that an existing version wasDerivedFrom ``parents``: the rules of
    ``derivations_check`` with the links it already has. Returns the new links; links already
    declared with the same weight are left as they are. Who may declare them, and whether
    they close a cycle, is the caller's to check first (provenance holds the chain lock)."""
    with transaction.atomic():
        existing = {
            link.parent_id: link.weight for link in VersionDerivation.objects.filter(child=child)
        }
        specs = derivations_check(child=child, parents=parents, existing=existing, field=field)
        return _derivations_create(child, [s for s in specs if s.version.pk not in existing])


def _stage(upload: StagedUpload) -> Path:
    staging = Path(settings.COOP_STAGING_DIR)
    staging.mkdir(parents=True, exist_ok=True)
    target = staging / upload.cid
    # The temporary file already lives under the staging directory: this is a rename.
    Path(upload.temporary_file_path()).replace(target)
    upload.kept = True  # a version owns the bytes (and any pin made while they arrived)
    # Closing now lets Django swallow the temp file's failed unlink (it was moved), instead of
    # the garbage collector reporting it later.
    upload.close()
    return target


def _create_version(
    *,
    user: User,
    dataset: Dataset,
    fmt: str,
    license: str,
    upload: StagedUpload,
    parents: Sequence[ParentSpec],
) -> DatasetVersion:
    number = (dataset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    # The node's add (with pin) streamed these bytes while they arrived and answered with the
    # CID we computed ourselves: the node has pinned them, so the version is recorded pinned in
    # this transaction. Waiting for a task to confirm what the request already knows would only
    # add a queue hop to every upload. Otherwise the bytes are staged for the pin task.
    pinned = upload.preadded
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=number,
        cid=upload.cid,
        sha256=upload.sha256,
        size=upload.size or 0,
        format=fmt,
        license=license,
        original_filename=Path(upload.name or "upload").name[:255],
        uploaded_by=user,
        status=VersionStatus.PINNED if pinned else VersionStatus.UPLOADED,
    )
    if pinned:
        Pin.objects.create(
            version=version,
            cid=version.cid,
            status=PinStatus.PINNED,
            attempts=1,
            preadded=True,
            pinned_at=timezone.now(),
        )
        # Only once a version owns the pin may closing the upload stop releasing it; on a
        # rollback the upload still releases it (unless another version holds the bytes).
        transaction.on_commit(lambda: setattr(upload, "kept", True))
    else:
        staged = _stage(upload)
        Pin.objects.create(version=version, cid=version.cid, staged_path=str(staged))
    record_append(
        kind="upload",
        subject=f"version:{version.pk}",
        payload={
            "dataset": dataset.pk,
            "version": version.pk,
            "number": number,
            "cid": version.cid,
            "sha256": version.sha256,
            "size": version.size,
            "format": fmt,
            "license": license,
            "uploaded_by": user.pk,
            "parents": [
                {"version": spec.version.pk, "cid": spec.version.cid, "weight": str(spec.weight)}
                for spec in parents
            ],
        },
    )
    _derivations_create(version, parents)
    if pinned:
        _record_pinned(version)
    return version


def _record_pinned(version: DatasetVersion) -> None:
    record_append(
        kind="pin",
        subject=f"version:{version.pk}",
        payload={"version": version.pk, "cid": version.cid, "size": version.size},
    )


# Tasks are started by name (core.tasks), so this module never imports its own tasks.
PIN_TASK = "marketplace.tasks.pin_version"


def after_pin_enqueue(version_id: int) -> None:
    """On commit, start what follows a confirmed pin (the quality gate), named by the setting
    so this app never imports the later stages."""
    if settings.COOP_AFTER_PIN_TASK:
        enqueue(settings.COOP_AFTER_PIN_TASK, version_id)


def _enqueue_next_stage(version: DatasetVersion) -> None:
    """On commit, queue the pin task, or for a version pinned on arrival what follows it."""
    if version.status == VersionStatus.PINNED:
        after_pin_enqueue(version.pk)
    else:
        enqueue(PIN_TASK, version.pk)


def _guarded_create(**kwargs: object) -> DatasetVersion:
    """Create inside a transaction; unstage the file if anything after the move fails."""
    upload = kwargs["upload"]
    assert isinstance(upload, StagedUpload)  # noqa: S101
    try:
        with transaction.atomic():
            version = _create_version(**kwargs)  # type: ignore[arg-type]
            _enqueue_next_stage(version)
            return version
    except IntegrityError as exc:
        # Two uploads of the same bytes raced past the duplicate check.
        Path(settings.COOP_STAGING_DIR, upload.cid).unlink(missing_ok=True)
        existing = DatasetVersion.objects.filter(cid=upload.cid).first()
        if existing is not None:
            raise DuplicateUpload(
                f"These exact bytes are already in the cooperative as {existing}.",
                existing=existing,
            ) from exc
        raise


def dataset_create(
    *,
    user: User,
    title: str,
    description: str,
    license: str,
    fmt: str,
    upload: StagedUpload | None,
    parents: Sequence[ParentSpec] = (),
) -> DatasetVersion:
    """A new dataset owned by ``user``, with its first version. Returns the version."""
    if license not in License.values:
        raise UploadRejected(f"Unknown licence {license!r}.", field="license")
    if not title.strip():
        raise UploadRejected("Give the dataset a title.", field="title")
    staged = _check_upload(upload, fmt)
    parents = derivations_check(parents=parents)
    with transaction.atomic():
        dataset = Dataset.objects.create(
            title=title.strip(), description=description, license=license, created_by=user
        )
        DatasetContributor.objects.create(dataset=dataset, user=user, share_weight=1)
        return _guarded_create(
            user=user, dataset=dataset, fmt=fmt, license=license, upload=staged, parents=parents
        )


def version_create(
    *,
    user: User,
    dataset: Dataset,
    fmt: str,
    upload: StagedUpload | None,
    license: str | None = None,
    parents: Sequence[ParentSpec] = (),
) -> DatasetVersion:
    """A new version of an existing dataset; only its contributors may add one."""
    if not DatasetContributor.objects.filter(dataset=dataset, user=user).exists():
        raise Forbidden("Only the dataset's contributors can add versions.")
    license = license or dataset.license
    if license not in License.values:
        raise UploadRejected(f"Unknown licence {license!r}.", field="license")
    staged = _check_upload(upload, fmt)
    parents = derivations_check(parents=parents)
    return _guarded_create(
        user=user, dataset=dataset, fmt=fmt, license=license, upload=staged, parents=parents
    )


def version_set_status(version: DatasetVersion, status: str, reason: str = "") -> None:
    DatasetVersion.objects.filter(pk=version.pk).update(
        status=status, status_reason=reason, status_changed_at=timezone.now()
    )
    version.status, version.status_reason = status, reason


# --- Pinning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PinOutcome:
    pinned: bool = False
    retry_in: int | None = None  # seconds until the next attempt, when one is due


def _backoff(attempts: int) -> int:
    base: int = settings.PIN_RETRY_BASE_SECONDS
    cap: int = settings.PIN_RETRY_MAX_SECONDS
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


def _claim_pin(version_id: int) -> Pin | None:
    """Move a queued pin to pinning; only one worker wins (conditional UPDATE, count is 1)."""
    now = timezone.now()
    claimed = Pin.objects.filter(version_id=version_id, status=PinStatus.QUEUED).update(
        status=PinStatus.PINNING, attempts=F("attempts") + 1, updated_at=now
    )
    if claimed != 1:
        return None
    DatasetVersion.objects.filter(pk=version_id).update(
        status=VersionStatus.PINNING, status_reason="", status_changed_at=now
    )
    return Pin.objects.select_related("version").get(version_id=version_id)


def _fail_pin(pin: Pin, reason: str) -> None:
    with transaction.atomic():
        Pin.objects.filter(pk=pin.pk).update(status=PinStatus.FAILED, last_error=reason)
        version_set_status(pin.version, VersionStatus.FAILED, reason)
        record_append(
            kind="pin_failed",
            subject=f"version:{pin.version_id}",
            payload={"version": pin.version_id, "cid": pin.cid, "reason": reason},
        )


def version_pin(*, version_id: int) -> PinOutcome:
    """Add the staged file to the IPFS node, pin it, and confirm the CID matches ours."""
    pin = _claim_pin(version_id)
    if pin is None:
        return PinOutcome()  # already pinned, failed, or another worker holds it
    staged = Path(pin.staged_path)
    if not staged.is_file():
        _fail_pin(pin, "The staged upload is missing from the server; upload the file again.")
        return PinOutcome()
    try:
        # Only staged uploads reach the task (one the node pinned as it arrived is recorded
        # pinned by the upload), so the file is always added here; the node stores no block
        # twice if some arrived earlier.
        added_cid = ipfs.add_file(staged, pin=True).cid
        confirmed = ipfs.is_pinned(added_cid)
    except ipfs.IpfsError as exc:
        return _reschedule(pin, f"IPFS node unavailable: {exc}")
    if added_cid != pin.cid:
        _fail_pin(
            pin,
            f"CID mismatch: the node computed {added_cid} but the upload was received as "
            f"{pin.cid}. The staged file is kept for inspection.",
        )
        return PinOutcome()
    if not confirmed:
        return _reschedule(pin, "The node accepted the file but does not list it as pinned.")
    now = timezone.now()
    with transaction.atomic():
        Pin.objects.filter(pk=pin.pk).update(
            status=PinStatus.PINNED,
            pinned_at=now,
            last_error="",
            next_attempt_at=None,
            staged_path="",
        )
        version_set_status(pin.version, VersionStatus.PINNED)
        _record_pinned(pin.version)
    # Only now, with the pin confirmed and recorded, is the staged copy redundant.
    staged.unlink(missing_ok=True)
    after_pin_enqueue(version_id)
    return PinOutcome(pinned=True)


def _reschedule(pin: Pin, reason: str) -> PinOutcome:
    attempts = pin.attempts
    if attempts >= settings.PIN_MAX_ATTEMPTS:
        _fail_pin(pin, f"Gave up after {attempts} attempts. Last error: {reason}")
        return PinOutcome()
    delay = _backoff(attempts)
    Pin.objects.filter(pk=pin.pk).update(
        status=PinStatus.QUEUED,
        last_error=reason,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    version_set_status(
        pin.version,
        VersionStatus.PINNING,
        f"Waiting to retry (attempt {attempts} of {settings.PIN_MAX_ATTEMPTS}): {reason}",
    )
    log.warning("pin of version %s rescheduled in %ss: %s", pin.version_id, delay, reason)
    return PinOutcome(retry_in=delay)


def pins_due(*, now: datetime | None = None) -> list[int]:
    """Versions whose pin should be attempted now; pins stuck in `pinning` longer than a task
    may run (a worker died mid-task) are put back in the queue first."""
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    Pin.objects.filter(status=PinStatus.PINNING, updated_at__lt=stuck_before).update(
        status=PinStatus.QUEUED, next_attempt_at=now
    )
    return list(
        Pin.objects.filter(status=PinStatus.QUEUED, next_attempt_at__lte=now).values_list(
            "version_id", flat=True
        )
    )


def pin_requeue(*, user: User, version: DatasetVersion) -> None:
    """Let a contributor retry a pin now, after the node is back or the retries gave up."""
    if not DatasetContributor.objects.filter(dataset=version.dataset, user=user).exists():
        raise Forbidden("Only the dataset's contributors can retry pinning.")
    with transaction.atomic():
        updated = (
            Pin.objects.filter(version=version, status__in=[PinStatus.QUEUED, PinStatus.FAILED])
            .exclude(staged_path="")
            .update(status=PinStatus.QUEUED, attempts=0, next_attempt_at=timezone.now())
        )
        if updated:
            version_set_status(version, VersionStatus.UPLOADED, "Queued for pinning again.")
            _enqueue_next_stage(version)
