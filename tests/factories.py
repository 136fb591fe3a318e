"""The one way tests make objects: through the services, so test data cannot drift from what
the code really writes.

- ``member``: a member with roles (the fixtures alice, bob, carol and mallory use it).
- ``dataset`` / ``version``: uploads through ``marketplace.services`` (staged exactly as an
  HTTP upload is, ``staged_from_path``, and pinned as it arrived), then moved along by the
  marketplace's status service (``admit`` stands in for the quality gate, tested in
  tests/quality); they queue no task, so committed tests may use them too. ``checked`` runs
  the real gate on a local copy instead; ``pipeline=True`` runs the real pipeline.
- ``offer``, ``fund``, ``purchase`` and ``grant``: licensing and ledger services.
- ``model`` and ``run``: provenance services.

A fact that ``as_of`` answers date is created now and then dated by one UPDATE of its
``created_at`` (``at=``), the only thing no service can do.

The tests use the module itself as the ``make`` fixture: ``make.dataset(alice)``.
"""

import itertools
import tempfile
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.test import override_settings

from accounts.models import Member
from accounts.services import member_create
from ipfs import client as ipfs
from ledger.services import credits_top_up
from licensing.models import AccessGrant, LicenseOffer, Purchase
from licensing.services import offer_create, purchase_create, request_fingerprint
from marketplace import services as marketplace
from marketplace.models import (
    FORMAT_EXTENSIONS,
    Dataset,
    DatasetVersion,
    VersionDerivation,
    VersionStatus,
)
from marketplace.uploads import StagedUpload, staged_from_path
from provenance import services as provenance
from provenance.models import Model, TrainingRun, TrainingRunInput
from quality import services as quality

PASSWORD = "a-long-test-password-42"
CSV = b"city,year,pm25\nLisbon,2024,11.2\nPorto,2024,9.8\nFaro,2024,7.1\n"
SCHEMA = [
    {"name": "city", "type": "string"},
    {"name": "year", "type": "int64"},
    {"name": "pm25", "type": "float64"},
]

_unique = itertools.count(1)
Who = Member | User
Parents = Iterable[tuple[DatasetVersion, Decimal | str]]


def user_of(who: Who) -> User:
    return who.user if isinstance(who, Member) else who


# --- Members -------------------------------------------------------------------------------


def member(
    username: str, *, contributor: bool = True, buyer: bool = True, curator: bool = False
) -> Member:
    return member_create(
        username=username,
        password=PASSWORD,
        is_contributor=contributor,
        is_buyer=buyer,
        is_curator=curator,
    )


def curator() -> Member:
    """A curator to act where a test needs one (the first there is, or a new treasurer)."""
    return Member.objects.filter(is_curator=True).first() or member(
        f"treasurer{next(_unique)}", contributor=False, buyer=False, curator=True
    )


# --- Datasets and versions -----------------------------------------------------------------


def unique_csv() -> bytes:
    """CSV bytes no other version has (a version's CID is its identity)."""
    return CSV + b"Braga,%d,8.0\n" % next(_unique)


def staged(content: bytes, name: str, *, preadd: bool = False) -> StagedUpload:
    """The upload of ``content`` as the streaming handler would have received it; with
    ``preadd``, as the node took it while it arrived (the default of HTTP uploads)."""
    with tempfile.TemporaryDirectory(prefix="factory-") as folder:
        path = Path(folder, name)
        path.write_bytes(content)
        upload = staged_from_path(path, name=name)
        if preadd:
            upload.preadded = ipfs.add_file(path, pin=True).cid == upload.cid
            assert upload.preadded, "the node computed another CID"
        return upload


def _uploaded(
    create: Callable[[StagedUpload], DatasetVersion],
    content: bytes,
    name: str,
    *,
    pinned: bool,
    pipeline: bool,
) -> DatasetVersion:
    """Run an upload service on ``content``.

    - ``pipeline``: staged for the pin task, which then starts the gate: the real pipeline,
      for tests that run it (its tasks run on commit).
    - otherwise the test decides the version's fate and no task is queued, whether the test
      commits or not (a committed test would hand them to the session's worker, which would
      move the version on under the test): ``pinned`` uploads as the node took it while it
      arrived, with the after-pin stage off; ``pinned=False`` leaves it staged for a pin task
      that only a ``db`` test (whose commit hooks never run) may leave queued.
    """
    if pipeline:
        return create(staged(content, name))
    upload = staged(content, name, preadd=pinned)
    with override_settings(COOP_AFTER_PIN_TASK=""):
        version = create(upload)
    # A version owns the bytes now: closing the upload must not release what it pinned (the
    # service says so on commit, which a `db` test never reaches).
    upload.kept = True
    upload.close()
    return version


def _file_name(fmt: str) -> str:
    return "data" + FORMAT_EXTENSIONS[fmt][0]


def _parent_specs(parents: Parents) -> list[marketplace.ParentSpec]:
    return [marketplace.ParentSpec(v, Decimal(str(w))) for v, w in parents]


def admit(version: DatasetVersion, *, rows: int | None = 3, schema: Any = SCHEMA) -> DatasetVersion:
    """Stand in for the quality gate (tested in tests/quality): admitted, with what the gate
    would have read from the file."""
    marketplace.version_set_status(version, VersionStatus.ADMITTED)
    DatasetVersion.objects.filter(pk=version.pk).update(row_count=rows, schema=schema)
    version.refresh_from_db()
    return version


def _finish(
    version: DatasetVersion,
    *,
    status: str | None,
    rows: int | None,
    at: datetime | None,
) -> DatasetVersion:
    if at is not None:
        DatasetVersion.objects.filter(pk=version.pk).update(created_at=at)
        VersionDerivation.objects.filter(child=version).update(created_at=at)
    if status == VersionStatus.ADMITTED:
        return admit(version, rows=rows)
    if status is not None:
        marketplace.version_set_status(version, status)
    version.refresh_from_db()
    return version


def dataset(
    owner: Who,
    *,
    title: str = "Air quality",
    description: str = "Hourly PM2.5 by city",
    license: str = "CC-BY-4.0",
    content: bytes | None = None,
    fmt: str = "csv",
    name: str | None = None,
    parents: Parents = (),
    status: str | None = VersionStatus.ADMITTED,
    rows: int | None = 3,
    pinned: bool = True,
    pipeline: bool = False,
    at: datetime | None = None,
) -> DatasetVersion:
    """A new dataset of ``owner`` with one version (unique bytes unless ``content`` is given,
    in a file called ``name``), pinned as it arrived unless ``pinned`` is off, and admitted
    unless ``status`` says otherwise (``None``: as the upload left it). ``pipeline`` runs the
    real pipeline instead (see ``_uploaded``)."""

    def create(upload: StagedUpload) -> DatasetVersion:
        return marketplace.dataset_create(
            user=user_of(owner),
            title=title,
            description=description,
            license=license,
            fmt=fmt,
            upload=upload,
            parents=_parent_specs(parents),
        )

    data = content if content is not None else unique_csv()
    new = _uploaded(create, data, name or _file_name(fmt), pinned=pinned, pipeline=pipeline)
    if pipeline:
        return new
    if at is not None:
        Dataset.objects.filter(pk=new.dataset_id).update(created_at=at)
    return _finish(new, status=status, rows=rows, at=at)


def version(
    owner: Who,
    dataset: Dataset,
    *,
    content: bytes | None = None,
    fmt: str = "csv",
    name: str | None = None,
    parents: Parents = (),
    status: str | None = VersionStatus.ADMITTED,
    rows: int | None = 3,
    pinned: bool = True,
    pipeline: bool = False,
    at: datetime | None = None,
) -> DatasetVersion:
    """The next version of ``dataset``, uploaded by one of its contributors (as ``dataset``)."""

    def create(upload: StagedUpload) -> DatasetVersion:
        return marketplace.version_create(
            user=user_of(owner),
            dataset=dataset,
            fmt=fmt,
            upload=upload,
            parents=_parent_specs(parents),
        )

    data = content if content is not None else unique_csv()
    new = _uploaded(create, data, name or _file_name(fmt), pinned=pinned, pipeline=pipeline)
    if pipeline:
        return new
    return _finish(new, status=status, rows=rows, at=at)


def checked(
    owner: Who,
    content: bytes | str = CSV,
    *,
    fmt: str = "csv",
    rules: list[Any] | None = None,
) -> DatasetVersion:
    """A version of a new dataset decided by the real quality gate, run on a local copy of its
    bytes (no IPFS fetch: for page and API tests in an ordinary transaction)."""
    data = content.encode() if isinstance(content, str) else content
    new = dataset(
        owner,
        title="Air",
        description="",
        license="CC0-1.0",
        content=data,
        fmt=fmt,
        status=VersionStatus.CHECKING,
    )
    if rules:
        quality.rules_set(user=user_of(owner), dataset=new.dataset, rules=rules)
    with tempfile.TemporaryDirectory(prefix="checked-") as folder:
        path = Path(folder, _file_name(fmt))
        path.write_bytes(data)
        quality.gate_run(version=new, path=path)
    new.refresh_from_db()
    return new


# --- Selling access ------------------------------------------------------------------------


def offer(owner: Who, dataset: Dataset, **terms: Any) -> LicenseOffer:
    values: dict[str, Any] = {
        "license": "CC-BY-4.0",
        "use": "research",
        "price": 1250,
        "duration_days": 30,
    }
    values.update(terms)
    return offer_create(user=user_of(owner), dataset=dataset, **values)


def free_offer(version: DatasetVersion) -> LicenseOffer:
    """A perpetual price-0 offer on the version's dataset, made by its uploader."""
    return offer(version.uploaded_by, version.dataset, price=0, duration_days=None)


def fund(who: Who, amount: int, currency: str = "EUR") -> int:
    """Top up a member's credit through the curators' service; returns the new balance."""
    return credits_top_up(
        curator=curator().user, member=user_of(who), amount=amount, currency=currency
    ).balance


def purchase(buyer: Who, offer: LicenseOffer, *, key: str | None = None) -> Purchase:
    outcome = purchase_create(
        buyer=user_of(buyer),
        offer=offer,
        idempotency_key=key or str(uuid.uuid4()),
        fingerprint=request_fingerprint({"offer": offer.pk}),
    )
    return outcome.purchase


def grant(
    buyer: Who,
    version: DatasetVersion,
    *,
    price: int = 1000,
    expires_at: datetime | None = None,
) -> AccessGrant:
    """A paid grant covering exactly ``version``: an offer on it, the buyer's credit and the
    purchase, as a buyer would go through them. ``expires_at`` dates its end (in the past for
    an expired grant)."""
    terms = offer(
        version.uploaded_by,
        version.dataset,
        price=price,
        duration_days=None,
        version_ids=[version.pk],
    )
    if price:
        fund(buyer, price, terms.currency)
    access = purchase(buyer, terms).grant
    if expires_at is not None:
        AccessGrant.objects.filter(pk=access.pk).update(expires_at=expires_at)
        access.refresh_from_db()
    return access


# --- Models and runs -----------------------------------------------------------------------


def model(owner: Who, name: str, *, at: datetime | None = None, **fields: Any) -> Model:
    new = provenance.model_create(owner=user_of(owner), name=name, **fields)
    if at is not None:
        Model.objects.filter(pk=new.pk).update(created_at=at)
        new.refresh_from_db()
    return new


def run(
    owner: Who,
    model: Model,
    used: Sequence[DatasetVersion],
    *,
    at: datetime,
    weights: dict[int, Decimal] | None = None,
) -> TrainingRun:
    """A two-hour run that ended ``at`` and used ``used`` (``weights`` by version id)."""
    new = provenance.training_run_record(
        user=user_of(owner),
        model=model,
        started_at=at - timedelta(hours=2),
        ended_at=at,
        used=[provenance.RunInputSpec(v, weight=(weights or {}).get(v.pk)) for v in used],
    )
    TrainingRun.objects.filter(pk=new.pk).update(created_at=at)
    TrainingRunInput.objects.filter(run=new).update(created_at=at)
    new.refresh_from_db()
    return new
