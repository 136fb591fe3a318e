"""A provenance graph with several generations of derived versions, several models and runs.

Each fact is dated on its own day (``DAY[n]``) so ``as_of`` answers can be checked exactly:

- day 1: alice's dataset "Air" (version a1) and carol's "Water" (c1); a1 is offered for free.
- day 2: alice's "Blend" (a3) derived from a1 (0.3) and c1 (0.2).
- day 3: bob's model "m1" with run r1 that used a1 and a3.
- day 4: carol's "Refined" (c4) derived from a3 (0.5).
- day 5: alice's "Final" (a5) derived from c4 (0.4); bob's model "m2" with runs r2 (used c4)
  and r3 (used a5); carol's model "m3" with run r4 (used c1).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ipfs.cid import cid_of_bytes
from licensing.models import AccessGrant, LicenseOffer, Purchase
from marketplace.models import (
    Dataset,
    DatasetContributor,
    DatasetVersion,
    VersionDerivation,
    VersionStatus,
)
from provenance import services
from provenance.models import Model, TrainingRun, TrainingRunInput

DAY = {n: datetime(2026, 1, n, 12, 0, tzinfo=UTC) for n in range(1, 8)}


def make_version(
    owner,
    title: str,
    *,
    status: str = VersionStatus.ADMITTED,
    rows: int | None = 100,
    parents=(),
    day: int = 1,
    dataset: Dataset | None = None,
) -> DatasetVersion:
    """A version row as the pipeline leaves it (these tests are about the graph, not upload)."""
    if dataset is None:
        dataset = Dataset.objects.create(title=title, license="CC-BY-4.0", created_by=owner)
        DatasetContributor.objects.create(dataset=dataset, user=owner, share_weight=1)
        Dataset.objects.filter(pk=dataset.pk).update(created_at=DAY[day])
    number = dataset.versions.count() + 1
    content = f"{title} {number}".encode()
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=number,
        cid=cid_of_bytes(content),
        sha256="0" * 64,
        size=len(content),
        format="csv",
        license="CC-BY-4.0",
        original_filename=f"{title}.csv",
        uploaded_by=owner,
        status=status,
        row_count=rows,
    )
    DatasetVersion.objects.filter(pk=version.pk).update(created_at=DAY[day])
    for parent, weight in parents:
        link = VersionDerivation.objects.create(child=version, parent=parent, weight=weight)
        VersionDerivation.objects.filter(pk=link.pk).update(created_at=DAY[day])
    version.refresh_from_db()
    return version


def grant(buyer, version: DatasetVersion, *, expires_at: datetime | None = None) -> AccessGrant:
    """A paid grant for one version, as a purchase leaves it."""
    offer = LicenseOffer.objects.create(
        dataset=version.dataset,
        license="CC-BY-4.0",
        use="research",
        price=1000,
        created_by=version.uploaded_by,
    )
    purchase = Purchase.objects.create(
        buyer=buyer,
        offer=offer,
        idempotency_key=f"k-{version.pk}-{buyer.pk}-{timezone.now().timestamp()}",
        request_fingerprint="0" * 64,
        price=1000,
        currency="EUR",
        payment_provider="credits",
    )
    access = AccessGrant.objects.create(
        purchase=purchase,
        buyer=buyer,
        dataset=version.dataset,
        license="CC-BY-4.0",
        use="research",
        expires_at=expires_at,
    )
    access.versions.add(version)
    return access


def free_offer(version: DatasetVersion) -> LicenseOffer:
    return LicenseOffer.objects.create(
        dataset=version.dataset,
        license="CC-BY-4.0",
        use="research",
        price=0,
        created_by=version.uploaded_by,
    )


def make_model(owner, name: str, day: int) -> Model:
    model = services.model_create(owner=owner, name=name)
    Model.objects.filter(pk=model.pk).update(created_at=DAY[day])
    return model


def make_run(owner, model: Model, used, day: int, weights=None) -> TrainingRun:
    run = services.training_run_record(
        user=owner,
        model=model,
        started_at=DAY[day] - timedelta(hours=2),
        ended_at=DAY[day],
        used=[services.RunInputSpec(v, weight=(weights or {}).get(v.pk)) for v in used],
    )
    TrainingRun.objects.filter(pk=run.pk).update(created_at=DAY[day])
    TrainingRunInput.objects.filter(run=run).update(created_at=DAY[day])
    return run


@dataclass
class Graph:
    alice: object
    bob: object
    carol: object
    a1: DatasetVersion
    c1: DatasetVersion
    a3: DatasetVersion
    c4: DatasetVersion
    a5: DatasetVersion
    m1: Model
    m2: Model
    m3: Model
    r1: TrainingRun
    r2: TrainingRun
    r3: TrainingRun
    r4: TrainingRun

    def key(self, name: str) -> str:
        """``g.key("a3")`` → "version:7"; members by name, datasets as "D(a3)"."""
        if name in ("alice", "bob", "carol"):
            return f"member:{getattr(self, name).user.pk}"
        if name.startswith("D(") and name.endswith(")"):
            return f"dataset:{getattr(self, name[2:-1]).dataset_id}"
        obj = getattr(self, name)
        kind = {DatasetVersion: "version", Model: "model", TrainingRun: "run"}[type(obj)]
        return f"{kind}:{obj.pk}"

    def edge(self, source: str, target: str, kind: str, weight: str | None = None) -> tuple:
        return (self.key(source), self.key(target), kind, weight)


@pytest.fixture
def graph(alice, bob, carol) -> Graph:
    a, b, c = alice.user, bob.user, carol.user
    a1 = make_version(a, "Air", rows=1200, day=1)
    c1 = make_version(c, "Water", rows=800, day=1)
    free_offer(a1)
    a3 = make_version(
        a, "Blend", rows=500, parents=[(a1, Decimal("0.3")), (c1, Decimal("0.2"))], day=2
    )
    grant(b, a3)
    m1 = make_model(b, "m1", day=3)
    r1 = make_run(b, m1, [a1, a3], day=3)
    c4 = make_version(c, "Refined", rows=None, parents=[(a3, Decimal("0.5"))], day=4)
    a5 = make_version(a, "Final", rows=50, parents=[(c4, Decimal("0.4"))], day=5)
    grant(b, c4)
    grant(b, a5)
    m2 = make_model(b, "m2", day=5)
    r2 = make_run(b, m2, [c4], day=5, weights={c4.pk: Decimal("2.5")})
    r3 = make_run(b, m2, [a5], day=5)
    m3 = make_model(c, "m3", day=5)
    r4 = make_run(c, m3, [c1], day=5)
    return Graph(alice, bob, carol, a1, c1, a3, c4, a5, m1, m2, m3, r1, r2, r3, r4)
