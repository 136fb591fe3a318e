"""The real pipeline: upload → pin on the IPFS node, with the node up, down and back."""

from http import HTTPStatus
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ipfs.cid import cid_of_bytes
from ipfs.client import cat_iter, is_pinned
from marketplace.models import DatasetVersion, Pin, PinStatus, VersionStatus
from marketplace.tasks import retry_due_pins
from transparency.models import ProvenanceRecord

AFTER_PIN = {
    VersionStatus.PINNED,
    VersionStatus.CHECKING,
    VersionStatus.ADMITTED,
    VersionStatus.REJECTED,
}


def node_only_hash(api_addr: str, content: bytes) -> str:
    """The node's own CID for these bytes, asked over plain HTTP (not through our client)."""
    host, port = api_addr.split("/")[2], api_addr.split("/")[4]
    response = requests.post(
        f"http://{host}:{port}/api/v0/add",
        params={
            "only-hash": "true",
            "cid-version": "1",
            "raw-leaves": "true",
            "chunker": "size-262144",
            "cid-base": "base32",
            "pin": "false",
        },
        files={"file": ("data", content, "application/octet-stream")},  # js-ipfs needs the type
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["Hash"]


def test_an_upload_is_pinned_on_the_real_node_with_the_cid_we_computed(
    pipeline, alice, api_as, ipfs_node
):
    # Just over one 256 KiB chunk, so the CID is a dag-pb root over raw leaves.
    content = b"station,pm25\n" + b"".join(
        b"S%05d,%d.%d\n" % (i, i % 40, i % 10) for i in range(25_000)
    )
    response = api_as(alice).post(
        "/api/v1/datasets/",
        {
            "title": "Big air",
            "license": "CC0-1.0",
            "format": "csv",
            "file": SimpleUploadedFile("big.csv", content),
        },
        format="multipart",
    )
    assert response.status_code == HTTPStatus.CREATED
    version = DatasetVersion.objects.get(pk=response.json()["version"]["id"])

    pipeline.wait_for(version.pin, lambda p: p.status == PinStatus.PINNED)
    version.refresh_from_db()
    assert version.status in AFTER_PIN
    assert version.cid == node_only_hash(ipfs_node.api_addr, content)
    assert version.pin.staged_path == ""
    assert version.pin.preadded  # the node received the bytes while they were uploaded
    assert not Path(settings.COOP_STAGING_DIR, version.cid).exists()
    kinds = list(ProvenanceRecord.objects.values_list("kind", flat=True))
    assert kinds[:2] == ["upload", "pin"]


def test_the_node_down_during_pinning_loses_nothing_and_pins_once_back(
    pipeline, alice, api_as, ipfs_node
):
    content = b"a,b\n1,2\n3,4\n"
    ipfs_node.stop()
    try:
        response = api_as(alice).post(
            "/api/v1/datasets/",
            {
                "title": "While down",
                "license": "CC0-1.0",
                "format": "csv",
                "file": SimpleUploadedFile("down.csv", content),
            },
            format="multipart",
        )
        assert response.status_code == HTTPStatus.CREATED
        version = DatasetVersion.objects.get(pk=response.json()["version"]["id"])
        pin = pipeline.wait_for(
            version.pin, lambda p: p.attempts >= 1 and p.status == PinStatus.QUEUED
        )
        assert pin.last_error.startswith("IPFS node unavailable")
        assert not pin.preadded
        version.refresh_from_db()
        assert version.status == VersionStatus.PINNING
        assert "Waiting to retry" in version.status_reason
        assert Path(pin.staged_path).read_bytes() == content
    finally:
        ipfs_node.start()

    # What the beat schedule does every 30 s, without waiting for the back-off to elapse.
    Pin.objects.filter(pk=pin.pk).update(next_attempt_at=timezone.now())
    retry_due_pins.delay()
    pipeline.wait_for(pin, lambda p: p.status == PinStatus.PINNED, timeout=90)
    version.refresh_from_db()
    assert version.status in AFTER_PIN
    assert b"".join(cat_iter(version.cid)) == content


@pytest.mark.django_db
def test_a_refused_upload_releases_what_it_pinned_on_the_way_in(alice, api_as, ipfs_node):
    content = b"a,b\n7,8\n"

    response = api_as(alice).post(
        "/api/v1/datasets/",
        {
            "title": "Wrong ending",
            "license": "CC0-1.0",
            "format": "parquet",
            "file": SimpleUploadedFile("w.csv", content),
        },
        format="multipart",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not is_pinned(cid_of_bytes(content))


def test_a_refused_duplicate_keeps_the_pin_of_the_version_it_duplicates(
    pipeline, alice, mallory, api_as
):
    content = b"a,b\n9,10\n"

    def send(client):
        return client.post(
            "/api/v1/datasets/",
            {
                "title": "Twice",
                "license": "CC0-1.0",
                "format": "csv",
                "file": SimpleUploadedFile("t.csv", content),
            },
            format="multipart",
        )

    first = send(api_as(alice))
    version = DatasetVersion.objects.get(pk=first.json()["version"]["id"])
    pipeline.wait_for(version.pin, lambda p: p.status == PinStatus.PINNED)

    assert send(api_as(mallory)).status_code == HTTPStatus.CONFLICT
    assert is_pinned(version.cid)
