"""A WSGI app that reads the request body and throws it away: gunicorn alone, no Django.

Served by ``bench/ingest.py --profile`` (gunicorn, one sync worker) to time how fast a sync
worker reads an upload's body before any of the project's code runs. Answers the byte count.
"""

from collections.abc import Callable, Iterable
from typing import Any


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    stream, size = environ["wsgi.input"], 0
    while chunk := stream.read(65536):  # Django's upload handlers read 64 KiB at a time
        size += len(chunk)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(size).encode()]
