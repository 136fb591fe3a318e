"""The graph's one edge definition, read unfiltered and through the public visibility, and the
three readers besides the lineage API that use it: the cycle check, the revenue split's
upstream slice and the PROV export."""

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from prov.model import ProvDerivation, ProvDocument, ProvEntity, ProvUsage

from marketplace.models import DatasetContributor, VersionDerivation
from marketplace.services import ParentSpec, version_set_status
from provenance import selectors, services
from provenance.lineage import PUBLIC, Edge, Node, UpstreamSlice
from tests.provenance.conftest import DAY
from tests.provenance.graph.conftest import make_version
from transparency.models import ProvenanceRecord


def facts(edges: list[Edge]) -> set[tuple]:
    return {(e.kind, e.src.key, e.dst.key, e.weight, e.created_at) for e in edges}


def every_edge(g) -> set[tuple]:
    """The test graph's 31 edges, each with its weight and creation time."""
    one = Decimal(1)

    def k(name: str) -> str:
        return g.key(name)

    return {
        ("contributed", k("alice"), k("D(a1)"), one, DAY[1]),
        ("contributed", k("carol"), k("D(c1)"), one, DAY[1]),
        ("contributed", k("alice"), k("D(a3)"), one, DAY[2]),
        ("contributed", k("carol"), k("D(c4)"), one, DAY[4]),
        ("contributed", k("alice"), k("D(a5)"), one, DAY[5]),
        ("uploaded", k("alice"), k("a1"), None, DAY[1]),
        ("uploaded", k("carol"), k("c1"), None, DAY[1]),
        ("uploaded", k("alice"), k("a3"), None, DAY[2]),
        ("uploaded", k("carol"), k("c4"), None, DAY[4]),
        ("uploaded", k("alice"), k("a5"), None, DAY[5]),
        ("version", k("D(a1)"), k("a1"), None, DAY[1]),
        ("version", k("D(c1)"), k("c1"), None, DAY[1]),
        ("version", k("D(a3)"), k("a3"), None, DAY[2]),
        ("version", k("D(c4)"), k("c4"), None, DAY[4]),
        ("version", k("D(a5)"), k("a5"), None, DAY[5]),
        ("derived", k("a1"), k("a3"), Decimal("0.3"), DAY[2]),
        ("derived", k("c1"), k("a3"), Decimal("0.2"), DAY[2]),
        ("derived", k("a3"), k("c4"), Decimal("0.5"), DAY[4]),
        ("derived", k("c4"), k("a5"), Decimal("0.4"), DAY[5]),
        ("used", k("a1"), k("r1"), Decimal(1200), DAY[3]),
        ("used", k("a3"), k("r1"), Decimal(500), DAY[3]),
        ("used", k("c4"), k("r2"), Decimal("2.5"), DAY[5]),
        ("used", k("a5"), k("r3"), Decimal(50), DAY[5]),
        ("used", k("c1"), k("r4"), Decimal(800), DAY[5]),
        ("generated", k("r1"), k("m1"), None, DAY[3]),
        ("generated", k("r2"), k("m2"), None, DAY[5]),
        ("generated", k("r3"), k("m2"), None, DAY[5]),
        ("generated", k("r4"), k("m3"), None, DAY[5]),
        ("owns", k("bob"), k("m1"), None, DAY[3]),
        ("owns", k("bob"), k("m2"), None, DAY[5]),
        ("owns", k("carol"), k("m3"), None, DAY[5]),
    }


def test_every_edge_has_its_kind_ends_weight_and_time(graph):
    edges = selectors.graph_edges(visibility=None)
    assert facts(edges) == every_edge(graph)
    assert len(edges) == 31
    # Weights are numbers with their column's places, never text.
    weights = {e.kind: e.weight for e in edges if e.weight is not None}
    assert weights.keys() == {"contributed", "derived", "used"}
    assert all(isinstance(w, Decimal) for w in weights.values())
    assert {str(e.weight) for e in edges if e.kind == "derived"} == {
        "0.300000",
        "0.200000",
        "0.500000",
        "0.400000",
    }


def test_visibility_is_a_filter_on_top_of_the_edges(graph, alice):
    g = graph
    pending = make_version(
        alice.user, "Pending", status="checking", parents=[(g.a5, Decimal("0.2"))], day=6
    )
    unfiltered = facts(selectors.graph_edges(visibility=None))
    public = facts(selectors.graph_edges(visibility=PUBLIC))
    p, d = f"version:{pending.pk}", f"dataset:{pending.dataset_id}"
    assert unfiltered - public == {
        ("contributed", g.key("alice"), d, Decimal(1), DAY[6]),
        ("uploaded", g.key("alice"), p, None, DAY[6]),
        ("version", d, p, None, DAY[6]),
        ("derived", g.key("a5"), p, Decimal("0.2"), DAY[6]),
    }
    assert public == every_edge(g)


def test_the_cycle_check_sees_derivations_through_versions_out_of_the_catalogue(graph):
    g = graph
    version_set_status(g.c4, "rejected")  # a1 → a3 → c4 (rejected) → a5
    assert selectors.versions_downstream(g.a1.pk) == {g.a3.pk, g.c4.pk, g.a5.pk}
    before = (VersionDerivation.objects.count(), ProvenanceRecord.objects.count())
    with pytest.raises(services.ProvenanceRejected) as refused:
        services.derivation_add(
            user=g.alice.user,
            child=g.a1,
            parents=[ParentSpec(version=g.a5, weight=Decimal("0.1"))],
        )
    assert refused.value.message == (
        f"Deriving version {g.a1.pk} from version(s) {g.a5.pk} would make a cycle: they are "
        f"already derived from version {g.a1.pk}."
    )
    assert (VersionDerivation.objects.count(), ProvenanceRecord.objects.count()) == before


@pytest.fixture
def worked_example(alice, bob, carol):
    """DESIGN.md's worked example: v1 (alice 2, carol 1), v2 derived from v1 at 0.15 (bob),
    v3 derived from v1 at 0.1 and v2 at 0.3 (carol)."""
    v1 = make_version(alice.user, "V1", day=1)
    DatasetContributor.objects.filter(dataset=v1.dataset, user=alice.user).update(share_weight=2)
    DatasetContributor.objects.create(dataset=v1.dataset, user=carol.user, share_weight=1)
    v2 = make_version(bob.user, "V2", parents=[(v1, Decimal("0.15"))], day=2)
    v3 = make_version(carol.user, "V3", parents=[(v1, Decimal("0.1")), (v2, Decimal("0.3"))], day=3)
    return v1, v2, v3


def test_the_upstream_slice_gives_the_split_its_parents_and_shareholders(
    worked_example, alice, bob, carol
):
    v1, v2, v3 = worked_example
    upstream = selectors.upstream_slice(versions=[v3.pk], as_of=None)
    assert upstream.versions == (v1.pk, v2.pk, v3.pk)
    assert upstream.parents(v3.pk) == [(v1.pk, Decimal("0.1")), (v2.pk, Decimal("0.3"))]
    assert upstream.parents(v2.pk) == [(v1.pk, Decimal("0.15"))]
    assert upstream.parents(v1.pk) == []
    assert upstream.shareholders(v1.pk) == [(alice.user.pk, 2), (carol.user.pk, 1)]
    assert upstream.shareholders(v2.pk) == [(bob.user.pk, 1)]
    assert upstream.shareholders(v3.pk) == [(carol.user.pk, 1)]
    assert {e.kind for e in upstream.edges} == {"derived", "version", "contributed"}


def test_the_upstream_slice_is_the_graph_as_it_stood(worked_example, carol):
    v1, v2, v3 = worked_example
    v0 = make_version(carol.user, "V0", day=1)
    services.derivation_add(
        user=carol.user,
        child=v3,
        parents=[ParentSpec(version=v0, weight=Decimal("0.2"))],
    )
    now = selectors.upstream_slice(versions=[v3.pk], as_of=None)
    assert now.parents(v3.pk) == [
        (v1.pk, Decimal("0.1")),
        (v2.pk, Decimal("0.3")),
        (v0.pk, Decimal("0.2")),  # v0 was made last: ascending id
    ]
    then = selectors.upstream_slice(versions=[v3.pk], as_of=DAY[3] + timedelta(hours=1))
    assert then.versions == (v1.pk, v2.pk, v3.pk)
    assert then.parents(v3.pk) == [(v1.pk, Decimal("0.1")), (v2.pk, Decimal("0.3"))]
    # Before v2 was derived, v2 had no parent in the graph yet.
    assert selectors.upstream_slice(versions=[v2.pk], as_of=DAY[1]).parents(v2.pk) == []
    assert selectors.upstream_slice(versions=[], as_of=None) == UpstreamSlice((), frozenset())


def test_the_upstream_slice_reads_every_fact_whatever_the_status(worked_example):
    v1, v2, v3 = worked_example
    version_set_status(v2, "rejected")
    upstream = selectors.upstream_slice(versions=[v3.pk], as_of=None)
    assert upstream.versions == (v1.pk, v2.pk, v3.pk)
    assert upstream.parents(v2.pk) == [(v1.pk, Decimal("0.15"))]


def test_a_walk_from_several_roots_is_one_query(graph, django_assert_num_queries):
    g = graph
    with django_assert_num_queries(1):
        walked = selectors.graph_walk(
            roots=[Node("version", g.a1.pk), Node("version", g.c1.pk)],
            directions=["downstream"],
            depth=1,
            kinds=["used"],
            visibility=PUBLIC,
        )
    assert walked.nodes == {
        Node("version", g.a1.pk): 0,
        Node("version", g.c1.pk): 0,
        Node("run", g.r1.pk): 1,
        Node("run", g.r4.pk): 1,
    }


def test_the_export_from_a_dataset_follows_its_versions(graph, api_as, mallory):
    g = graph
    response = api_as(mallory).get(
        "/api/v1/provenance/export", {"format": "prov-json", "root": g.key("D(a3)"), "depth": 2}
    )
    assert response.status_code == HTTPStatus.OK
    doc = ProvDocument.deserialize(content=response.content.decode(), format="json")
    # both ways from "Blend" at depth 2: a3, its parents a1 and c1, c4 derived from it, run r1.
    assert {str(e.identifier) for e in doc.get_records(ProvEntity)} == {
        f"coop:version-{v.pk}" for v in (g.a1, g.c1, g.a3, g.c4)
    }
    assert {
        (str(r.formal_attributes[0][1]), str(r.formal_attributes[1][1]))
        for r in doc.get_records(ProvDerivation)
    } == {
        (f"coop:version-{g.a3.pk}", f"coop:version-{g.a1.pk}"),
        (f"coop:version-{g.a3.pk}", f"coop:version-{g.c1.pk}"),
        (f"coop:version-{g.c4.pk}", f"coop:version-{g.a3.pk}"),
    }
    assert sum(1 for _ in doc.get_records(ProvUsage)) == 4 + 2  # 4 checks; r1 used a1 and a3
