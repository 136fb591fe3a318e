"""GET and POST /api/v1/datasets/{id}/offers/ (the dataset's contributors only)."""

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from licensing.models import LicenseOffer
from marketplace.models import VersionStatus
from transparency.models import ProvenanceRecord

pytestmark = pytest.mark.django_db

BODY = {
    "license": "CC-BY-4.0",
    "use": "research",
    "price": 1250,
    "currency": "EUR",
    "duration_days": 30,
}


def test_it_creates_an_offer(alice, api_as, make):
    version = make.dataset(alice)

    response = api_as(alice).post(
        f"/api/v1/datasets/{version.dataset_id}/offers/", BODY, format="json"
    )

    assert response.status_code == HTTPStatus.CREATED
    offer = LicenseOffer.objects.get()
    assert response.json() == {
        "id": offer.pk,
        "dataset": version.dataset_id,
        "license": "CC-BY-4.0",
        "use": "research",
        "price": 1250,
        "currency": "EUR",
        "duration_days": 30,
        "all_versions": True,
        "versions": [],
        "active": True,
        "created_at": response.json()["created_at"],
    }
    assert (offer.created_by_id, offer.all_versions, offer.is_active) == (alice.user.pk, True, True)
    record = ProvenanceRecord.objects.get(kind="offer")
    assert record.subject == f"dataset:{version.dataset_id}"
    assert record.payload["price"] == 1250


def test_perpetual_free_offer_pinned_to_versions(alice, api_as, make):
    v1 = make.dataset(alice)
    make.version(alice, v1.dataset)
    body = {
        "license": "CC0-1.0",
        "use": "commercial",
        "price": 0,
        "duration_days": None,
        "versions": [v1.pk],
    }

    response = api_as(alice).post(f"/api/v1/datasets/{v1.dataset_id}/offers/", body, format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["duration_days"] is None
    assert response.json()["currency"] == "EUR"
    assert response.json()["all_versions"] is False
    assert response.json()["versions"] == [v1.pk]
    listed = api_as(alice).get(f"/api/v1/datasets/{v1.dataset_id}/offers/")
    assert listed.status_code == HTTPStatus.OK
    assert [o["id"] for o in listed.json()] == [response.json()["id"]]


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"price": -1}, "price: Ensure this value is greater than or equal to 0."),
        ({"price": "a lot"}, "price: A valid integer is required."),
        ({"use": "military"}, 'use: "military" is not a valid choice.'),
        ({"license": "WTFPL"}, 'license: "WTFPL" is not a valid choice.'),
        ({"currency": "BTC"}, 'currency: "BTC" is not a valid choice.'),
        ({"duration_days": 0}, "duration_days: Ensure this value is greater than or equal to 1."),
        ({"versions": [999999]}, "versions: Not admitted versions of this dataset: [999999]."),
    ],
)
def test_bad_input_is_400(alice, api_as, make, change, detail):
    version = make.dataset(alice)

    response = api_as(alice).post(
        f"/api/v1/datasets/{version.dataset_id}/offers/", {**BODY, **change}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == detail
    assert not LicenseOffer.objects.exists()


def test_malformed_json_is_400(alice, api_as, make):
    version = make.dataset(alice)

    response = api_as(alice).post(
        f"/api/v1/datasets/{version.dataset_id}/offers/",
        data='{"price": 12',
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("JSON parse error")


def test_a_dataset_without_admitted_version_cannot_be_offered(alice, api_as, make):
    version = make.dataset(alice, status=VersionStatus.CHECKING)

    response = api_as(alice).post(
        f"/api/v1/datasets/{version.dataset_id}/offers/", BODY, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == "Only datasets with an admitted version can be offered."


def test_outsiders_cannot_see_or_set_offers(alice, mallory, api_as, make):
    version = make.dataset(alice)
    make.offer(alice, version.dataset)
    url = f"/api/v1/datasets/{version.dataset_id}/offers/"

    for response in (api_as(mallory).get(url), api_as(mallory).post(url, BODY, format="json")):
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json() == {
            "detail": "Only the dataset's contributors can manage its offers."
        }
    assert LicenseOffer.objects.count() == 1


def test_unknown_or_hidden_dataset_is_404(alice, mallory, api_as, make):
    hidden = make.dataset(alice, status=VersionStatus.REJECTED)

    for url in ("/api/v1/datasets/999999/offers/", f"/api/v1/datasets/{hidden.dataset_id}/offers/"):
        response = api_as(mallory).get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {"detail": "No such dataset."}


def test_anonymous_is_401(alice, make):
    version = make.dataset(alice)

    response = APIClient().post(
        f"/api/v1/datasets/{version.dataset_id}/offers/", BODY, format="json"
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED
