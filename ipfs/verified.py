"""Downloads that are checked against their CID before the client gets the last byte.

This module owns the guarantee the marketplace sells: a buyer never receives a complete body
whose bytes differ from the CID that was admitted. The content is streamed from the node, the
CID is recomputed over all of it with ``ipfs.cid.CidBuilder``, and the final piece of the
requested range is held back until the recomputed CID matches. On a mismatch ``CidMismatch``
is raised instead, so the HTTP response is cut short and the client sees a truncated (and so
detectably failed) transfer rather than silently corrupt data.

A ranged request still reads the whole content, because the CID covers the whole file.
Only CIDs made with the project profile (see ``ipfs.cid``) can be verified.
"""

from __future__ import annotations

from collections.abc import Iterator

from ipfs.cid import CHUNK_SIZE, CidBuilder, normalize_cid
from ipfs.client import IpfsError, cat_iter


class CidMismatch(IpfsError):
    """The node returned bytes whose CID is not the one asked for."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"content of {expected} hashes to {actual}")
        self.expected = expected
        self.actual = actual


def iter_verified(
    cid: str, *, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield bytes ``start..end`` (inclusive, as in an HTTP Range) of ``cid``, verified.

    ``end=None`` means to the end of the content; a range past the end is clipped to it, as
    HTTP does. Raises ``CidMismatch`` (before the last piece) if the content does not hash to
    ``cid``, and ``IpfsUnavailable`` / ``IpfsError`` as ``cat_iter`` does.
    """
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"invalid byte range {start}-{end}")
    expected = normalize_cid(cid)
    builder = CidBuilder()
    pending: bytes | None = None
    offset = 0  # position of the current piece in the content
    for piece in cat_iter(cid, chunk_size=chunk_size):
        builder.update(piece)
        piece_start, piece_end = offset, offset + len(piece)  # [piece_start, piece_end)
        offset = piece_end
        lo = max(start, piece_start)
        hi = piece_end if end is None else min(end + 1, piece_end)
        if lo >= hi:
            continue
        if pending is not None:
            yield pending
        pending = piece[lo - piece_start : hi - piece_start]
    actual = builder.finish()
    if actual != expected:
        raise CidMismatch(expected, actual)
    if pending is not None:
        yield pending
