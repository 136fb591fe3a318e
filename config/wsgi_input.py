"""Request bodies read in large pieces under gunicorn.

gunicorn's ``wsgi.input`` (``gunicorn.http.body.Body``) answers ``read(n)`` by pulling 1 KiB at
a time from the body reader beneath it, copying its buffers again at every step. For a
multi-gigabyte dataset upload that loop alone cost more CPU than Django's multipart parsing,
both hashes and the disk write together: 2.3 CPU seconds per GB, against 0.6 through the reader
directly (docs/benchmarks.md). On a 2-core host those seconds are taken from the IPFS node that
is adding the same upload at the same time.

The reader beneath (``LengthReader``, ``ChunkedReader`` or ``EOFReader``) already returns exactly
``n`` bytes, or fewer only at the end of the body, which is the contract of ``read(n)``. So
``read(n)`` goes to it directly whenever ``Body`` holds no bytes of its own; it holds some only
after a ``readline`` (or a ``read`` that stopped inside one of its 1 KiB steps), and then it
answers itself, so the order of the bytes is always kept.

The socket beneath is read 8 KiB per ``recv`` by default; a body reader that has one gets 64 KiB
reads instead, an eighth of the system calls for the same bytes (anything read past the body is
handed back to gunicorn as before).

This uses attributes of gunicorn's ``Body`` (``reader``, ``buf``) and of its socket reader
(``mxchunk``). It is applied only when they are present, and other servers' inputs are left
alone; ``tests/config/test_wsgi_input.py`` checks it against the real classes of the pinned
gunicorn.
"""

import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
RECV_SIZE = 64 * 1024


class DirectBodyInput:
    """``wsgi.input`` over a gunicorn ``Body``: ``read(n)`` straight from its reader."""

    __slots__ = ("_body", "_reader_read")

    def __init__(self, body: Any) -> None:
        self._body = body
        self._reader_read: Callable[[int], bytes] = body.reader.read
        unreader: Any = getattr(body.reader, "unreader", None)
        if isinstance(getattr(unreader, "mxchunk", None), int):
            unreader.mxchunk = max(unreader.mxchunk, RECV_SIZE)

    def read(self, size: int | None = -1) -> bytes:
        body = self._body
        if size is None or size < 0 or body.buf.tell():
            return bytes(body.read(size))
        if size == 0:
            return b""
        return self._reader_read(size)

    def readline(self, size: int | None = -1) -> bytes:
        return bytes(self._body.readline(size))

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        return list(self._body.readlines(hint))

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)


def _is_gunicorn_body(stream: object) -> bool:
    kind = type(stream)
    return (
        kind.__module__ == "gunicorn.http.body"
        and kind.__name__ == "Body"
        and callable(getattr(getattr(stream, "reader", None), "read", None))
        and isinstance(getattr(stream, "buf", None), io.BytesIO)
    )


class LargeBodyReads:
    """WSGI middleware: gunicorn request bodies are read through ``DirectBodyInput``."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        stream = environ.get("wsgi.input")
        if _is_gunicorn_body(stream):
            environ["wsgi.input"] = DirectBodyInput(stream)
        return self.app(environ, start_response)
