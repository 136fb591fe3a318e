"""The web UI: catalogue, dataset and version pages, the upload form, the owner's download."""

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ipfs.cid import cid_of_bytes
from marketplace.models import Dataset, DatasetVersion, PinStatus, VersionStatus
from tests import factories
from tests.marketplace.conftest import CLEAN_CSV


def post_dataset(client, **fields):
    data = {
        "title": "Bird counts",
        "description": "Volunteer counts",
        "license": "CC0-1.0",
        "format": "csv",
        "file": SimpleUploadedFile("birds.csv", CLEAN_CSV),
    }
    data.update(fields)
    return client.post("/datasets/new/", {k: v for k, v in data.items() if v is not None})


@pytest.mark.django_db
def test_the_upload_form_creates_a_dataset_and_redirects_to_the_version(web_as, alice):
    response = post_dataset(web_as(alice))

    version = DatasetVersion.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/versions/{version.pk}/"
    assert (version.dataset.title, version.license, version.format) == (
        "Bird counts",
        "CC0-1.0",
        "csv",
    )
    assert version.cid == cid_of_bytes(CLEAN_CSV)
    # The node took the bytes as they arrived, so the form's request recorded the pin.
    assert (version.status, version.pin.status) == (VersionStatus.PINNED, PinStatus.PINNED)

    page = web_as(alice).get(f"/versions/{version.pk}/").content.decode()
    assert version.cid in page
    assert f'data-status-url="/versions/{version.pk}/status/"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"file": SimpleUploadedFile("empty.csv", b"")}, "The submitted file is empty."),
        (
            {"file": SimpleUploadedFile("birds.xlsx", b"a,b\n")},
            "A CSV file must end with .csv; got",
        ),
        ({"license": "MIT-0"}, "Select a valid choice. MIT-0 is not one of the available choices."),
        ({"title": None}, "This field is required."),
        ({"format": "xml"}, "Select a valid choice. xml is not one of the available choices."),
    ],
)
def test_the_upload_form_explains_bad_input(web_as, alice, fields, message):
    response = post_dataset(web_as(alice), **fields)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert not Dataset.objects.exists()


@pytest.mark.django_db
def test_the_upload_form_explains_the_size_limit(web_as, alice, settings):
    settings.COOP_UPLOAD_MAX_BYTES = 20

    response = post_dataset(web_as(alice))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The file is larger than the limit of 20\xa0bytes." in response.content.decode()
    assert not Dataset.objects.exists()


@pytest.mark.django_db
def test_the_upload_form_points_to_the_existing_version_of_the_same_bytes(web_as, alice):
    post_dataset(web_as(alice))
    response = post_dataset(web_as(alice), title="Again")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "These exact bytes are already in the cooperative as Bird counts v1" in (
        response.content.decode()
    )
    assert Dataset.objects.count() == 1


@pytest.mark.django_db
def test_a_new_version_through_the_form(web_as, alice):
    post_dataset(web_as(alice))
    dataset = Dataset.objects.get()

    response = web_as(alice).post(
        f"/datasets/{dataset.pk}/versions/new/",
        {"format": "csv", "file": SimpleUploadedFile("birds2.csv", CLEAN_CSV + b"x,1,2\n")},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert list(dataset.versions.values_list("number", flat=True)) == [2, 1]


@pytest.mark.django_db
def test_an_outsider_cannot_add_a_version_see_it_or_download_it(web_as, client, alice, mallory):
    post_dataset(web_as(alice))
    dataset, version = Dataset.objects.get(), DatasetVersion.objects.get()
    outsider = web_as(mallory)

    add = outsider.post(
        f"/datasets/{dataset.pk}/versions/new/",
        {"format": "csv", "file": SimpleUploadedFile("x.csv", b"a\n1\n")},
    )
    assert add.status_code == HTTPStatus.NOT_FOUND
    assert outsider.get(f"/datasets/{dataset.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert outsider.get(f"/versions/{version.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert outsider.get(f"/versions/{version.pk}/status/").status_code == HTTPStatus.NOT_FOUND
    assert outsider.get(f"/versions/{version.pk}/download").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/versions/{version.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert DatasetVersion.objects.count() == 1


@pytest.mark.django_db
def test_an_outsider_sees_admitted_versions_but_cannot_download_them(web_as, alice, mallory):
    post_dataset(web_as(alice))
    version = DatasetVersion.objects.get()
    DatasetVersion.objects.filter(pk=version.pk).update(status=VersionStatus.ADMITTED)

    assert web_as(mallory).get(f"/versions/{version.pk}/").status_code == HTTPStatus.OK
    assert (
        web_as(mallory).get(f"/versions/{version.pk}/download").status_code == HTTPStatus.NOT_FOUND
    )


@pytest.mark.django_db
def test_the_catalogue_lists_only_admitted_datasets_and_filters(client, web_as, alice):
    post_dataset(web_as(alice), title="Hidden pending")
    post_dataset(
        web_as(alice),
        title="Air quality Lisbon",
        license="CC-BY-4.0",
        file=SimpleUploadedFile("air.csv", b"a\n1\n"),
    )
    post_dataset(
        web_as(alice),
        title="Bird counts",
        file=SimpleUploadedFile("birds.csv", b"b\n2\n"),
    )
    DatasetVersion.objects.exclude(dataset__title="Hidden pending").update(status="admitted")

    everything = client.get("/").content.decode()
    assert "Air quality Lisbon" in everything and "Bird counts" in everything
    assert "Hidden pending" not in everything
    by_text = client.get("/?q=lisbon").content.decode()
    assert "Air quality Lisbon" in by_text and "Bird counts" not in by_text
    by_license = client.get("/?license=CC0-1.0").content.decode()
    assert "Bird counts" in by_license and "Air quality Lisbon" not in by_license
    assert "No admitted dataset matches" in client.get("/?format=parquet").content.decode()


@pytest.mark.django_db
def test_the_catalogue_paginates(client, alice):
    for n in range(25):
        factories.dataset(alice, title=f"Set {n:02d}", license="CC0-1.0")
    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()
    assert "Page 1 of 2 · 25 datasets" in first
    assert first.count('href="/datasets/') == 20
    assert second.count('href="/datasets/') == 5


def test_the_owner_downloads_the_pinned_bytes_verified(pipeline, web_as, alice):
    post_dataset(web_as(alice))
    version = DatasetVersion.objects.get()
    pipeline.wait_for(version.pin, lambda p: p.status == PinStatus.PINNED)

    response = web_as(alice).get(f"/versions/{version.pk}/download")
    body = b"".join(response.streaming_content)

    assert response.status_code == HTTPStatus.OK
    assert body == CLEAN_CSV
    assert response["ETag"] == f'"{version.cid}"'
    assert response["Content-Length"] == str(len(CLEAN_CSV))
    assert response["Content-Disposition"] == 'attachment; filename="Bird-counts-v1.csv"'
    partial = web_as(alice).get(f"/versions/{version.pk}/download", HTTP_RANGE="bytes=5-9")
    assert partial.status_code == HTTPStatus.PARTIAL_CONTENT
    assert b"".join(partial.streaming_content) == CLEAN_CSV[5:10]
    assert partial["Content-Range"] == f"bytes 5-9/{len(CLEAN_CSV)}"
