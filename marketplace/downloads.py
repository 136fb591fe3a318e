"""Streaming a version's bytes out of IPFS, verified against its CID, with HTTP Range support.

Shared by the contributor's web download and the API download: who may download is decided by
the caller; this module only streams correctly.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.http import StreamingHttpResponse

from ipfs.verified import iter_verified
from marketplace.models import DatasetVersion

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    pass


class RangeUnsupported(Exception):
    pass


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
