"""POST /api/v1/models/, GET /api/v1/models/{id}/, POST /api/v1/models/{id}/training-runs/."""

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ipfs.cid import cid_of_bytes
from marketplace.models import DatasetVersion
from provenance.models import Model, TrainingRun, TrainingRunInput
from tests import factories
from transparency.models import ProvenanceRecord
from transparency.services import chain_verify

RUN_BODY = {"started_at": "2026-02-01T10:00:00Z", "ended_at": "2026-02-01T12:00:00Z"}


def counts() -> tuple[int, int, int, int]:
    return (
        Model.objects.count(),
        TrainingRun.objects.count(),
        TrainingRunInput.objects.count(),
        ProvenanceRecord.objects.count(),
    )


def test_register_a_model(api_as, bob):
    artifact = cid_of_bytes(b"weights")
    response = api_as(bob).post(
        "/api/v1/models/",
        {"name": "air-quality-net", "description": "predicts PM2.5", "artifact_cid": artifact},
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED
    model = Model.objects.get()
    assert response.json() == {
        "id": model.pk,
        "name": "air-quality-net",
        "description": "predicts PM2.5",
        "artifact_cid": artifact,
        "owner": {"id": bob.user.pk, "username": "bob"},
        "runs": [],
        "created_at": model.created_at.isoformat().replace("+00:00", "Z"),
    }
    record = ProvenanceRecord.objects.get(kind="model")
    assert record.subject == f"model:{model.pk}"
    assert record.payload == {
        "model": model.pk,
        "owner": bob.user.pk,
        "name": "air-quality-net",
        "artifact": artifact,
    }


def test_artifact_must_be_a_cid(api_as, bob):
    response = api_as(bob).post(
        "/api/v1/models/", {"name": "x", "artifact_cid": "not-a-cid"}, format="json"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == (
        "'not-a-cid' is not an IPFS CID (CIDv0 Qm… or base32 CIDv1 b…)."
    )
    assert counts() == (0, 0, 0, 0)


def test_anonymous_cannot_register(db):
    response = APIClient().post("/api/v1/models/", {"name": "x"}, format="json")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert Model.objects.count() == 0


def test_model_detail_lists_runs_and_versions(graph, api_as, mallory):
    g = graph
    response = api_as(mallory).get(f"/api/v1/models/{g.m2.pk}/")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert [run["id"] for run in body["runs"]] == sorted([g.r2.pk, g.r3.pk], reverse=True)
    used = {run["id"]: run["used"] for run in body["runs"]}
    assert used[g.r2.pk] == [
        {
            "version": g.c4.pk,
            "cid": g.c4.cid,
            "dataset": g.c4.dataset_id,
            "weight": "2.500000",
            "rows_used": None,
        }
    ]
    assert used[g.r3.pk] == [
        {
            "version": g.a5.pk,
            "cid": g.a5.cid,
            "dataset": g.a5.dataset_id,
            "weight": "50.000000",
            "rows_used": 50,
        }
    ]


def test_unknown_model_is_404(api_as, bob):
    response = api_as(bob).get("/api/v1/models/999999/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "No model 999999."}


@pytest.fixture
def model(bob) -> Model:
    return factories.model(bob, "net")


def test_record_a_run_with_a_grant(api_as, alice, bob, model):
    version = factories.dataset(alice.user, title="Air", rows=1200)
    factories.grant(bob.user, version, expires_at=timezone.now() + timedelta(days=3))
    response = api_as(bob).post(
        f"/api/v1/models/{model.pk}/training-runs/",
        {**RUN_BODY, "parameters": {"epochs": 3}, "used": [{"version": version.pk}]},
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    run = TrainingRun.objects.get()
    assert response.json() == {
        "id": run.pk,
        "model": model.pk,
        "started_at": "2026-02-01T10:00:00Z",
        "ended_at": "2026-02-01T12:00:00Z",
        "parameters": {"epochs": 3},
        "external_run_id": None,
        "recorded_by": bob.user.pk,
        "used": [
            {
                "version": version.pk,
                "cid": version.cid,
                "dataset": version.dataset_id,
                "weight": "1200.000000",
                "rows_used": 1200,
            }
        ],
        "created_at": run.created_at.isoformat().replace("+00:00", "Z"),
    }
    use = TrainingRunInput.objects.get()
    assert (use.run_id, use.version_id, use.weight) == (run.pk, version.pk, Decimal(1200))
    record = ProvenanceRecord.objects.get(kind="training_run")
    assert record.subject == f"run:{run.pk}"
    assert record.payload["used"] == [
        {"version": version.pk, "cid": version.cid, "weight": "1200.000000"}
    ]
    assert chain_verify() is None


def test_declared_weight_wins_over_rows(api_as, alice, bob, model):
    version = factories.dataset(alice.user, title="Air", rows=1200)
    factories.free_offer(version)
    response = api_as(bob).post(
        f"/api/v1/models/{model.pk}/training-runs/",
        {**RUN_BODY, "used": [{"version": version.pk, "weight": "0.25"}]},
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED
    assert TrainingRunInput.objects.get().weight == Decimal("0.25")


def test_a_contributor_may_cite_their_own_data(api_as, alice):
    version = factories.dataset(alice.user, title="Air", rows=None)
    own = factories.model(alice, "own")
    response = api_as(alice).post(
        f"/api/v1/models/{own.pk}/training-runs/",
        {**RUN_BODY, "used": [{"version": version.pk, "rows_used": 10}]},
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED
    assert TrainingRunInput.objects.get().weight == Decimal(10)


def test_a_run_citing_a_version_without_a_grant_is_403(api_as, alice, bob, model):
    version = factories.dataset(alice.user, title="Air")
    before = counts()
    response = api_as(bob).post(
        f"/api/v1/models/{model.pk}/training-runs/",
        {**RUN_BODY, "used": [{"version": version.pk}]},
        format="json",
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {
        "detail": f"Not allowed to cite: you have no active grant for version {version.pk} "
        f"({version.cid})."
    }
    assert counts() == before


def test_an_expired_grant_or_one_for_another_version_is_403(api_as, alice, bob, model):
    version = factories.dataset(alice.user, title="Air")
    other = factories.dataset(alice.user, title="Other")
    factories.grant(bob.user, version, expires_at=timezone.now() - timedelta(minutes=1))
    factories.grant(bob.user, other)
    before = counts()
    response = api_as(bob).post(
        f"/api/v1/models/{model.pk}/training-runs/",
        {**RUN_BODY, "used": [{"version": version.pk}]},
        format="json",
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert counts() == before


def test_only_the_owner_records_runs(api_as, alice, mallory, model):
    version = factories.dataset(alice.user, title="Air")
    factories.free_offer(version)
    before = counts()
    response = api_as(mallory).post(
        f"/api/v1/models/{model.pk}/training-runs/",
        {**RUN_BODY, "used": [{"version": version.pk}]},
        format="json",
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "Only the model's owner can record its training runs."}
    assert counts() == before


@pytest.mark.parametrize(
    ("used", "detail"),
    [
        ([], "used: This list may not be empty."),
        ([{"version": 999999}], "Unknown version(s): 999999."),
        ([{"version": "x"}], "used: 0: version: A valid integer is required."),
        (
            [{"version": "{v}", "weight": "-1"}],
            "used: 0: weight: Ensure this value is greater than or equal to 0.000001.",
        ),
    ],
)
def test_bad_runs_are_400(api_as, alice, bob, model, used, detail):
    version = factories.dataset(alice.user, title="Air")
    factories.free_offer(version)
    used = [{k: (version.pk if v == "{v}" else v) for k, v in item.items()} for item in used]
    before = counts()
    response = api_as(bob).post(
        f"/api/v1/models/{model.pk}/training-runs/", {**RUN_BODY, "used": used}, format="json"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == detail
    assert counts() == before


def test_unadmitted_versions_cannot_be_cited(api_as, alice, model, bob):
    version = factories.dataset(alice.user, title="Air", status="rejected")
    before = counts()
    response = api_as(bob).post(
        f"/api/v1/models/{model.pk}/training-runs/",
        {**RUN_BODY, "used": [{"version": version.pk}]},
        format="json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == (
        f"Version(s) not admitted to the catalogue: {version.pk} ({version.cid})."
    )
    assert counts() == before


def test_a_run_cannot_end_before_it_starts(api_as, alice, bob, model):
    version = factories.dataset(alice.user, title="Air")
    factories.free_offer(version)
    response = api_as(bob).post(
        f"/api/v1/models/{model.pk}/training-runs/",
        {
            "started_at": "2026-02-01T10:00:00Z",
            "ended_at": "2026-02-01T09:00:00Z",
            "used": [{"version": version.pk}],
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == "The run cannot end before it started."
    assert DatasetVersion.objects.count() == 1
    assert TrainingRun.objects.count() == 0
