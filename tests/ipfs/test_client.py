"""ipfs.client against a real local node: adding, pinning, reading, and the node going away."""

import json
import random
import socket
import tracemalloc

import pytest

from ipfs.cid import CHUNK_SIZE, InvalidCid, cid_of_bytes
from ipfs.client import (
    IpfsError,
    IpfsUnavailable,
    add_file,
    add_json,
    canonical_json,
    cat_iter,
    is_pinned,
    node_version,
    pin_add,
)


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sample(tmp_path):
    data = payload(3 * CHUNK_SIZE + 1000, seed=11)
    path = tmp_path / "sample.bin"
    path.write_bytes(data)
    return path, data


def test_node_version(ipfs_api_addr):
    version = node_version()

    assert version
    assert version[0].isdigit()


def test_add_file_pins_and_reports_sizes(ipfs_api_addr, sample):
    path, data = sample

    result = add_file(path)

    assert result.cid.startswith("bafy")
    assert result.size == len(data)
    # Content plus the root node's dag-pb bytes.
    assert result.dag_size > len(data)
    assert is_pinned(result.cid)


def test_add_file_without_pin_then_pin_add(ipfs_api_addr, tmp_path):
    path = tmp_path / "unpinned.bin"
    path.write_bytes(payload(5000, seed=12))

    result = add_file(path, pin=False)
    assert not is_pinned(result.cid)

    pin_add(result.cid)
    assert is_pinned(result.cid)


def test_is_pinned_is_false_for_unknown_content(ipfs_api_addr):
    assert not is_pinned(cid_of_bytes(b"never added anywhere"))


def test_cat_iter_streams_the_bytes_in_pieces(ipfs_api_addr, sample):
    path, data = sample
    cid = add_file(path).cid

    pieces = list(cat_iter(cid, chunk_size=100_000))

    assert b"".join(pieces) == data
    assert all(len(piece) == 100_000 for piece in pieces[:-1])
    assert 0 < len(pieces[-1]) <= 100_000


def test_add_and_cat_stream_without_holding_the_file(ipfs_api_addr, tmp_path):
    size = 16 * 1024 * 1024
    path = tmp_path / "large.bin"
    path.write_bytes(payload(size, seed=13))

    tracemalloc.start()
    try:
        cid = add_file(path).cid
        _, add_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        received = sum(len(piece) for piece in cat_iter(cid))
        _, cat_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert received == size
    assert add_peak < size // 4
    assert cat_peak < size // 4


def test_add_file_refuses_a_directory(ipfs_api_addr, tmp_path):
    with pytest.raises(IpfsError, match="not a regular file"):
        add_file(tmp_path)


def test_add_json_is_canonical_and_pinned(ipfs_api_addr):
    anchor = {"head": "ab" * 32, "seq": 7, "note": "chain head é"}

    cid = add_json(anchor)

    assert cid == cid_of_bytes(canonical_json(anchor))
    assert is_pinned(cid)
    assert json.loads(b"".join(cat_iter(cid))) == anchor


def test_invalid_cid_is_rejected_before_any_request(ipfs_api_addr):
    with pytest.raises(InvalidCid):
        is_pinned("not-a-cid")
    with pytest.raises(InvalidCid):
        list(cat_iter("Qm-not-a-cid"))


def test_cat_of_missing_content_times_out(ipfs_api_addr, settings):
    # Offline, the node can never find this; without timeouts the call would hang forever.
    settings.IPFS_TIMEOUT = 1
    settings.IPFS_ADD_TIMEOUT = 2

    with pytest.raises(IpfsUnavailable):
        list(cat_iter(cid_of_bytes(b"missing on purpose")))


def test_nothing_listening_is_unavailable(ipfs_api_addr, settings):
    settings.IPFS_API_ADDR = f"/ip4/127.0.0.1/tcp/{free_port()}/http"

    with pytest.raises(IpfsUnavailable):
        node_version()


def test_node_down_is_unavailable_and_recovers(ipfs_node, ipfs_api_addr, sample):
    path, data = sample
    cid = add_file(path).cid

    ipfs_node.stop()
    try:
        assert not ipfs_node.is_running()
        with pytest.raises(IpfsUnavailable):
            node_version()
        with pytest.raises(IpfsUnavailable):
            add_file(path)
        with pytest.raises(IpfsUnavailable):
            list(cat_iter(cid))
        with pytest.raises(IpfsUnavailable):
            is_pinned(cid)
    finally:
        ipfs_node.start()

    # Same address after the restart, and the pinned content survived it.
    assert ipfs_node.api_addr == ipfs_api_addr
    assert node_version()
    assert is_pinned(cid)
    assert b"".join(cat_iter(cid)) == data
