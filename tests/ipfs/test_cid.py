"""ipfs.cid: local CIDs equal the node's, for every tree shape the profile produces."""

import random
from pathlib import Path

import ipfshttpclient
import pytest

from ipfs.cid import (
    CHUNK_SIZE,
    MAX_LINKS,
    CidBuilder,
    InvalidCid,
    cid_of_bytes,
    cid_of_file,
    is_cid,
    normalize_cid,
    validate_cid,
)
from ipfs.client import add_file

HELLO = b"hello data coop\n"
HELLO_CIDV0 = "QmfCB4HcKrGvroEiwq3DBJXuRhUBT547igRpwehjiZF5xr"
HELLO_CIDV1 = "bafkreiasisctu7cpeglob2nyd4ielzh74a6fri4b4j64ieawoltgfnfea4"
# sha2-256 of zero bytes as a raw block: what js-ipfs and Kubo give an empty file here.
EMPTY_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
MIB = 1024 * 1024


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def write_payload(directory: Path, size: int, seed: int = 0) -> Path:
    path = directory / f"payload-{size}-{seed}.bin"
    path.write_bytes(payload(size, seed))
    return path


def test_known_vector_cidv1_raw_leaf():
    assert cid_of_bytes(HELLO) == HELLO_CIDV1

    builder = CidBuilder()
    builder.update(HELLO)
    assert builder.size == 16
    assert builder.finish() == HELLO_CIDV1


def test_empty_input_is_the_empty_raw_block():
    assert cid_of_bytes(b"") == EMPTY_CID


def test_finish_is_final():
    builder = CidBuilder()
    builder.update(HELLO)
    cid = builder.finish()
    assert builder.finish() == cid
    with pytest.raises(RuntimeError):
        builder.update(b"more")


@pytest.mark.parametrize(
    "size",
    [
        0,
        1,
        CHUNK_SIZE,
        CHUNK_SIZE + 1,
        5 * MIB + 7,
        # More leaves than one node may link to: a two-level tree whose last branch is short.
        (MAX_LINKS + 1) * CHUNK_SIZE + 123,
    ],
    ids=["empty", "1B", "256KiB", "256KiB+1", "5MiB+7", "175x256KiB+123"],
)
def test_cid_of_file_equals_the_nodes_cid(size, tmp_path, ipfs_api_addr):
    path = write_payload(tmp_path, size, seed=size)

    result = add_file(path)

    assert cid_of_file(path) == result.cid
    assert result.size == size


@pytest.mark.parametrize("piece", [1, 1000, 70_000])
def test_builder_is_independent_of_how_input_is_sliced(piece):
    # One-byte feeding is slow in Python, so it gets a smaller input that still crosses a
    # chunk boundary.
    data = payload(CHUNK_SIZE + 300 if piece == 1 else 5 * MIB + 7, seed=piece)
    builder = CidBuilder()
    for offset in range(0, len(data), piece):
        builder.update(data[offset : offset + piece])

    assert builder.size == len(data)
    assert builder.finish() == cid_of_bytes(data)


def test_three_level_tree_matches_the_node(ipfs_api_addr, tmp_path):
    # A third level needs more than 174 * 174 leaves: 7.9 GB at 256 KiB, but only ~2 MB with
    # 64-byte chunks, which exercise exactly the same tree-building code. The node is asked
    # for the hash only, since storing 30k tiny blocks is slow on js-ipfs.
    data = payload((MAX_LINKS * MAX_LINKS + 1) * 64 + 7, seed=3)
    path = tmp_path / "deep.bin"
    path.write_bytes(data)
    client = ipfshttpclient.Client(ipfs_api_addr, timeout=60)
    response = client.add(
        str(path), only_hash=True, pin=False, cid_version=1, raw_leaves=True, chunker="size-64"
    )
    builder = CidBuilder(chunk_size=64)
    builder.update(data)

    assert builder.finish() == normalize_cid(response["Hash"])


def test_is_cid_accepts_v0_and_base32_v1():
    assert is_cid(HELLO_CIDV0)
    assert is_cid(HELLO_CIDV1)
    assert is_cid(EMPTY_CID)
    assert validate_cid(f"  {HELLO_CIDV1}\n") == HELLO_CIDV1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        HELLO_CIDV1.upper(),  # base32upper is not what this project writes
        HELLO_CIDV1[:-1],  # truncated digest
        HELLO_CIDV1 + "a",  # digest too long
        HELLO_CIDV1[:-1] + "1",  # not a base32 character
        HELLO_CIDV0[:-1] + "0",  # not a base58 character
        HELLO_CIDV0[:-1],
        "zb2rhXsb8b2RuLnvCpmC3AUaAUzNhyNQ8fkb3fxXackWsKNHc",  # base58btc CIDv1
    ],
)
def test_is_cid_rejects_malformed_text(text):
    assert not is_cid(text)
    with pytest.raises(InvalidCid):
        validate_cid(text)


def test_is_cid_rejects_non_strings():
    assert not is_cid(None)
    assert not is_cid(HELLO_CIDV1.encode())


def test_normalize_cid_gives_one_spelling_per_content():
    # js-ipfs answers in base58btc; the project stores base32.
    assert normalize_cid("zb2rhXsb8b2RuLnvCpmC3AUaAUzNhyNQ8fkb3fxXackWsKNHc") == HELLO_CIDV1
    assert normalize_cid(HELLO_CIDV1) == HELLO_CIDV1
    # A CIDv0 is the dag-pb CIDv1 with the same hash.
    assert normalize_cid(HELLO_CIDV0) == (
        "bafybeih2nlb5nak22bm3e7toxbo2guzrvuysvfat6luep7gtses55jh7q4"
    )
