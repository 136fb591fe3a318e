"""A dataset node stands for its versions: upstream of a dataset is its contributors and
everything upstream of any of its versions, downstream everything downstream of them, and
``both`` the union. Exact answers on the test graph (tests/provenance/conftest.py), through the
API and the page's JSON, at depths 0, 1, 2 and the maximum."""

from decimal import Decimal

import pytest

from marketplace.services import version_set_status
from tests.provenance.graph.conftest import answer_sets, make_version, union

MAX = 50  # LINEAGE_MAX_DEPTH's default


def blend_upstream(g, depth: int) -> tuple[dict, set]:
    """Upstream of the dataset "Blend" (a3's): a3, then its parents a1 and c1, their datasets
    and contributors."""
    levels = [
        ({g.key("D(a3)"): 0}, set()),
        (
            {g.key("alice"): 1, g.key("a3"): 1},
            {g.edge("alice", "D(a3)", "contributed"), g.edge("D(a3)", "a3", "version")},
        ),
        (
            {g.key("a1"): 2, g.key("c1"): 2},
            {
                g.edge("alice", "a3", "uploaded"),
                g.edge("a1", "a3", "derived", "0.3"),
                g.edge("c1", "a3", "derived", "0.2"),
            },
        ),
        (
            {g.key("D(a1)"): 3, g.key("D(c1)"): 3, g.key("carol"): 3},
            {
                g.edge("D(a1)", "a1", "version"),
                g.edge("alice", "a1", "uploaded"),
                g.edge("D(c1)", "c1", "version"),
                g.edge("carol", "c1", "uploaded"),
            },
        ),
        ({}, {g.edge("alice", "D(a1)", "contributed"), g.edge("carol", "D(c1)", "contributed")}),
    ]
    return union(*levels[: depth + 1])


def blend_downstream(g, depth: int) -> tuple[dict, set]:
    """Downstream of "Blend": a3, then what was derived from it and the runs that used them."""
    levels = [
        ({g.key("D(a3)"): 0}, set()),
        ({g.key("a3"): 1}, {g.edge("D(a3)", "a3", "version")}),
        (
            {g.key("c4"): 2, g.key("r1"): 2},
            {g.edge("a3", "c4", "derived", "0.5"), g.edge("a3", "r1", "used", "500")},
        ),
        (
            {g.key("a5"): 3, g.key("r2"): 3, g.key("m1"): 3},
            {
                g.edge("c4", "a5", "derived", "0.4"),
                g.edge("c4", "r2", "used", "2.5"),
                g.edge("r1", "m1", "generated"),
            },
        ),
        (
            {g.key("r3"): 4, g.key("m2"): 4},
            {g.edge("a5", "r3", "used", "50"), g.edge("r2", "m2", "generated")},
        ),
        ({}, {g.edge("r3", "m2", "generated")}),
    ]
    return union(*levels[: depth + 1])


def test_upstream_of_a_dataset_at_depth_2_is_written_out(graph, fetch):
    g = graph
    # The expectations above, spelled out once.
    assert answer_sets(fetch(g.key("D(a3)"), direction="upstream", depth=2)) == (
        {
            g.key("D(a3)"): 0,
            g.key("alice"): 1,
            g.key("a3"): 1,
            g.key("a1"): 2,
            g.key("c1"): 2,
        },
        {
            g.edge("alice", "D(a3)", "contributed"),
            g.edge("D(a3)", "a3", "version"),
            g.edge("alice", "a3", "uploaded"),
            g.edge("a1", "a3", "derived", "0.3"),
            g.edge("c1", "a3", "derived", "0.2"),
        },
    )


@pytest.mark.parametrize("depth", [0, 1, 2, 3, MAX])
def test_upstream_of_a_dataset_is_upstream_of_its_versions(graph, fetch, depth):
    g = graph
    body = fetch(g.key("D(a3)"), direction="upstream", depth=depth)
    assert answer_sets(body) == blend_upstream(g, depth)


@pytest.mark.parametrize("depth", [0, 1, 2, 3, MAX])
def test_downstream_of_a_dataset_is_downstream_of_its_versions(graph, fetch, depth):
    g = graph
    body = fetch(g.key("D(a3)"), direction="downstream", depth=depth)
    assert answer_sets(body) == blend_downstream(g, depth)


@pytest.mark.parametrize("depth", [0, 1, 2, 3, MAX])
def test_both_from_a_dataset_is_the_union(graph, fetch, depth):
    g = graph
    body = fetch(g.key("D(a3)"), direction="both", depth=depth)
    assert answer_sets(body) == union(blend_upstream(g, depth), blend_downstream(g, depth))


def test_both_from_a_dataset_in_full(graph, fetch):
    g = graph
    body = fetch(g.key("D(a3)"), direction="both")  # the default depth, 20
    assert body["depth"] == 20
    nodes, edges = answer_sets(body)
    assert nodes == {
        g.key("D(a3)"): 0,
        g.key("alice"): 1,
        g.key("a3"): 1,
        g.key("a1"): 2,
        g.key("c1"): 2,
        g.key("c4"): 2,
        g.key("r1"): 2,
        g.key("D(a1)"): 3,
        g.key("D(c1)"): 3,
        g.key("carol"): 3,
        g.key("a5"): 3,
        g.key("r2"): 3,
        g.key("m1"): 3,
        g.key("r3"): 4,
        g.key("m2"): 4,
    }
    assert len(edges) == 19
    assert edges == union(blend_upstream(g, MAX), blend_downstream(g, MAX))[1]


def test_a_first_generation_dataset_upstream_is_its_own_facts(graph, fetch):
    g = graph
    nodes, edges = answer_sets(fetch(g.key("D(a1)"), direction="upstream"))
    assert nodes == {g.key("D(a1)"): 0, g.key("alice"): 1, g.key("a1"): 1}
    assert edges == {
        g.edge("alice", "D(a1)", "contributed"),
        g.edge("D(a1)", "a1", "version"),
        g.edge("alice", "a1", "uploaded"),
    }


def test_every_admitted_version_of_the_dataset_counts_and_no_other(graph, fetch, alice):
    g = graph
    blend = g.a3.dataset
    # A second admitted version of "Blend", derived from c1 only; and a third still being
    # checked, derived from a5: it is not in the public graph, nor is what it derives from.
    b2 = make_version(
        alice.user, "Blend", dataset=blend, rows=10, parents=[(g.c1, Decimal("0.1"))], day=6
    )
    make_version(
        alice.user,
        "Blend",
        dataset=blend,
        status="checking",
        parents=[(g.a5, Decimal("0.2"))],
        day=6,
    )
    b2_key = f"version:{b2.pk}"
    nodes, edges = answer_sets(fetch(g.key("D(a3)"), direction="upstream", depth=2))
    assert nodes == {
        g.key("D(a3)"): 0,
        g.key("alice"): 1,
        g.key("a3"): 1,
        b2_key: 1,
        g.key("a1"): 2,
        g.key("c1"): 2,
    }
    assert edges == blend_upstream(g, 2)[1] | {
        (g.key("D(a3)"), b2_key, "version", None),
        (g.key("alice"), b2_key, "uploaded", None),
        (g.key("c1"), b2_key, "derived", "0.1"),
    }
    nodes, edges = answer_sets(fetch(g.key("D(a3)"), direction="downstream", depth=1))
    assert nodes == {g.key("D(a3)"): 0, g.key("a3"): 1, b2_key: 1}
    assert edges == {g.edge("D(a3)", "a3", "version"), (g.key("D(a3)"), b2_key, "version", None)}


def test_a_version_no_longer_admitted_leaves_the_public_graph(graph, fetch):
    g = graph
    # c1 is sent back for a new check: the public graph shows admitted versions only, at
    # either end of an edge (a3 still derives from it, which the cycle check still sees).
    version_set_status(g.c1, "pinned")
    nodes, edges = answer_sets(fetch(g.key("D(a3)"), direction="upstream", depth=2))
    assert nodes == {g.key("D(a3)"): 0, g.key("alice"): 1, g.key("a3"): 1, g.key("a1"): 2}
    assert edges == blend_upstream(g, 2)[1] - {g.edge("c1", "a3", "derived", "0.2")}
    nodes, _ = answer_sets(fetch(g.key("m3"), direction="upstream"))
    assert nodes == {g.key("m3"): 0, g.key("r4"): 1, g.key("carol"): 1}
