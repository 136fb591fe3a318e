"""Request bodies under gunicorn are read through its body reader, in order and complete.

Each test parses a request with gunicorn's own parser from a real socket, as its workers do,
then reads the body through ``config.wsgi_input`` the way Django does.
"""

import hashlib
import io
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.handlers.wsgi import WSGIRequest
from gunicorn.config import Config
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.http.parser import RequestParser

from config.wsgi_input import DirectBodyInput, LargeBodyReads

PAYLOAD = os.urandom(3 * 1024 * 1024 + 12345)


@contextmanager
def gunicorn_request(raw: bytes) -> Iterator[tuple[Any, socket.socket]]:
    """gunicorn's parsed request for ``raw``, sent from another thread (a socket buffer holds
    far less than the payload)."""
    client, server = socket.socketpair()

    def send() -> None:
        with client:
            client.sendall(raw)
            client.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send)
    sender.start()
    try:
        parser = RequestParser(Config(), server, ("127.0.0.1", 4321))
        yield next(parser), server
    finally:
        sender.join(10)
        server.close()


def with_length(body: bytes, content_type: str = "application/octet-stream") -> bytes:
    head = (
        f"POST /upload HTTP/1.1\r\nHost: testserver\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def chunked(body: bytes, piece: int = 70_000) -> bytes:
    head = b"POST /upload HTTP/1.1\r\nHost: testserver\r\nTransfer-Encoding: chunked\r\n\r\n"
    parts = [
        b"%x\r\n%b\r\n" % (len(body[i : i + piece]), body[i : i + piece])
        for i in range(0, len(body), piece)
    ]
    return head + b"".join(parts) + b"0\r\n\r\n"


@pytest.mark.parametrize("size", [1, 1000, 8192, 65536, 1024 * 1024])
@pytest.mark.parametrize("encode", [with_length, chunked], ids=["content-length", "chunked"])
def test_it_reads_the_whole_body_in_order(size, encode):
    with gunicorn_request(encode(PAYLOAD)) as (request, _):
        stream = DirectBodyInput(request.body)
        pieces = []
        while piece := stream.read(size):
            pieces.append(piece)

    assert b"".join(pieces) == PAYLOAD
    # Every piece but the last is exactly the size asked for, as from gunicorn's own Body.
    assert {len(p) for p in pieces[:-1]} <= {size}
    assert stream.read(size) == b""


def test_the_socket_is_read_in_large_pieces():
    with gunicorn_request(with_length(PAYLOAD)) as (request, _):
        stream = DirectBodyInput(request.body)

        assert request.body.reader.unreader.mxchunk == 64 * 1024
        assert stream.read() == PAYLOAD


def test_it_keeps_the_order_after_readline():
    body = b"first line\nsecond line\n" + PAYLOAD
    with gunicorn_request(with_length(body)) as (request, _):
        stream = DirectBodyInput(request.body)
        first = stream.readline()
        rest = stream.read(5) + stream.read(65536) + stream.read()

    assert first == b"first line\n"
    assert rest == body[len(first) :]


def test_a_read_without_size_returns_everything():
    with gunicorn_request(with_length(PAYLOAD)) as (request, _):
        stream = DirectBodyInput(request.body)
        head = stream.read(100)
        assert head + stream.read() == PAYLOAD
        assert stream.read(0) == b""


def test_a_multipart_upload_through_gunicorn_reaches_django_intact(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    boundary = "coop-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nAir\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="air.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + PAYLOAD
        + f"\r\n--{boundary}--\r\n".encode()
    )
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["input"] = type(environ["wsgi.input"])
        request = WSGIRequest(environ)
        request.upload_handlers = [TemporaryFileUploadHandler(request)]
        upload = request.FILES.get("file")
        assert isinstance(upload, UploadedFile)
        seen["title"] = request.POST["title"]
        seen["sha256"] = hashlib.sha256(upload.read()).hexdigest()
        start_response("200 OK", [])
        return [b""]

    raw = with_length(body, f"multipart/form-data; boundary={boundary}")
    with gunicorn_request(raw) as (request, sock):
        cfg = Config()
        _, environ = gunicorn_wsgi.create(request, sock, ("127.0.0.1", 4321), ("", 0), cfg)
        LargeBodyReads(app)(environ, lambda status, headers: None)

    assert seen == {
        "input": DirectBodyInput,
        "title": "Air",
        "sha256": hashlib.sha256(PAYLOAD).hexdigest(),
    }


def test_other_servers_inputs_are_left_alone():
    seen = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.input"])
        return [b""]

    original = io.BytesIO(b"data")
    LargeBodyReads(app)({"wsgi.input": original}, lambda status, headers: None)

    assert seen == [original]
