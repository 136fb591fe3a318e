"""The catalogue's cached responses: identical to fresh ones, never stale, still guarded."""

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from licensing.models import LicenseOffer
from licensing.services import offer_withdraw
from marketplace.models import VersionStatus
from marketplace.services import version_set_status
from quality.models import QualityReport
from quality.services import override_create, policy_current
from tests.licensing.conftest import admit

pytestmark = pytest.mark.django_db

LIST = "/api/v1/datasets/"
HEADERS = ("Content-Type", "ETag", "Vary", "Allow", "X-Frame-Options")


def detail(dataset_id: int) -> str:
    return f"/api/v1/datasets/{dataset_id}/"


def croissant(dataset_id: int) -> str:
    return f"/api/v1/datasets/{dataset_id}/croissant"


def offer_ids(body: dict) -> list[int]:
    return [o["id"] for o in body["offers"]]


@pytest.fixture
def catalogue(alice, make):
    """Two admitted datasets, one with a second version, each with an offer."""
    air = make.dataset(alice, title="Air")
    make.version(alice, air.dataset)
    noise = make.dataset(alice, title="Noise")
    make.offer(alice, air.dataset, price=500)
    make.offer(alice, noise.dataset, price=900, use="commercial")
    return air.dataset, noise.dataset


@pytest.mark.parametrize("kind", ["list", "detail", "croissant"])
def test_a_warm_response_is_the_cold_one(bob, api_as, catalogue, kind):
    air, _ = catalogue
    url = {"list": LIST + "?page_size=1", "detail": detail(air.pk), "croissant": croissant(air.pk)}
    client = api_as(bob)

    cold = client.get(url[kind])
    warm = client.get(url[kind])

    assert cold.status_code == warm.status_code == HTTPStatus.OK
    assert warm.content == cold.content
    assert warm.json() == cold.json()
    assert {h: warm.get(h) for h in HEADERS} == {h: cold.get(h) for h in HEADERS}
    assert cold["ETag"]


def test_every_caller_gets_the_same_catalogue(bob, carol, mallory, api_as, catalogue):
    air, _ = catalogue
    for url in (LIST, detail(air.pk), croissant(air.pk)):
        bodies = [api_as(member).get(url).content for member in (bob, carol, mallory)]
        assert bodies[0] == bodies[1] == bodies[2], url


def test_a_new_offer_shows_at_once(alice, bob, api_as, make, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    before = client.get(detail(air.pk)).json()
    client.get(LIST)

    offer = make.offer(alice, air, price=7_000, use="commercial")

    after = client.get(detail(air.pk)).json()
    assert offer_ids(after) == [*offer_ids(before), offer.pk]
    listed = {d["id"]: d for d in client.get(LIST).json()["results"]}
    assert offer.pk in offer_ids(listed[air.pk])


def test_a_withdrawn_offer_disappears_at_once(alice, bob, api_as, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    offer = LicenseOffer.objects.get(dataset=air)
    assert offer_ids(client.get(detail(air.pk)).json()) == [offer.pk]
    assert client.get(LIST, {"use": "research"}).json()["count"] == 1

    offer_withdraw(user=alice.user, offer=offer)

    assert offer_ids(client.get(detail(air.pk)).json()) == []
    assert client.get(LIST, {"use": "research"}).json()["count"] == 0


def test_a_deleted_offer_disappears_at_once(bob, api_as, catalogue):
    """Deletion (the admin can delete an unsold offer) moves no timestamp; the count does."""
    _, noise = catalogue
    client = api_as(bob)
    assert len(client.get(detail(noise.pk)).json()["offers"]) == 1

    LicenseOffer.objects.filter(dataset=noise).delete()

    assert client.get(detail(noise.pk)).json()["offers"] == []


def test_an_admitted_version_shows_at_once(alice, bob, api_as, make, catalogue):
    _, noise = catalogue
    client = api_as(bob)
    pending = make.version(alice, noise, status=VersionStatus.CHECKING)
    assert [v["id"] for v in client.get(detail(noise.pk)).json()["versions"]] != [pending.pk]
    client.get(LIST)

    admit(pending)

    body = client.get(detail(noise.pk)).json()
    assert body["versions"][0]["id"] == pending.pk
    assert body["versions"][0]["quality"]["verdict"] == "admitted"
    listed = {d["id"]: d for d in client.get(LIST).json()["results"]}
    assert listed[noise.pk]["latest_version"]["id"] == pending.pk
    assert listed[noise.pk]["versions_admitted"] == 2


def test_a_rejected_version_disappears_at_once(bob, api_as, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    versions = [v["id"] for v in client.get(detail(air.pk)).json()["versions"]]
    assert len(versions) == 2
    client.get(croissant(air.pk))

    version_set_status(air.versions.get(pk=versions[0]), VersionStatus.REJECTED, "Re-checked.")

    assert [v["id"] for v in client.get(detail(air.pk)).json()["versions"]] == versions[1:]
    doc = client.get(croissant(air.pk)).json()
    assert [f["@id"] for f in doc["distribution"]] == ["version-1"]


def test_a_new_admitted_dataset_shows_at_once(alice, bob, api_as, make, catalogue):
    client = api_as(bob)
    assert client.get(LIST).json()["count"] == 2
    pending = make.dataset(alice, title="Water", status=VersionStatus.CHECKING)
    assert client.get(LIST).json()["count"] == 2
    assert client.get(detail(pending.dataset_id)).status_code == HTTPStatus.NOT_FOUND

    admit(pending)

    body = client.get(LIST).json()
    assert body["count"] == 3
    assert body["results"][0]["title"] == "Water"
    assert client.get(detail(pending.dataset_id)).status_code == HTTPStatus.OK


def test_a_new_quality_report_and_override_show_at_once(bob, carol, api_as, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    latest = air.versions.order_by("-number").first()
    assert client.get(detail(air.pk)).json()["quality"]["report"] is None

    report = QualityReport.objects.create(
        version=latest, policy=policy_current(), verdict="admitted", counts={"warnings": 2}
    )

    quality = client.get(detail(air.pk)).json()["quality"]
    assert (quality["report"], quality["warnings"], quality["overridden"]) == (report.pk, 2, False)

    override_create(user=carol.user, version=latest, decision="admitted", reason="Checked.")

    quality = client.get(detail(air.pk)).json()["quality"]
    assert quality["overridden"] is True
    assert quality["reason"] == "Curator override by carol: Checked."


def test_pagination_links_follow_the_host_and_scheme(bob, api_as, catalogue):
    client = api_as(bob)
    plain = client.get(LIST, {"page_size": 1}).json()
    secure = client.get(LIST, {"page_size": 1}, secure=True).json()
    other = client.get(LIST, {"page_size": 1}, HTTP_HOST="localhost").json()

    assert plain["next"] == "http://testserver/api/v1/datasets/?page=2&page_size=1"
    assert secure["next"] == "https://testserver/api/v1/datasets/?page=2&page_size=1"
    assert other["next"] == "http://localhost/api/v1/datasets/?page=2&page_size=1"


def test_if_none_match_gets_304_until_the_catalogue_changes(alice, bob, api_as, make, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    first = client.get(detail(air.pk))
    etag = first["ETag"]

    again = client.get(detail(air.pk), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""
    assert again["ETag"] == etag
    # Another URL's tag does not match this one.
    assert client.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == HTTPStatus.OK

    make.offer(alice, air, price=3_000)

    changed = client.get(detail(air.pk), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == HTTPStatus.OK
    assert changed["ETag"] != etag


def test_if_none_match_star_does_not_hide_a_missing_dataset(bob, api_as, catalogue):
    response = api_as(bob).get(detail(999_999), HTTP_IF_NONE_MATCH="*")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "No such dataset in the catalogue."}


@pytest.mark.parametrize("kind", ["list", "detail", "croissant"])
def test_cached_responses_still_need_authentication(bob, api_as, catalogue, kind):
    air, _ = catalogue
    url = {"list": LIST, "detail": detail(air.pk), "croissant": croissant(air.pk)}[kind]
    warm = api_as(bob).get(url)
    assert warm.status_code == HTTPStatus.OK

    anonymous = APIClient().get(url, HTTP_IF_NONE_MATCH=warm["ETag"])
    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}

    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = forged.get(url)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Invalid or revoked token."}


def test_the_browsable_api_is_never_served_from_the_json_cache(bob, mallory, web_as, catalogue):
    """The HTML page names the signed-in member, so it is built for each request."""
    web_as(bob).get(LIST, HTTP_ACCEPT="application/json")

    page = web_as(mallory).get(LIST, HTTP_ACCEPT="text/html")

    assert page.status_code == HTTPStatus.OK
    assert page["Content-Type"].startswith("text/html")
    assert "mallory" in page.content.decode()
    assert "bob" not in page.content.decode()


def test_the_benchmark_baseline_authenticates_like_the_catalogue(
    bob, api_as, django_assert_num_queries
):
    """bench/api.py compares the catalogue with /api/v1/health/: both run token auth."""
    client = api_as(bob)
    client.get("/api/v1/health/")  # the token's last-use stamp is written once a minute
    with django_assert_num_queries(1):  # the token and its user, in one query
        assert client.get("/api/v1/health/").status_code == HTTPStatus.OK

    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert forged.get("/api/v1/health/").status_code == HTTPStatus.UNAUTHORIZED
