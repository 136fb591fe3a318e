"""The contributors' offers pages and the curators' credit top-up page."""

from http import HTTPStatus

import pytest

from ledger.selectors import member_balance
from licensing.models import LicenseOffer
from marketplace.models import VersionStatus

pytestmark = pytest.mark.django_db


def test_a_contributor_publishes_and_withdraws_an_offer(alice, web_as, make):
    version = make.dataset(alice)
    client = web_as(alice)
    page = f"/licensing/datasets/{version.dataset_id}/offers/"

    assert client.get("/licensing/").status_code == HTTPStatus.OK
    assert client.get(page).status_code == HTTPStatus.OK
    response = client.post(
        page,
        {
            "license": "CC-BY-4.0",
            "use": "commercial",
            "price": "990",
            "currency": "EUR",
            "duration_days": "",
            "versions": [str(version.pk)],
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    offer = LicenseOffer.objects.get()
    assert (offer.use, offer.price, offer.duration_days, offer.all_versions) == (
        "commercial",
        990,
        None,
        False,
    )
    assert list(offer.versions.values_list("pk", flat=True)) == [version.pk]
    listed = client.get(page)
    assert b"perpetual" in listed.content and b"990 EUR" in listed.content

    response = client.post(f"/licensing/offers/{offer.pk}/withdraw/")
    assert response.status_code == HTTPStatus.FOUND
    offer.refresh_from_db()
    assert offer.is_active is False


def test_invalid_offers_show_errors(alice, web_as, make):
    version = make.dataset(alice)

    response = web_as(alice).post(
        f"/licensing/datasets/{version.dataset_id}/offers/",
        {"license": "CC-BY-4.0", "use": "research", "price": "-5", "currency": "EUR"},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"greater than or equal to 0" in response.content
    assert not LicenseOffer.objects.exists()


def test_offers_need_an_admitted_version(alice, web_as, make):
    version = make.dataset(alice, status=VersionStatus.CHECKING)

    response = web_as(alice).post(
        f"/licensing/datasets/{version.dataset_id}/offers/",
        {"license": "CC-BY-4.0", "use": "research", "price": "5", "currency": "EUR"},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"passed the quality gate" in response.content


def test_outsiders_cannot_manage_offers(alice, mallory, web_as, make):
    version = make.dataset(alice)
    offer = make.offer(alice, version.dataset)
    client = web_as(mallory)

    assert client.get(f"/licensing/datasets/{version.dataset_id}/offers/").status_code == 404
    assert client.post(f"/licensing/offers/{offer.pk}/withdraw/").status_code == 404
    offer.refresh_from_db()
    assert offer.is_active is True


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/licensing/credits/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


def test_a_curator_tops_up_credit(bob, carol, web_as):
    client = web_as(carol)

    assert client.get("/licensing/credits/").status_code == HTTPStatus.OK
    response = client.post(
        "/licensing/credits/",
        {"username": "bob", "amount": "2500", "currency": "EUR", "note": "grant"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert member_balance(bob.user) == 2500
    page = client.get("/licensing/credits/")
    assert b"2500 EUR" in page.content


def test_top_up_errors_and_outsiders(bob, carol, mallory, web_as):
    response = web_as(carol).post(
        "/licensing/credits/", {"username": "nobody", "amount": "5", "currency": "EUR"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"No member with that username." in response.content

    for who in (bob, mallory):
        assert web_as(who).get("/licensing/credits/").status_code == HTTPStatus.FORBIDDEN
        response = web_as(who).post(
            "/licensing/credits/", {"username": "bob", "amount": "5", "currency": "EUR"}
        )
        assert response.status_code == HTTPStatus.FORBIDDEN
    assert member_balance(bob.user) == 0
