"""Cutting received pieces into whole CID leaves before they are hashed, staged and fed."""

import os

from ipfs.cid import CHUNK_SIZE, CidBuilder, cid_of_bytes
from marketplace.uploads import Blocks

# What Django's multipart parser hands a handler whose chunk size is CHUNK_SIZE: pieces short
# of it by the boundary's length plus 6 (here a 40-character boundary), then whatever is left.
PIECE = CHUNK_SIZE - 46


def _pieces(content: bytes, size: int) -> list[bytes]:
    return [content[start : start + size] for start in range(0, len(content), size)]


def test_pieces_come_out_as_whole_leaves_in_order_and_the_rest_last():
    content = os.urandom(3 * CHUNK_SIZE + 1000)
    blocks = Blocks()

    cut = [block for piece in _pieces(content, PIECE) for block in blocks.cut(piece)]
    rest = blocks.rest()

    assert [len(block) for block in cut] == [CHUNK_SIZE] * 3
    assert rest is not None and len(rest) == 1000
    assert b"".join([*cut, rest]) == content
    assert blocks.rest() is None


def test_a_piece_spanning_several_leaves_gives_each_of_them():
    content = os.urandom(2 * CHUNK_SIZE + 5)
    blocks = Blocks()

    first = blocks.cut(content[:7])
    second = blocks.cut(content[7:])

    assert first == []
    assert [bytes(block) for block in second] == [
        content[:CHUNK_SIZE],
        content[CHUNK_SIZE : 2 * CHUNK_SIZE],
    ]
    assert blocks.rest() == content[2 * CHUNK_SIZE :]


def test_content_ending_on_a_leaf_boundary_leaves_no_rest():
    content = os.urandom(2 * CHUNK_SIZE)
    blocks = Blocks()

    cut = [block for piece in _pieces(content, 100_000) for block in blocks.cut(piece)]

    assert b"".join(cut) == content
    assert blocks.rest() is None


def test_handed_over_blocks_are_not_written_again():
    content = os.urandom(CHUNK_SIZE + 10)
    blocks = Blocks()
    (first,) = blocks.cut(content[:CHUNK_SIZE])
    kept = bytes(first)

    blocks.cut(content[CHUNK_SIZE:])
    blocks.rest()

    assert first == kept == content[:CHUNK_SIZE]


def test_the_cid_of_the_blocks_is_the_cid_of_the_content():
    content = os.urandom(5 * CHUNK_SIZE + 12345)
    blocks, builder = Blocks(), CidBuilder()
    for piece in _pieces(content, PIECE):
        for block in blocks.cut(piece):
            builder.update(block)
    rest = blocks.rest()
    assert rest is not None
    builder.update(rest)

    assert builder.finish() == cid_of_bytes(content)
