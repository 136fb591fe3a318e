"""The whole buyer's journey through the API: search → detail → buy → grant → download, with
the bytes checked against the CID independently of the server."""

from http import HTTPStatus

import ipfshttpclient
from django.db.models import Sum

from ipfs.cid import cid_of_bytes, normalize_cid
from ledger.models import Account, AccountKind, LedgerEntry, RevenueEvent
from licensing.models import AccessGrant, Download, Purchase
from tests.factories import CSV, SCHEMA
from transparency.models import ProvenanceRecord
from transparency.services import chain_verify


def node_cid(api_addr: str, content: bytes, tmp_path) -> str:
    """The IPFS node's own CID for these bytes (hash only), through the third-party client."""
    path = tmp_path / "downloaded.bin"
    path.write_bytes(content)
    client = ipfshttpclient.Client(api_addr, timeout=60)
    response = client.add(
        str(path), only_hash=True, pin=False, cid_version=1, raw_leaves=True, chunker="size-262144"
    )
    return normalize_cid(response["Hash"])


def test_search_detail_buy_grant_download(alice, bob, api_as, make, fund, ipfs_api_addr, tmp_path):
    version = make.dataset(alice, content=CSV)
    dataset = version.dataset
    make.dataset(alice, title="Noise levels", description="Decibels by street")
    offer = make.offer(alice, dataset, price=1250, duration_days=30)
    fund(bob, 5000)
    client = api_as(bob)

    # Search.
    found = client.get("/api/v1/datasets/", {"q": "pm2.5", "use": "research"})
    assert found.status_code == HTTPStatus.OK
    body = found.json()
    assert body["count"] == 1
    assert body["next"] is None
    assert body["previous"] is None
    item = body["results"][0]
    offer_json = {
        "id": offer.pk,
        "dataset": dataset.pk,
        "license": "CC-BY-4.0",
        "use": "research",
        "price": 1250,
        "currency": "EUR",
        "duration_days": 30,
        "all_versions": True,
        "versions": [],
        "active": True,
        "created_at": item["offers"][0]["created_at"],
    }
    quality = {
        "verdict": "admitted",
        "reason": "",
        "report": None,
        "warnings": 0,
        "critical_failed": 0,
        "overridden": False,
        "report_url": None,
    }
    version_json = {
        "id": version.pk,
        "number": 1,
        "cid": cid_of_bytes(CSV),
        "sha256": version.sha256,
        "size": len(CSV),
        "format": "csv",
        "license": "CC-BY-4.0",
        "row_count": 3,
        "created_at": item["latest_version"]["created_at"],
        "quality": quality,
    }
    assert item == {
        "id": dataset.pk,
        "title": "Air quality",
        "description": "Hourly PM2.5 by city",
        "license": "CC-BY-4.0",
        "contributors": [{"id": alice.user.pk, "username": "alice", "share_weight": 1}],
        "formats": ["csv"],
        "versions_admitted": 1,
        "latest_version": version_json,
        "quality": quality,
        "offers": [offer_json],
        "updated_at": item["updated_at"],
    }

    # Detail.
    detail = client.get(f"/api/v1/datasets/{dataset.pk}/")
    assert detail.status_code == HTTPStatus.OK
    assert detail.json() == {
        "id": dataset.pk,
        "title": "Air quality",
        "description": "Hourly PM2.5 by city",
        "license": "CC-BY-4.0",
        "contributors": [{"id": alice.user.pk, "username": "alice", "share_weight": 1}],
        "formats": ["csv"],
        "quality": quality,
        "versions": [
            {
                **version_json,
                "schema": SCHEMA,
                "download_url": f"/api/v1/versions/{version.pk}/download",
            }
        ],
        "offers": [offer_json],
        "croissant_url": f"/api/v1/datasets/{dataset.pk}/croissant",
        "created_at": detail.json()["created_at"],
        "updated_at": detail.json()["updated_at"],
    }

    # Buy.
    bought = client.post(
        "/api/v1/purchases/", {"offer": offer.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert bought.status_code == HTTPStatus.CREATED
    purchase = Purchase.objects.get()
    grant = AccessGrant.objects.get()
    assert grant.expires_at is not None
    grant_json = {
        "id": grant.pk,
        "purchase": purchase.pk,
        "dataset": dataset.pk,
        "versions": [
            {
                "id": version.pk,
                "number": 1,
                "cid": version.cid,
                "size": len(CSV),
                "format": "csv",
            }
        ],
        "license": "CC-BY-4.0",
        "use": "research",
        "expires_at": grant.expires_at.isoformat().replace("+00:00", "Z"),
        "active": True,
        "created_at": bought.json()["grant"]["created_at"],
    }
    assert bought.json() == {
        "id": purchase.pk,
        "offer": offer.pk,
        "dataset": dataset.pk,
        "price": 1250,
        "fee": 125,
        "currency": "EUR",
        "payment_provider": "cooperative_credit",
        "ledger_transaction": purchase.ledger_transaction_id,
        "grant": grant_json,
        "created_at": bought.json()["created_at"],
    }
    assert (grant.expires_at - purchase.created_at).days in (29, 30)

    # The books: buyer -1250, treasury +125 (10 %), the version holds +1125; the sale sums to 0.
    entries = LedgerEntry.objects.filter(transaction=purchase.ledger_transaction)
    assert sorted((e.account.kind, e.amount) for e in entries) == [
        (AccountKind.MEMBER, -1250),
        (AccountKind.TREASURY, 125),
        (AccountKind.VERSION_REVENUE, 1125),
    ]
    assert entries.aggregate(s=Sum("amount"))["s"] == 0
    held = Account.objects.get(kind=AccountKind.VERSION_REVENUE)
    assert held.version_id == version.pk
    event = RevenueEvent.objects.get()
    assert (event.kind, event.version_id, event.gross, event.fee, event.amount) == (
        "sale",
        version.pk,
        1250,
        125,
        1125,
    )
    assert event.reference == f"purchase:{purchase.pk}"
    assert event.split_at is None
    assert client.get("/api/v1/me/").json()["balance"] == 5000 - 1250
    kinds = list(ProvenanceRecord.objects.order_by("seq").values_list("kind", flat=True))
    assert kinds[-2:] == ["purchase", "grant"]
    assert chain_verify() is None

    # Grants.
    grants = client.get("/api/v1/grants/")
    assert grants.status_code == HTTPStatus.OK
    assert grants.json() == {"count": 1, "next": None, "previous": None, "results": [grant_json]}

    # Download, and verify the bytes against the CID without trusting the server.
    download = client.get(f"/api/v1/versions/{version.pk}/download")
    assert download.status_code == HTTPStatus.OK
    content = b"".join(download.streaming_content)
    assert content == CSV
    assert download["ETag"] == f'"{version.cid}"'
    assert download["Content-Length"] == str(len(CSV))
    assert download["Content-Type"] == "text/csv"
    assert download["Content-Disposition"] == 'attachment; filename="Air-quality-v1.csv"'
    assert node_cid(ipfs_api_addr, content, tmp_path) == version.cid
    assert cid_of_bytes(content) == version.cid
    record = Download.objects.get()
    assert (record.user_id, record.version_id, record.grant_id, record.via) == (
        bob.user.pk,
        version.pk,
        grant.pk,
        "grant",
    )
    assert (record.range_start, record.range_end, record.length) == (None, None, len(CSV))

    # A byte range of the same bytes.
    part = client.get(f"/api/v1/versions/{version.pk}/download", HTTP_RANGE="bytes=5-14")
    assert part.status_code == HTTPStatus.PARTIAL_CONTENT
    assert b"".join(part.streaming_content) == CSV[5:15]
    assert part["Content-Range"] == f"bytes 5-14/{len(CSV)}"
    assert Download.objects.count() == 2
