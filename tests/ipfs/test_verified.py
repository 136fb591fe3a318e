"""ipfs.verified: ranged reads equal the slice, and corrupt content never arrives whole."""

import base64
import hashlib
import random

import ipfshttpclient
import pytest

from ipfs.cid import CHUNK_SIZE, normalize_cid
from ipfs.client import add_file
from ipfs.verified import CidMismatch, iter_verified

SIZE = 4 * CHUNK_SIZE + 4321


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    data = random.Random(21).randbytes(SIZE)
    path = tmp_path_factory.mktemp("verified") / "content.bin"
    path.write_bytes(data)
    return path, data


@pytest.fixture
def added(ipfs_api_addr, content):
    path, data = content
    return add_file(path).cid, data


def test_full_content(added):
    cid, data = added

    assert b"".join(iter_verified(cid)) == data


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 0),
        (10, 99),
        (CHUNK_SIZE - 5, CHUNK_SIZE + 5),  # across one chunk boundary
        (CHUNK_SIZE // 2, 3 * CHUNK_SIZE + 17),  # across several
        (SIZE - 1, SIZE - 1),
        (SIZE - 1000, None),
        (123, SIZE + 10_000),  # past the end is clipped, as HTTP does
    ],
)
def test_range_equals_the_slice(added, start, end):
    cid, data = added

    body = b"".join(iter_verified(cid, start=start, end=end, chunk_size=65_536))

    assert body == data[start : None if end is None else end + 1]


def test_range_beyond_the_content_is_empty(added):
    cid, _ = added

    assert b"".join(iter_verified(cid, start=SIZE + 5)) == b""


def test_invalid_range_is_refused(added):
    cid, _ = added

    with pytest.raises(ValueError, match="invalid byte range"):
        list(iter_verified(cid, start=10, end=9))


def collect_until_error(cid, **kwargs):
    received = bytearray()
    with pytest.raises(CidMismatch) as excinfo:
        for piece in iter_verified(cid, **kwargs):
            received += piece
    return bytes(received), excinfo.value


def test_content_under_another_profile_does_not_verify(ipfs_api_addr, content):
    # Added with Kubo/js-ipfs defaults (CIDv0, dag-pb leaves), the node serves the right bytes
    # under a CID the project profile does not produce: the expected CID is "wrong".
    path, data = content
    client = ipfshttpclient.Client(ipfs_api_addr, timeout=30)
    v0_cid = client.add(str(path), pin=False)["Hash"]
    assert v0_cid.startswith("Qm")

    received, error = collect_until_error(v0_cid, start=100, end=SIZE - 100)

    assert error.expected == normalize_cid(v0_cid)
    assert len(received) < SIZE - 199
    assert data[100:].startswith(received)


def test_corrupt_block_is_never_delivered_whole(ipfs_node, ipfs_api_addr, content):
    # Simulates bit rot in the node's store: flip one byte of the second leaf on disk. The
    # node still serves the file (it does not rehash blocks on read), so only our check
    # stands between the buyer and corrupt data.
    path, data = content
    cid = add_file(path).cid
    digest = hashlib.sha256(data[CHUNK_SIZE : 2 * CHUNK_SIZE]).digest()
    # js-ipfs flatfs layout: blocks/<shard>/<base32upper(multihash)>.data
    key = base64.b32encode(b"\x12\x20" + digest).decode().rstrip("=")
    (block,) = (ipfs_node.repo_dir / "blocks").rglob(f"{key}.data")
    original = block.read_bytes()
    corrupted = bytearray(original)
    corrupted[1000] ^= 0xFF
    block.write_bytes(bytes(corrupted))
    try:
        for start, end in [(0, None), (CHUNK_SIZE + 900, CHUNK_SIZE + 1100), (0, 10)]:
            received, error = collect_until_error(cid, start=start, end=end)

            requested = (SIZE if end is None else end + 1) - start
            assert error.expected == cid
            assert error.actual != cid
            assert len(received) < requested
    finally:
        block.write_bytes(original)

    assert b"".join(iter_verified(cid)) == data
