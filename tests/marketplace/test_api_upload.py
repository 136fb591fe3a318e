"""POST /api/v1/datasets/, POST /api/v1/datasets/{id}/versions/, GET /api/v1/versions/{id}/."""

import json
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings

from ipfs.cid import cid_of_bytes
from ipfs.client import cat_iter, is_pinned
from marketplace.models import Dataset, DatasetVersion, Pin, PinStatus, VersionStatus
from tests.marketplace.conftest import CLEAN_CSV
from transparency.models import ProvenanceRecord


def upload(client, csv_file, **fields):
    data = {
        "title": "Air quality",
        "description": "Hourly PM2.5",
        "license": "CC-BY-4.0",
        "format": "csv",
        "file": csv_file(),
    }
    data.update(fields)
    return client.post("/api/v1/datasets/", data, format="multipart")


@pytest.mark.django_db
def test_it_creates_a_dataset_with_its_first_version_pinned_as_it_arrived(alice, api_as, csv_file):
    response = upload(api_as(alice), csv_file)

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    dataset = Dataset.objects.get()
    version = DatasetVersion.objects.get()
    assert body["dataset"] == {
        "id": dataset.pk,
        "title": "Air quality",
        "description": "Hourly PM2.5",
        "license": "CC-BY-4.0",
        "contributors": [{"id": alice.user.pk, "username": "alice", "share_weight": 1}],
        "created_at": body["dataset"]["created_at"],
    }
    assert body["version"] == {
        "id": version.pk,
        "dataset": dataset.pk,
        "number": 1,
        "cid": cid_of_bytes(CLEAN_CSV),
        "size": len(CLEAN_CSV),
        "sha256": version.sha256,
        "format": "csv",
        "license": "CC-BY-4.0",
        # The node's add streamed the bytes while they arrived and answered with our CID.
        "status": "pinned",
        "status_reason": "",
        "pin_status": "pinned",
        "row_count": None,
        "parents": [],
        "created_at": body["version"]["created_at"],
    }
    pin = Pin.objects.get()
    assert (pin.status, pin.attempts, pin.preadded, pin.staged_path) == (
        PinStatus.PINNED,
        1,
        True,
        "",
    )
    assert pin.pinned_at is not None
    assert is_pinned(version.cid)
    assert b"".join(cat_iter(version.cid)) == CLEAN_CSV
    # Nothing was staged: the received copy went with the request.
    assert not Path(settings.COOP_STAGING_DIR, version.cid).exists()
    assert list(Path(settings.COOP_STAGING_DIR, "incoming").iterdir()) == []
    assert list(ProvenanceRecord.objects.values_list("kind", flat=True)) == ["upload", "pin"]


@pytest.mark.django_db
def test_an_upload_the_node_did_not_take_as_it_arrived_is_staged_for_the_pin_task(
    alice, api_as, csv_file, settings
):
    settings.COOP_ADD_WHILE_UPLOADING = False

    response = upload(api_as(alice), csv_file)

    assert response.status_code == HTTPStatus.CREATED
    version = response.json()["version"]
    assert (version["status"], version["pin_status"]) == ("uploaded", "queued")
    pin = Pin.objects.get()
    assert (pin.status, pin.attempts, pin.preadded) == (PinStatus.QUEUED, 0, False)
    assert Path(pin.staged_path).read_bytes() == CLEAN_CSV
    assert list(ProvenanceRecord.objects.values_list("kind", flat=True)) == ["upload"]


@pytest.mark.django_db
def test_it_adds_a_version_and_reads_it_back(alice, api_as, csv_file):
    client = api_as(alice)
    first = upload(client, csv_file).json()
    content = CLEAN_CSV + b"Braga,2024,8.4\n"

    response = client.post(
        f"/api/v1/datasets/{first['dataset']['id']}/versions/",
        {"format": "csv", "file": csv_file(content)},
        format="multipart",
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["number"] == 2
    assert response.json()["cid"] == cid_of_bytes(content)
    detail = client.get(f"/api/v1/versions/{response.json()['id']}/")
    assert detail.status_code == HTTPStatus.OK
    assert {k: detail.json()[k] for k in ("cid", "size", "status", "format")} == {
        "cid": cid_of_bytes(content),
        "size": len(content),
        "status": "pinned",
        "format": "csv",
    }


@pytest.mark.django_db
def test_anonymous_calls_get_401(client, csv_file):
    response = client.post("/api/v1/datasets/", {"title": "x"})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert client.get("/api/v1/versions/1/").status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_a_revoked_or_wrong_token_is_refused(client):
    response = client.get("/api/v1/versions/1/", HTTP_AUTHORIZATION="Token coop_nonsense")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Invalid or revoked token."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        ({"license": "WTFPL"}, 400, 'license: "WTFPL" is not a valid choice.'),
        ({"format": "xlsx"}, 400, 'format: "xlsx" is not a valid choice.'),
        ({"title": ""}, 400, "title: This field may not be blank."),
        ({"file": None}, 400, "file: No file was submitted."),
    ],
)
def test_it_validates_fields(alice, api_as, csv_file, fields, status, detail):
    data = {"title": "t", "license": "CC0-1.0", "format": "csv", "file": csv_file()}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}

    response = api_as(alice).post("/api/v1/datasets/", data, format="multipart")

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert not DatasetVersion.objects.exists()


@pytest.mark.django_db
def test_an_empty_file_is_refused(alice, api_as, csv_file):
    response = upload(api_as(alice), csv_file, file=csv_file(b""))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == "The file is empty."
    assert not Dataset.objects.exists()


@pytest.mark.django_db
def test_a_wrong_extension_is_refused(alice, api_as, csv_file):
    response = upload(api_as(alice), csv_file, format="parquet")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == (
        "A Parquet file must end with .parquet, .pq; got 'air.csv'."
    )
    assert not Dataset.objects.exists()


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused_and_not_staged(alice, api_as, csv_file, settings):
    settings.COOP_UPLOAD_MAX_BYTES = 1000
    big = b"a,b\n" + b"1,2\n" * 400  # 1604 bytes, under the envelope allowance

    response = upload(api_as(alice), csv_file, file=csv_file(big))

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json() == {"detail": "The file is larger than the limit of 1000\xa0bytes."}
    assert not Dataset.objects.exists()
    assert list(Path(settings.COOP_STAGING_DIR, "incoming").iterdir()) == []


@pytest.mark.django_db
def test_a_request_far_over_the_limit_is_refused_before_reading_the_file(
    alice, api_as, csv_file, settings
):
    settings.COOP_UPLOAD_MAX_BYTES = 10
    big = b"x,y\n" + b"1,2\n" * 300_000  # 1.2 MB: over limit + envelope allowance

    response = upload(api_as(alice), csv_file, file=csv_file(big))

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json() == {"detail": "The file is larger than the limit of 10\xa0bytes."}
    assert not Dataset.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_upload_points_to_the_existing_version(alice, carol, api_as, csv_file):
    first = upload(api_as(alice), csv_file).json()

    response = upload(api_as(carol), csv_file, title="Same bytes again")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {
        "detail": (
            f"These exact bytes are already in the cooperative as Air quality v1 "
            f"(CID {first['version']['cid']})."
        ),
        "existing_version": first["version"]["id"],
    }
    assert Dataset.objects.count() == 1
    staged = Path(settings.COOP_STAGING_DIR, first["version"]["cid"])
    assert staged.read_bytes() == CLEAN_CSV  # the first upload's staged file is untouched


@pytest.mark.django_db
def test_an_outsider_cannot_add_versions_or_see_unadmitted_ones(alice, mallory, api_as, csv_file):
    first = upload(api_as(alice), csv_file).json()
    outsider = api_as(mallory)

    added = outsider.post(
        f"/api/v1/datasets/{first['dataset']['id']}/versions/",
        {"format": "csv", "file": csv_file(b"a\n1\n")},
        format="multipart",
    )
    seen = outsider.get(f"/api/v1/versions/{first['version']['id']}/")

    assert added.status_code == HTTPStatus.NOT_FOUND
    assert added.json() == {"detail": "No such dataset."}
    assert seen.status_code == HTTPStatus.NOT_FOUND
    assert DatasetVersion.objects.count() == 1


@pytest.mark.django_db
def test_a_curator_sees_unadmitted_versions(alice, carol, api_as, csv_file):
    first = upload(api_as(alice), csv_file).json()
    response = api_as(carol).get(f"/api/v1/versions/{first['version']['id']}/")
    assert response.status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_an_admitted_parent_can_be_declared(alice, carol, api_as, csv_file):
    parent = upload(api_as(alice), csv_file).json()["version"]
    DatasetVersion.objects.filter(pk=parent["id"]).update(status=VersionStatus.ADMITTED)

    response = upload(
        api_as(carol),
        csv_file,
        title="Derived",
        file=csv_file(b"city\nLisbon\n"),
        parents=f'[{{"version": {parent["id"]}, "weight": "0.25"}}]',
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["version"]["parents"] == [
        {"version": parent["id"], "cid": parent["cid"], "weight": "0.250000"}
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("parents", "detail"),
    [
        ('[{"version": 999999, "weight": 0.1}]', "parents: Unknown parent version(s): [999999]."),
        ("not json", "parents: Value must be valid JSON."),
        ('{"version": 1}', 'parents: Expected a JSON list like [{"version": 3, "weight": 0.2}].'),
    ],
)
def test_bad_parents_are_refused(alice, api_as, csv_file, parents, detail):
    response = upload(api_as(alice), csv_file, parents=parents)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == detail
    assert not Dataset.objects.exists()


@pytest.mark.django_db
def test_parent_weights_above_one_are_refused(alice, api_as, csv_file):
    a = upload(api_as(alice), csv_file).json()["version"]
    b = upload(api_as(alice), csv_file, file=csv_file(b"x\n1\n")).json()["version"]
    DatasetVersion.objects.filter(pk__in=[a["id"], b["id"]]).update(status=VersionStatus.ADMITTED)

    response = upload(
        api_as(alice),
        csv_file,
        file=csv_file(b"y\n2\n"),
        parents=json.dumps(
            [{"version": a["id"], "weight": 0.6}, {"version": b["id"], "weight": 0.5}]
        ),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == "The royalty weights of the parents add up to 1.1, above 1."
    assert DatasetVersion.objects.count() == 2
