"""The beat task anchors the chain head on IPFS; the public page shows head and anchors."""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.test import Client

from ipfs import client as ipfs
from ipfs.cid import cid_of_bytes
from transparency.models import Anchor, ChainHead, ProvenanceRecord
from transparency.services import record_append
from transparency.tasks import anchor_head


@pytest.fixture
def chain(db):
    for n in range(3):
        record_append(kind="upload", subject=f"version:{n}", payload={"n": n})
    return ChainHead.objects.get(pk=1)


def test_the_head_is_anchored_and_pinned(chain, ipfs_node):
    cid = anchor_head()
    anchor = Anchor.objects.get()
    assert cid == anchor.cid
    assert (anchor.head_seq, anchor.head_hash) == (3, chain.hash)
    assert set(anchor.document) == {"head_hash", "record_count", "time"}
    assert (anchor.document["head_hash"], anchor.document["record_count"]) == (chain.hash, 3)
    # Anyone can recompute the CID from the published document, and the node holds it.
    assert cid_of_bytes(ipfs.canonical_json(anchor.document)) == anchor.cid
    assert ipfs.is_pinned(anchor.cid)
    # The same head is not anchored twice; a new record gives a new anchor.
    assert anchor_head() is None
    record_append(kind="upload", subject="version:9", payload={"n": 9})
    assert anchor_head() is not None
    assert Anchor.objects.count() == 2


def test_nothing_to_anchor_on_an_empty_chain(db):
    assert anchor_head() is None
    assert Anchor.objects.count() == 0


def test_a_broken_chain_is_not_anchored(chain):
    ProvenanceRecord.objects.filter(seq=2).update(payload={"n": 42})
    assert anchor_head() is None
    assert Anchor.objects.count() == 0


def test_the_public_page_shows_head_anchors_and_status(chain, ipfs_node):
    anchor_head()
    anchor = Anchor.objects.get()
    response = Client().get("/transparency/")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert f'<dd class="cid" data-head-hash>{chain.hash}</dd>' in html
    assert "<dd data-record-count>3</dd>" in html
    assert anchor.cid in html
    assert '<span class="badge pass">intact</span>' in html
    ProvenanceRecord.objects.filter(seq=2).update(payload={"n": 42})
    # The page shares one verification for a few minutes, so visitors cannot make it re-read
    # the whole chain on every request; once that expires the tampering shows.
    assert (
        '<span class="badge pass">intact</span>' in Client().get("/transparency/").content.decode()
    )
    cache.clear()
    html = Client().get("/transparency/").content.decode()
    assert "broken</span> at record #2: its fields differ from the hashed JSON" in html
