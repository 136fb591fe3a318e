"""GET /api/v1/versions/{id}/download: who may download, ranges, and the record of it."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from licensing.models import AccessGrant, Download
from licensing.services import purchase_create
from marketplace.models import VersionStatus
from tests.factories import CSV

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(alice, make, ipfs_api_addr):
    return make.dataset(alice, content=CSV)


def url(version_id) -> str:
    return f"/api/v1/versions/{version_id}/download"


def grant_for(buyer, offer, key="k") -> AccessGrant:
    outcome = purchase_create(buyer=buyer.user, offer=offer, idempotency_key=key, fingerprint=key)
    return outcome.purchase.grant


def test_no_grant_is_403(mallory, api_as, version):
    response = api_as(mallory).get(url(version.pk))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "no grant"}
    assert not Download.objects.exists()


def test_an_expired_grant_is_403(alice, bob, api_as, make, version):
    grant = grant_for(bob, make.offer(alice, version.dataset, price=0))
    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(days=1))

    response = api_as(bob).get(url(version.pk))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "grant expired"}


def test_a_grant_for_another_version_is_403(alice, bob, api_as, make, version):
    other = make.version(alice, version.dataset)
    grant_for(bob, make.offer(alice, version.dataset, price=0, version_ids=[other.pk]))

    response = api_as(bob).get(url(version.pk))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "no grant"}
    assert api_as(bob).get(url(other.pk)).status_code == HTTPStatus.OK


def test_a_non_admitted_version_is_404_even_with_a_grant(alice, bob, api_as, make, version):
    grant_for(bob, make.offer(alice, version.dataset, price=0))
    from marketplace.services import version_set_status

    version_set_status(version, VersionStatus.REJECTED, "withdrawn")

    response = api_as(bob).get(url(version.pk))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "No such version."}


def test_unknown_versions_are_404(bob, api_as):
    for version_id in (999999, 2**64):
        response = api_as(bob).get(url(version_id))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {"detail": "No such version."}


def test_anonymous_is_401(version):
    response = APIClient().get(url(version.pk))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_contributors_and_curators_download_without_a_grant(alice, carol, api_as, make, version):
    unadmitted = make.version(alice, version.dataset, status=VersionStatus.REJECTED)

    for member, target, via in ((alice, unadmitted, "contributor"), (carol, version, "curator")):
        response = api_as(member).get(url(target.pk))
        assert response.status_code == HTTPStatus.OK
        assert b"".join(response.streaming_content).startswith(b"city,year,pm25\n")
        assert Download.objects.filter(user=member.user, version=target, via=via).exists()


@pytest.mark.parametrize(
    ("header", "code", "detail"),
    [
        ("bytes=0-1,4-5", 400, "Only a single range of the form 'bytes=start-end' is supported."),
        ("items=0-10", 400, "Only a single range of the form 'bytes=start-end' is supported."),
        ("bytes=-", 400, "The range names neither a start nor an end."),
        ("bytes=9999-", 416, f"The range starts beyond the file's {len(CSV)} bytes."),
    ],
)
def test_unsupported_ranges_are_4xx_json(alice, api_as, version, header, code, detail):
    response = api_as(alice).get(url(version.pk), HTTP_RANGE=header)

    assert response.status_code == code
    assert response.json() == {"detail": detail}
    assert not Download.objects.exists()


def test_a_suffix_range(alice, api_as, version):
    response = api_as(alice).get(url(version.pk), HTTP_RANGE="bytes=-10")

    assert response.status_code == HTTPStatus.PARTIAL_CONTENT
    assert b"".join(response.streaming_content) == CSV[-10:]
    record = Download.objects.get()
    assert (record.range_start, record.range_end, record.length) == (
        len(CSV) - 10,
        len(CSV) - 1,
        10,
    )


def test_a_version_not_pinned_yet_is_409(alice, api_as, make):
    version = make.dataset(alice, pinned=False)  # admitted in the database, never pinned

    response = api_as(alice).get(url(version.pk))

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {"detail": "This version is not pinned on IPFS yet."}
