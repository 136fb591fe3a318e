"""A provenance graph with several generations of derived versions, several models and runs,
made through the services (tests/factories.py).

Each fact is dated on its own day (``DAY[n]``) so ``as_of`` answers can be checked exactly:

- day 1: alice's dataset "Air" (version a1) and carol's "Water" (c1); a1 is offered for free.
- day 2: alice's "Blend" (a3) derived from a1 (0.3) and c1 (0.2).
- day 3: bob's model "m1" with run r1 that used a1 and a3.
- day 4: carol's "Refined" (c4) derived from a3 (0.5).
- day 5: alice's "Final" (a5) derived from c4 (0.4); bob's model "m2" with runs r2 (used c4)
  and r3 (used a5); carol's model "m3" with run r4 (used c1).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marketplace.models import DatasetVersion
from provenance.models import Model, TrainingRun
from tests import factories

DAY = {n: datetime(2026, 1, n, 12, 0, tzinfo=UTC) for n in range(1, 8)}


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
    a, b, c = alice, bob, carol
    a1 = factories.dataset(a, title="Air", rows=1200, at=DAY[1])
    c1 = factories.dataset(c, title="Water", rows=800, at=DAY[1])
    factories.free_offer(a1)
    a3 = factories.dataset(
        a, title="Blend", rows=500, parents=[(a1, "0.3"), (c1, "0.2")], at=DAY[2]
    )
    factories.grant(b, a3)
    m1 = factories.model(b, "m1", at=DAY[3])
    r1 = factories.run(b, m1, [a1, a3], at=DAY[3])
    c4 = factories.dataset(c, title="Refined", rows=None, parents=[(a3, "0.5")], at=DAY[4])
    a5 = factories.dataset(a, title="Final", rows=50, parents=[(c4, "0.4")], at=DAY[5])
    factories.grant(b, c4)
    factories.grant(b, a5)
    m2 = factories.model(b, "m2", at=DAY[5])
    r2 = factories.run(b, m2, [c4], at=DAY[5], weights={c4.pk: Decimal("2.5")})
    r3 = factories.run(b, m2, [a5], at=DAY[5])
    m3 = factories.model(c, "m3", at=DAY[5])
    r4 = factories.run(c, m3, [c1], at=DAY[5])
    return Graph(alice, bob, carol, a1, c1, a3, c4, a5, m1, m2, m3, r1, r2, r3, r4)
