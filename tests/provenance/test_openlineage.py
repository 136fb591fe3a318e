"""POST /api/v1/lineage/openlineage: OpenLineage RunEvents record runs and derivations."""

import uuid
from decimal import Decimal
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from accounts.services import token_create
from marketplace.models import VersionDerivation
from provenance.models import TrainingRun, TrainingRunInput
from tests import factories
from tests.provenance.conftest import DAY
from transparency.models import ProvenanceRecord
from transparency.services import chain_verify

URL = "/api/v1/lineage/openlineage"


def event(inputs, outputs, event_type="COMPLETE", run_id=None) -> dict:
    return {
        "eventType": event_type,
        "eventTime": "2026-02-01T12:00:00Z",
        "producer": "https://example.org/trainer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id or str(uuid.uuid4()), "facets": {}},
        "job": {"namespace": "trainers", "name": "fit"},
        "inputs": inputs,
        "outputs": outputs,
    }


def ipfs_input(version, royalty=None, **facets) -> dict:
    if royalty is not None:
        facets["royalty"] = {"weight": royalty}
    return {"namespace": "ipfs", "name": version.cid, "inputFacets": facets}


def model_output(model) -> dict:
    return {"namespace": "model", "name": str(model.pk)}


def state() -> tuple[int, int, int, int]:
    return (
        TrainingRun.objects.count(),
        TrainingRunInput.objects.count(),
        VersionDerivation.objects.count(),
        ProvenanceRecord.objects.count(),
    )


def test_a_complete_event_records_the_run(graph, api_as):
    g = graph
    run_id = str(uuid.uuid4())
    body = event(
        [
            ipfs_input(g.a1, inputStatistics={"rowCount": 300}),
            {"namespace": f"ipfs://{g.a3.cid}", "name": "/"},
            {"namespace": "postgres://warehouse", "name": "public.scratch"},
        ],
        [model_output(g.m1)],
        run_id=run_id,
    )
    response = api_as(g.bob).post(URL, body, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.json()
    run = TrainingRun.objects.get(external_run_id=run_id)
    assert response.json() == {
        "event_type": "COMPLETE",
        "recorded": True,
        "runs": [run.pk],
        "derivations": [],
    }
    assert run.model_id == g.m1.pk
    assert {(u.version_id, u.weight, u.rows_used) for u in run.inputs.all()} == {
        (g.a1.pk, Decimal(300), 300),
        (g.a3.pk, Decimal(500), 500),
    }
    assert run.parameters == {
        "openlineage": {
            "job": {"namespace": "trainers", "name": "fit"},
            "producer": "https://example.org/trainer",
        }
    }
    # Sending the same event again finds the run instead of recording a second one.
    before = state()
    again = api_as(g.bob).post(URL, body, format="json")
    assert again.status_code == HTTPStatus.CREATED
    assert again.json()["runs"] == [run.pk]
    assert state() == before


def test_start_events_are_acknowledged_without_writing(graph, api_as):
    g = graph
    before = state()
    response = api_as(g.bob).post(
        URL, event([ipfs_input(g.a1)], [model_output(g.m1)], event_type="START"), format="json"
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "event_type": "START",
        "recorded": False,
        "runs": [],
        "derivations": [],
    }
    assert state() == before


def test_an_ipfs_output_is_a_derived_version(graph, api_as):
    g = graph
    child = factories.dataset(g.alice.user, title="Mixed", at=DAY[6])
    factories.free_offer(g.c1)  # alice may use carol's data: it is offered for free
    response = api_as(g.alice).post(
        URL,
        event(
            [ipfs_input(g.a1, royalty="0.25"), ipfs_input(g.c1, royalty=0.15)],
            [{"namespace": "ipfs", "name": f"ipfs://{child.cid}"}],
        ),
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response.json()["derivations"] == [
        {"child": child.pk, "parent": g.a1.pk, "weight": "0.250000"},
        {"child": child.pk, "parent": g.c1.pk, "weight": "0.150000"},
    ]
    assert set(
        VersionDerivation.objects.filter(child=child).values_list("parent_id", "weight")
    ) == {(g.a1.pk, Decimal("0.25")), (g.c1.pk, Decimal("0.15"))}
    records = ProvenanceRecord.objects.filter(kind="derivation", subject=f"version:{child.pk}")
    assert [r.payload for r in records.order_by("seq")] == [
        {"child": child.pk, "parent": g.a1.pk, "weight": "0.250000"},
        {"child": child.pk, "parent": g.c1.pk, "weight": "0.150000"},
    ]
    assert chain_verify() is None


def test_a_derivation_cycle_is_rejected(graph, api_as):
    g = graph
    before = state()
    # a3 is already derived from a1; deriving a1 from a3 would close a loop.
    response = api_as(g.alice).post(
        URL,
        event([ipfs_input(g.a5, royalty="0.1")], [{"namespace": "ipfs", "name": g.a1.cid}]),
        format="json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == (
        f"Deriving version {g.a1.pk} from version(s) {g.a5.pk} would make a cycle: they are "
        f"already derived from version {g.a1.pk}."
    )
    assert state() == before


def test_royalty_weights_above_1_are_rejected(graph, api_as):
    g = graph
    factories.free_offer(g.c1)
    before = state()
    # a5 already passes 0.4 to c4.
    response = api_as(g.alice).post(
        URL,
        event([ipfs_input(g.c1, royalty="0.7")], [{"namespace": "ipfs", "name": g.a5.cid}]),
        format="json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == (
        f"The royalty weights of version {g.a5.pk}'s parents would add up to 1.1, above 1."
    )
    assert state() == before


def test_only_contributors_declare_parents(graph, api_as):
    g = graph
    before = state()
    response = api_as(g.bob).post(
        URL,
        event([ipfs_input(g.a1, royalty="0.1")], [{"namespace": "ipfs", "name": g.c4.cid}]),
        format="json",
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "Only the dataset's contributors can declare its parents."}
    assert state() == before


def test_a_run_for_someone_elses_model_is_403(graph, api_as):
    g = graph
    before = state()
    response = api_as(g.carol).post(
        URL, event([ipfs_input(g.c1)], [model_output(g.m1)]), format="json"
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": f"Only the owner of model {g.m1.pk} can record its runs."}
    assert state() == before


def test_a_run_citing_data_without_a_grant_is_403(graph, api_as):
    g = graph
    before = state()
    response = api_as(g.bob).post(
        URL, event([ipfs_input(g.c1)], [model_output(g.m1)]), format="json"
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {
        "detail": f"Not allowed to cite: you have no active grant for version {g.c1.pk} "
        f"({g.c1.cid})."
    }
    assert state() == before


def test_unknown_cids_are_named(graph, api_as):
    from ipfs.cid import cid_of_bytes

    g = graph
    unknown = cid_of_bytes(b"nobody uploaded this")
    before = state()
    response = api_as(g.bob).post(
        URL,
        event([ipfs_input(g.a1), {"namespace": "ipfs", "name": unknown}], [model_output(g.m1)]),
        format="json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == (f"Unknown CID(s), no dataset version has them: {unknown}.")
    assert state() == before


MALFORMED = [
    ([1, 2], "The event must be a JSON object."),
    (
        {"eventType": "DONE"},
        "eventType must be one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER; got 'DONE'.",
    ),
    (
        {"eventType": "COMPLETE", "eventTime": "noon"},
        "eventTime is not an ISO 8601 date-time: 'noon'.",
    ),
    (
        {"eventType": "COMPLETE", "eventTime": "2026-02-01T12:00:00"},
        "eventTime must carry a time zone: '2026-02-01T12:00:00'.",
    ),
    (
        {"eventType": "COMPLETE", "eventTime": "2026-02-01T12:00:00Z", "run": {}},
        "run.runId must be a non-empty string.",
    ),
    (
        {
            "eventType": "COMPLETE",
            "eventTime": "2026-02-01T12:00:00Z",
            "run": {"runId": "r"},
            "job": {"namespace": "n"},
        },
        "job.name must be a non-empty string.",
    ),
    (
        {
            "eventType": "COMPLETE",
            "eventTime": "2026-02-01T12:00:00Z",
            "run": {"runId": "r"},
            "job": {"namespace": "n", "name": "j"},
            "inputs": {},
        },
        "inputs must be a list of datasets.",
    ),
    (
        {
            "eventType": "COMPLETE",
            "eventTime": "2026-02-01T12:00:00Z",
            "run": {"runId": "r"},
            "job": {"namespace": "n", "name": "j"},
            "inputs": [{"namespace": "ipfs", "name": "xyz"}],
            "outputs": [],
        },
        "inputs[0] names 'xyz', which is not an IPFS CID.",
    ),
    (
        {
            "eventType": "COMPLETE",
            "eventTime": "2026-02-01T12:00:00Z",
            "run": {"runId": "r"},
            "job": {"namespace": "n", "name": "j"},
            "outputs": [{"namespace": "model", "name": "m"}],
        },
        "outputs[0]: a model output's name is the model id; got 'm'.",
    ),
    (
        {
            "eventType": "COMPLETE",
            "eventTime": "2026-02-01T12:00:00Z",
            "run": {"runId": "r"},
            "job": {"namespace": "n", "name": "j"},
            "outputs": [{"namespace": "s3", "name": "b"}],
        },
        "The event has no output the cooperative knows: give an output with namespace `model` "
        "and the model id as name, or namespace `ipfs` and a version's CID.",
    ),
]


@pytest.mark.parametrize(("body", "detail"), MALFORMED)
def test_malformed_events_are_400(graph, api_as, body, detail):
    before = state()
    response = api_as(graph.bob).post(URL, body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": detail}
    assert state() == before


def test_a_body_that_is_not_json_is_400(graph, api_as):
    response = api_as(graph.bob).post(URL, "{not json", content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("JSON parse error")


def test_derived_output_without_royalty_weights_is_400(graph, api_as):
    g = graph
    child = factories.dataset(g.alice.user, title="Mixed", at=DAY[6])
    before = state()
    response = api_as(g.alice).post(
        URL, event([ipfs_input(g.a1)], [{"namespace": "ipfs", "name": child.cid}]), format="json"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == (
        f"Output {child.cid} is derived from inputs without a royalty weight: give each input a "
        f"`royalty` facet with a `weight` (missing for {g.a1.cid})."
    )
    assert state() == before


def test_anonymous_is_401(graph):
    response = APIClient().post(URL, event([], []), format="json")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.live
def test_the_openlineage_client_emits_to_the_live_server(transactional_db, live_server, graph):
    """The real openlineage-python client, HTTP transport, API key auth, against the server."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.facet_v2 import input_statistics_input_dataset
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

    g = graph
    key = token_create(user=g.bob.user, name="openlineage").key
    transport = HttpTransport(
        HttpConfig(
            url=live_server.url,
            endpoint="api/v1/lineage/openlineage",
            auth=ApiKeyTokenProvider({"apiKey": key}),
            retry={"total": 0},
        )
    )
    client = OpenLineageClient(transport=transport)
    run_id = str(uuid.uuid4())
    job = Job(namespace="trainers", name="fit-m1")
    inputs = [
        InputDataset(
            namespace="ipfs",
            name=g.a3.cid,
            inputFacets={
                "inputStatistics": input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                    rowCount=120
                )
            },
        ),
        InputDataset(namespace="ipfs", name=f"ipfs://{g.a5.cid}"),
    ]
    outputs = [OutputDataset(namespace="model", name=str(g.m1.pk))]
    for state_, when in (
        (RunState.START, "2026-02-02T08:00:00Z"),
        (RunState.COMPLETE, "2026-02-02T09:30:00Z"),
    ):
        client.emit(
            RunEvent(
                eventType=state_,
                eventTime=when,
                run=Run(runId=run_id),
                job=job,
                producer="https://example.org/trainer",
                inputs=inputs,
                outputs=outputs,
            )
        )
    run = TrainingRun.objects.get(external_run_id=run_id)
    assert run.model_id == g.m1.pk
    assert run.ended_at is not None
    assert run.ended_at.isoformat() == "2026-02-02T09:30:00+00:00"
    assert {(u.version_id, u.weight) for u in run.inputs.all()} == {
        (g.a3.pk, Decimal(120)),
        (g.a5.pk, Decimal(50)),
    }
    # The run now appears in the lineage, upstream of the model and downstream of its data.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = api.get(
        "/api/v1/lineage/", {"node": g.key("m1"), "direction": "upstream", "depth": 2}
    ).json()
    edges = {(e["source"], e["target"], e["kind"]) for e in body["edges"]}
    assert (f"run:{run.pk}", g.key("m1"), "generated") in edges
    assert (g.key("a5"), f"run:{run.pk}", "used") in edges
    body = api.get(
        "/api/v1/lineage/", {"node": g.key("a5"), "direction": "downstream", "depth": 1}
    ).json()
    assert f"run:{run.pk}" in {n["id"] for n in body["nodes"]}
