"""Streaming a version's bytes out of IPFS, verified against its CID, with HTTP Range support.

Shared by the contributor's web download and the API download: who may download is decided by
the caller; this module owns what must hold before streaming (``download_check``: the version
is pinned, the range is one it can serve) and streams correctly.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus

from django.http import StreamingHttpResponse

from core.errors import ApplicationError, Conflict, Invalid
from ipfs.verified import iter_verified
from marketplace.models import DatasetVersion, PinStatus

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(ApplicationError):
    status = HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE


class RangeUnsupported(Invalid):
    pass


class NotPinned(Conflict):
    """The version's bytes are not (yet) pinned on the node, so there is nothing to stream."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """One ``bytes=`` range (the only kind we serve); None means the whole file."""
    if not header:
        return None
    match = RANGE_RE.match(header.strip())
    if match is None:
        raise RangeUnsupported("Only a single range of the form 'bytes=start-end' is supported.")
    first, last = match.groups()
    if first == "" and last == "":
        raise RangeUnsupported("The range names neither a start nor an end.")
    if first == "":  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable("An empty suffix range selects nothing.")
        return ByteRange(max(0, size - length), size - 1)
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or start > end:
        raise RangeNotSatisfiable(f"The range starts beyond the file's {size} bytes.")
    return ByteRange(start, end)


def is_pinned(version: DatasetVersion) -> bool:
    """Whether the node holds the version's bytes: its pin is confirmed."""
    pin = getattr(version, "pin", None)
    return pin is not None and pin.status == PinStatus.PINNED


def download_check(version: DatasetVersion, range_header: str | None) -> ByteRange | None:
    """What must hold before a download starts: the version is pinned, and the ``Range``
    header (if any) names one range of it. Returns the range; raises ``NotPinned``,
    ``RangeUnsupported`` or ``RangeNotSatisfiable`` (with the ``Content-Range`` a 416 needs)."""
    if not is_pinned(version):
        raise NotPinned("This version is not pinned on IPFS yet.")
    try:
        return parse_range(range_header, version.size)
    except RangeNotSatisfiable as exc:
        exc.headers["Content-Range"] = f"bytes */{version.size}"
        raise


def download_filename(version: DatasetVersion) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", version.dataset.title).strip("-")[:80] or "dataset"
    ext = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl"}[version.format]
    return f"{stem}-v{version.number}.{ext}"


def stream_version(version: DatasetVersion, byte_range: ByteRange | None) -> StreamingHttpResponse:
    content_types = {
        "csv": "text/csv",
        "parquet": "application/vnd.apache.parquet",
        "jsonl": "application/jsonl",
    }
    if byte_range is None:
        body: Iterator[bytes] = iter_verified(version.cid)
        response = StreamingHttpResponse(body, content_type=content_types[version.format])
        response["Content-Length"] = str(version.size)
    else:
        body = iter_verified(version.cid, start=byte_range.start, end=byte_range.end)
        response = StreamingHttpResponse(
            body, status=206, content_type=content_types[version.format]
        )
        response["Content-Length"] = str(byte_range.length)
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{version.size}"
    response["ETag"] = f'"{version.cid}"'
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'attachment; filename="{download_filename(version)}"'
    response["X-Content-CID"] = version.cid
    response["X-Content-SHA256"] = version.sha256
    return response
