"""The least an upload path through a web process must do: pass the body on to the node.

Served by ``bench/ingest.py --relay`` (gunicorn, one sync worker). No multipart parsing,
hashing or staging. Each 256 KiB of the request body goes, as it arrives, to the project's own
NodeFeed: the same thread, queue and add request as a real upload's. Answers ``{"cid": ...}``.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

import django

# Set up Django while the worker boots, as config.wsgi does, so the first relayed file does
# not pay for it; the imports below need the settings.
django.setup()

from django.conf import settings  # noqa: E402

from config.wsgi_input import LargeBodyReads  # noqa: E402
from ipfs.cid import CHUNK_SIZE  # noqa: E402
from marketplace.uploads import NodeFeed  # noqa: E402


def relay(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    stream, left = environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0)
    feed = NodeFeed()
    while left > 0 and (chunk := stream.read(min(CHUNK_SIZE, left))):
        left -= len(chunk)
        if not feed.write(chunk):
            break
    added = feed.finish(timeout=settings.IPFS_ADD_TIMEOUT)
    cid = added.cid if added is not None and left == 0 else None
    body = json.dumps({"cid": cid, "error": feed.error}).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response("200 OK" if cid is not None else "502 Bad Gateway", headers)
    return [body]


application = LargeBodyReads(relay)
