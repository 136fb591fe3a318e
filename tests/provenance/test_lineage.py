"""GET /api/v1/lineage/: exact upstream, downstream, both and as_of answers, and bad input."""

from datetime import timedelta
from http import HTTPStatus

import pytest

from tests import factories
from tests.provenance.conftest import DAY

URL = "/api/v1/lineage/"


def answer_sets(body: dict) -> tuple[dict, set]:
    nodes = {n["id"]: n["depth"] for n in body["nodes"]}
    edges = {(e["source"], e["target"], e["kind"], e["weight"]) for e in body["edges"]}
    return nodes, edges


def lineage(client, node: str, **params) -> dict:
    response = client.get(URL, {"node": node, **params})
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()


@pytest.fixture
def client(api_as, mallory):
    # The graph is public: an outsider reads it like anyone else.
    return api_as(mallory)


def test_upstream_of_a_model_at_depth_2(graph, client):
    g = graph
    nodes, edges = answer_sets(lineage(client, g.key("m2"), direction="upstream", depth=2))
    assert nodes == {
        g.key("m2"): 0,
        g.key("r2"): 1,
        g.key("r3"): 1,
        g.key("bob"): 1,
        g.key("c4"): 2,
        g.key("a5"): 2,
    }
    assert edges == {
        g.edge("r2", "m2", "generated"),
        g.edge("r3", "m2", "generated"),
        g.edge("bob", "m2", "owns"),
        g.edge("c4", "r2", "used", "2.5"),
        g.edge("a5", "r3", "used", "50"),
    }


def test_upstream_of_a_model_at_depth_3(graph, client):
    g = graph
    nodes, edges = answer_sets(lineage(client, g.key("m2"), direction="upstream", depth=3))
    assert nodes == {
        g.key("m2"): 0,
        g.key("r2"): 1,
        g.key("r3"): 1,
        g.key("bob"): 1,
        g.key("c4"): 2,
        g.key("a5"): 2,
        g.key("D(c4)"): 3,
        g.key("carol"): 3,
        g.key("a3"): 3,
        g.key("D(a5)"): 3,
        g.key("alice"): 3,
    }
    assert edges == {
        g.edge("r2", "m2", "generated"),
        g.edge("r3", "m2", "generated"),
        g.edge("bob", "m2", "owns"),
        g.edge("c4", "r2", "used", "2.5"),
        g.edge("a5", "r3", "used", "50"),
        g.edge("D(c4)", "c4", "version"),
        g.edge("carol", "c4", "uploaded"),
        g.edge("a3", "c4", "derived", "0.5"),
        g.edge("D(a5)", "a5", "version"),
        g.edge("alice", "a5", "uploaded"),
        g.edge("c4", "a5", "derived", "0.4"),
    }


def test_upstream_of_a_model_in_full_reaches_every_generation(graph, client):
    g = graph
    body = lineage(client, g.key("m2"), direction="upstream")
    assert body["depth"] == 20
    assert body["notice"] is None
    nodes, edges = answer_sets(body)
    assert nodes == {
        g.key("m2"): 0,
        g.key("r2"): 1,
        g.key("r3"): 1,
        g.key("bob"): 1,
        g.key("c4"): 2,
        g.key("a5"): 2,
        g.key("D(c4)"): 3,
        g.key("carol"): 3,
        g.key("a3"): 3,
        g.key("D(a5)"): 3,
        g.key("alice"): 3,
        g.key("D(a3)"): 4,
        g.key("a1"): 4,
        g.key("c1"): 4,
        g.key("D(a1)"): 5,
        g.key("D(c1)"): 5,
    }
    assert edges == {
        g.edge("r2", "m2", "generated"),
        g.edge("r3", "m2", "generated"),
        g.edge("bob", "m2", "owns"),
        g.edge("c4", "r2", "used", "2.5"),
        g.edge("a5", "r3", "used", "50"),
        g.edge("D(c4)", "c4", "version"),
        g.edge("carol", "c4", "uploaded"),
        g.edge("a3", "c4", "derived", "0.5"),
        g.edge("D(a5)", "a5", "version"),
        g.edge("alice", "a5", "uploaded"),
        g.edge("c4", "a5", "derived", "0.4"),
        g.edge("carol", "D(c4)", "contributed"),
        g.edge("D(a3)", "a3", "version"),
        g.edge("alice", "a3", "uploaded"),
        g.edge("a1", "a3", "derived", "0.3"),
        g.edge("c1", "a3", "derived", "0.2"),
        g.edge("alice", "D(a5)", "contributed"),
        g.edge("alice", "D(a3)", "contributed"),
        g.edge("D(a1)", "a1", "version"),
        g.edge("alice", "a1", "uploaded"),
        g.edge("D(c1)", "c1", "version"),
        g.edge("carol", "c1", "uploaded"),
        g.edge("alice", "D(a1)", "contributed"),
        g.edge("carol", "D(c1)", "contributed"),
    }


def test_downstream_of_a_first_generation_version(graph, client):
    g = graph
    nodes, edges = answer_sets(lineage(client, g.key("a1"), direction="downstream"))
    assert nodes == {
        g.key("a1"): 0,
        g.key("a3"): 1,
        g.key("r1"): 1,
        g.key("c4"): 2,
        g.key("m1"): 2,
        g.key("a5"): 3,
        g.key("r2"): 3,
        g.key("m2"): 4,
        g.key("r3"): 4,
    }
    assert edges == {
        g.edge("a1", "a3", "derived", "0.3"),
        g.edge("a1", "r1", "used", "1200"),
        g.edge("a3", "c4", "derived", "0.5"),
        g.edge("a3", "r1", "used", "500"),
        g.edge("r1", "m1", "generated"),
        g.edge("c4", "a5", "derived", "0.4"),
        g.edge("c4", "r2", "used", "2.5"),
        g.edge("a5", "r3", "used", "50"),
        g.edge("r2", "m2", "generated"),
        g.edge("r3", "m2", "generated"),
    }


def test_downstream_at_depth_2(graph, client):
    g = graph
    nodes, edges = answer_sets(lineage(client, g.key("a1"), direction="downstream", depth=2))
    assert nodes == {
        g.key("a1"): 0,
        g.key("a3"): 1,
        g.key("r1"): 1,
        g.key("c4"): 2,
        g.key("m1"): 2,
    }
    assert edges == {
        g.edge("a1", "a3", "derived", "0.3"),
        g.edge("a1", "r1", "used", "1200"),
        g.edge("a3", "c4", "derived", "0.5"),
        g.edge("a3", "r1", "used", "500"),
        g.edge("r1", "m1", "generated"),
    }


def test_downstream_of_a_member(graph, client):
    g = graph
    nodes, edges = answer_sets(lineage(client, g.key("carol"), direction="downstream", depth=1))
    assert nodes == {
        g.key("carol"): 0,
        g.key("D(c1)"): 1,
        g.key("c1"): 1,
        g.key("D(c4)"): 1,
        g.key("c4"): 1,
        g.key("m3"): 1,
    }
    assert edges == {
        g.edge("carol", "D(c1)", "contributed"),
        g.edge("carol", "c1", "uploaded"),
        g.edge("carol", "D(c4)", "contributed"),
        g.edge("carol", "c4", "uploaded"),
        g.edge("carol", "m3", "owns"),
    }


def test_both_directions_is_the_union(graph, client):
    g = graph
    nodes, edges = answer_sets(lineage(client, g.key("a3"), direction="both", depth=1))
    assert nodes == {
        g.key("a3"): 0,
        g.key("D(a3)"): 1,
        g.key("alice"): 1,
        g.key("a1"): 1,
        g.key("c1"): 1,
        g.key("c4"): 1,
        g.key("r1"): 1,
    }
    assert edges == {
        g.edge("D(a3)", "a3", "version"),
        g.edge("alice", "a3", "uploaded"),
        g.edge("a1", "a3", "derived", "0.3"),
        g.edge("c1", "a3", "derived", "0.2"),
        g.edge("a3", "c4", "derived", "0.5"),
        g.edge("a3", "r1", "used", "500"),
    }


def test_as_of_gives_the_graph_as_it_stood(graph, client):
    g = graph
    as_of = (DAY[3] + timedelta(hours=1)).isoformat()
    body = lineage(client, g.key("a1"), direction="downstream", as_of=as_of)
    assert body["as_of"] == as_of
    nodes, edges = answer_sets(body)
    assert nodes == {g.key("a1"): 0, g.key("a3"): 1, g.key("r1"): 1, g.key("m1"): 2}
    assert edges == {
        g.edge("a1", "a3", "derived", "0.3"),
        g.edge("a1", "r1", "used", "1200"),
        g.edge("a3", "r1", "used", "500"),
        g.edge("r1", "m1", "generated"),
    }


def test_as_of_upstream_before_the_model_existed(graph, client):
    g = graph
    body = lineage(client, g.key("m2"), direction="upstream", as_of=(DAY[4]).isoformat(), depth=5)
    assert answer_sets(body) == ({g.key("m2"): 0}, set())


def test_as_of_day_4_upstream_of_a_derived_version(graph, client):
    g = graph
    body = lineage(client, g.key("c4"), direction="upstream", as_of=DAY[4].isoformat(), depth=2)
    nodes, edges = answer_sets(body)
    assert nodes == {
        g.key("c4"): 0,
        g.key("D(c4)"): 1,
        g.key("carol"): 1,
        g.key("a3"): 1,
        g.key("D(a3)"): 2,
        g.key("alice"): 2,
        g.key("a1"): 2,
        g.key("c1"): 2,
    }
    assert len(edges) == 8


def test_nodes_carry_labels_and_links(graph, client):
    g = graph
    body = lineage(client, g.key("r2"), direction="downstream", depth=1)
    assert body == {
        "root": g.key("r2"),
        "direction": "downstream",
        "depth": 1,
        "as_of": None,
        "notice": None,
        "nodes": [
            {
                "id": g.key("r2"),
                "type": "run",
                "label": f"run {g.r2.pk} (m2)",
                "url": f"/provenance/runs/{g.r2.pk}/",
                "depth": 0,
            },
            {
                "id": g.key("m2"),
                "type": "model",
                "label": "m2",
                "url": f"/provenance/models/{g.m2.pk}/",
                "depth": 1,
            },
        ],
        "edges": [
            {"source": g.key("r2"), "target": g.key("m2"), "kind": "generated", "weight": None}
        ],
    }


def test_unadmitted_versions_stay_out_of_the_graph(graph, client, alice):
    g = graph
    pending = factories.dataset(alice.user, title="Pending", status="checking", at=DAY[6])
    response = client.get(URL, {"node": f"version:{pending.pk}"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    nodes, _ = answer_sets(lineage(client, g.key("alice"), direction="downstream", depth=1))
    assert f"version:{pending.pk}" not in nodes
    assert f"dataset:{pending.dataset_id}" not in nodes


def test_too_large_depth_is_clamped_with_a_notice(graph, client, settings):
    settings.LINEAGE_MAX_DEPTH = 3
    body = lineage(client, graph.key("m2"), direction="upstream", depth=500)
    assert body["depth"] == 3
    assert body["notice"] == "depth 500 is above the maximum of 3; the answer goes 3 deep."
    assert max(n["depth"] for n in body["nodes"]) == 3


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        (
            {"node": "planet:3"},
            "node: node must look like <type>:<id> with type one of "
            "dataset, version, model, run, member; got 'planet:3'.",
        ),
        ({"node": "version:x"}, "node: node id must be a positive integer; got 'x'."),
        (
            {"node": "version:1", "direction": "sideways"},
            'direction: "sideways" is not a valid choice.',
        ),
        (
            {"node": "version:1", "depth": "-1"},
            "depth: Ensure this value is greater than or equal to 0.",
        ),
        (
            {"node": "version:1", "as_of": "yesterday"},
            "as_of: Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        ),
        ({}, "node: This field is required."),
    ],
)
def test_bad_queries_are_400(graph, client, params, detail):
    response = client.get(URL, params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == detail


def test_unknown_node_is_404(graph, client):
    response = client.get(URL, {"node": "model:999999"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "No model 999999 in the provenance graph."}


def test_anonymous_is_401(graph):
    from rest_framework.test import APIClient

    response = APIClient().get(URL, {"node": graph.key("m2")})
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_public_json_for_the_picture_needs_no_login(graph):
    from django.test import Client

    response = Client().get(
        "/provenance/lineage.json", {"node": graph.key("a3"), "direction": "both", "depth": 1}
    )
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["nodes"]) == 7
    response = Client().get("/provenance/lineage.json", {"node": "model:999999"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "No model 999999 in the provenance graph."}
