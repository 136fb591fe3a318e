"""GET /api/v1/datasets/, GET /api/v1/datasets/{id}/ and GET /api/v1/datasets/{id}/croissant."""

from http import HTTPStatus

import mlcroissant
import pytest
from rest_framework.test import APIClient

from marketplace.models import VersionStatus

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def test_it_lists_only_datasets_with_an_admitted_version(alice, bob, api_as, make):
    shown = make.dataset(alice, title="Shown")
    make.dataset(alice, title="Checking", status=VersionStatus.CHECKING)
    make.dataset(alice, title="Rejected", status=VersionStatus.REJECTED)
    make.version(alice, shown.dataset, status=VersionStatus.REJECTED)

    response = api_as(bob).get("/api/v1/datasets/")

    assert response.status_code == HTTPStatus.OK
    assert ids(response) == [shown.dataset_id]
    item = response.json()["results"][0]
    assert item["versions_admitted"] == 1
    assert item["latest_version"]["id"] == shown.pk


def test_filters(alice, bob, api_as, make):
    air = make.dataset(alice, title="Air", license="CC-BY-4.0").dataset
    noise = make.dataset(alice, title="Noise", license="ODbL-1.0", description="street dB").dataset
    jsonl = make.dataset(
        alice, title="Logs", license="CC0-1.0", fmt="jsonl", content=b'{"a": 1}\n'
    ).dataset
    make.offer(alice, air, use="research", price=500)
    make.offer(alice, air, use="commercial", price=50_000)
    make.offer(alice, noise, use="commercial", price=2_000, license="CC-BY-NC-4.0")
    client = api_as(bob)

    def search(**params) -> list[int]:
        response = client.get("/api/v1/datasets/", params)
        assert response.status_code == HTTPStatus.OK, response.json()
        return ids(response)

    assert set(search()) == {air.pk, noise.pk, jsonl.pk}
    assert search(q="street") == [noise.pk]
    assert search(q="NOISE") == [noise.pk]
    assert search(format="jsonl") == [jsonl.pk]
    assert search(use="research") == [air.pk]
    assert set(search(use="commercial")) == {air.pk, noise.pk}
    assert search(use="commercial", price_max=10_000) == [noise.pk]
    assert search(use="research", price_min=1000) == []
    assert search(price_min=1_000, price_max=3_000) == [noise.pk]
    assert search(license="ODbL-1.0") == [noise.pk]
    assert search(license="CC-BY-NC-4.0") == [noise.pk]  # an offer's licence
    assert search(license="CC0-1.0", format="jsonl") == [jsonl.pk]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"format": "xls"}, 'format: "xls" is not a valid choice.'),
        ({"license": "MIT-ish"}, 'license: "MIT-ish" is not a valid choice.'),
        ({"use": "military"}, 'use: "military" is not a valid choice.'),
        ({"price_min": "-1"}, "price_min: Ensure this value is greater than or equal to 0."),
        ({"price_max": "cheap"}, "price_max: A valid integer is required."),
        ({"price_min": "10", "price_max": "5"}, "price_max: Must not be below price_min."),
        ({"page_size": "0"}, "page_size: Ensure this value is greater than or equal to 1."),
    ],
)
def test_bad_filters_are_400(bob, api_as, params, detail):
    response = api_as(bob).get("/api/v1/datasets/", params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == detail


def test_a_page_past_the_end_is_404(bob, api_as):
    response = api_as(bob).get("/api/v1/datasets/", {"page": 5})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "Invalid page."}


def test_pagination(alice, bob, api_as, make):
    for n in range(3):
        make.dataset(alice, title=f"Set {n}")
    response = api_as(bob).get("/api/v1/datasets/", {"page_size": 2})

    body = response.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"].endswith("/api/v1/datasets/?page=2&page_size=2")


def test_list_and_detail_query_counts_do_not_grow_with_the_page(
    alice, bob, api_as, make, django_assert_num_queries
):
    client = api_as(bob)
    first = make.dataset(alice, title="First")
    make.offer(alice, first.dataset, price=100)
    client.get("/api/v1/me/")  # the token's last-use stamp is written once, not per request
    # Cold: auth + catalogue generation + count + page + versions + offers + offer versions +
    # contributors + quality reports (one query to find the latest reports; none are loaded as
    # these versions have none). Warm (cached, catalogue unchanged): auth + generation.
    with django_assert_num_queries(9):
        client.get("/api/v1/datasets/")
    with django_assert_num_queries(2):
        client.get("/api/v1/datasets/")
    for n in range(6):
        version = make.dataset(alice, title=f"More {n}")
        make.version(alice, version.dataset)
        make.offer(alice, version.dataset, price=100 + n)
        make.offer(alice, version.dataset, price=200 + n, version_ids=[version.pk])
    with django_assert_num_queries(9):
        response = client.get("/api/v1/datasets/")
    assert response.json()["count"] == 7
    with django_assert_num_queries(2):
        client.get("/api/v1/datasets/")

    # Cold: auth + generation + dataset + versions + offers + offer versions + contributors +
    # quality reports. Warm: auth + generation.
    for dataset_id in (first.dataset_id, version.dataset_id):
        with django_assert_num_queries(8):
            client.get(f"/api/v1/datasets/{dataset_id}/")
        with django_assert_num_queries(2):
            client.get(f"/api/v1/datasets/{dataset_id}/")


def test_detail_hides_unadmitted_versions_and_unknown_datasets(alice, bob, api_as, make):
    shown = make.dataset(alice)
    make.version(alice, shown.dataset, status=VersionStatus.REJECTED)
    hidden = make.dataset(alice, status=VersionStatus.PINNED)
    client = api_as(bob)

    detail = client.get(f"/api/v1/datasets/{shown.dataset_id}/")
    assert [v["id"] for v in detail.json()["versions"]] == [shown.pk]
    for url in (
        f"/api/v1/datasets/{hidden.dataset_id}/",
        "/api/v1/datasets/999999/",
        f"/api/v1/datasets/{2**64}/",
        f"/api/v1/datasets/{hidden.dataset_id}/croissant",
    ):
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, url
        assert response.json() == {"detail": "No such dataset in the catalogue."}


@pytest.mark.parametrize(
    "url", ["/api/v1/datasets/", "/api/v1/datasets/1/", "/api/v1/datasets/1/croissant"]
)
def test_anonymous_is_401(url):
    response = APIClient().get(url)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_croissant_is_valid_for_mlcroissant(alice, bob, api_as, make):
    v1 = make.dataset(alice)
    v2 = make.version(alice, v1.dataset)
    make.version(alice, v1.dataset, status=VersionStatus.REJECTED)

    response = api_as(bob).get(f"/api/v1/datasets/{v1.dataset_id}/croissant")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/ld+json"
    doc = response.json()
    assert doc["@type"] == "sc:Dataset"
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert doc["name"] == "Air quality"
    assert doc["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert doc["identifier"] == v2.cid
    files = {f["@id"]: f for f in doc["distribution"]}
    assert set(files) == {"version-1", "version-2"}
    assert files["version-2"]["sha256"] == v2.sha256
    assert files["version-2"]["sameAs"] == [f"ipfs://{v2.cid}"]
    assert files["version-2"]["contentUrl"] == (
        f"http://testserver/api/v1/versions/{v2.pk}/download"
    )
    assert files["version-1"]["sha256"] == v1.sha256
    fields = doc["recordSet"][0]["field"]
    assert [(f["name"], f["dataType"]) for f in fields] == [
        ("city", "sc:Text"),
        ("year", "sc:Integer"),
        ("pm25", "sc:Float"),
    ]
    # mlcroissant raises ValidationError on any error; warnings are allowed.
    dataset = mlcroissant.Dataset(jsonld=doc)
    assert dataset.metadata.name == "Air quality"
    assert [f.name for f in dataset.metadata.record_sets[0].fields] == ["city", "year", "pm25"]
    assert not dataset.metadata.ctx.issues.errors
