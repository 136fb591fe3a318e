"""The feed that adds an upload to the node while it arrives, against the real node."""

import os

from ipfs import client as ipfs
from ipfs.cid import cid_of_bytes
from marketplace.uploads import NodeFeed


def test_it_adds_and_pins_exactly_the_bytes_it_was_given(ipfs_node):
    content = os.urandom(700_000)
    feed = NodeFeed()
    # Pieces of uneven sizes, as a multipart parser hands them over.
    for start, end in [(0, 1), (1, 65_537), (65_537, 400_000), (400_000, 700_000)]:
        assert feed.write(content[start:end])

    added = feed.finish(timeout=60)

    assert added is not None
    assert (added.cid, added.size) == (cid_of_bytes(content), len(content))
    assert ipfs.is_pinned(added.cid)
    assert b"".join(ipfs.cat_iter(added.cid)) == content
    ipfs.pin_rm(added.cid)


def test_an_interrupted_upload_pins_nothing(ipfs_node):
    content = os.urandom(600_000)
    feed = NodeFeed()
    assert feed.write(content[:300_000])

    feed.abort()

    assert feed.finish(timeout=60) is None
    assert "interrupted" in feed.error
    assert not ipfs.is_pinned(cid_of_bytes(content))
    assert not ipfs.is_pinned(cid_of_bytes(content[:300_000]))
