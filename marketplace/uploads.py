"""Streaming upload handling: files go to the staging disk chunk by chunk while their size,
sha256 and CID are computed, so an upload is never held in memory and never read twice."""

import contextlib
import hashlib
import logging
import queue
import tempfile
import threading
from http import HTTPStatus
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import (
    FileUploadHandler,
    SkipFile,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from core.errors import ApplicationError
from ipfs import client as ipfs
from ipfs.cid import CHUNK_SIZE, CidBuilder

# The multipart envelope and the other fields add a little to Content-Length; a request this
# much over the file limit cannot contain an acceptable file.
ENVELOPE_ALLOWANCE = 1024 * 1024
ERROR_ATTR = "coop_upload_error"
_ABORT = object()
logger = logging.getLogger(__name__)
# How long the node-feeding thread waits for the next bytes before giving up on the pre-add.
FEED_STALL_SECONDS = 300
FEED_BUFFER_CHUNKS = 32


def incoming_dir() -> Path:
    path = Path(settings.COOP_STAGING_DIR) / "incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


class NodeFeed:
    """Adds an upload to the IPFS node while it is still arriving.

    Receiving a large upload and adding it to the node take similar time; done one after the
    other they double the wait before a version is pinned. The handler hands each received
    chunk to a thread whose ``add`` (with pin) streams it on; the pin task then only confirms
    the pin. An upload that is refused afterwards releases its pin when the request closes
    (``StagedUpload.close``); an interrupted one aborts the add, so nothing is pinned. If the
    node is down or slow, nothing is lost: the task adds the staged file itself.
    """

    def __init__(self) -> None:
        # Up to FEED_BUFFER_CHUNKS received chunks (8 MiB) wait for the node; beyond that the
        # upload waits, so a slow node slows the upload instead of filling memory.
        self._queue: queue.Queue[bytes | bytearray | object | None] = queue.Queue(
            maxsize=FEED_BUFFER_CHUNKS
        )
        # What is left of the chunk being handed over.
        self._current: bytes | bytearray = b""
        self._ended = False
        self.result: ipfs.AddResult | None = None
        self.error = ""
        self._thread = threading.Thread(target=self._run, name="ipfs-add-feed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.result = ipfs.add_stream(self, pin=True)  # type: ignore[arg-type]
        except Exception as exc:  # any failure only means the pin task adds the file itself
            self.error = str(exc)

    def read(self, size: int = -1) -> bytes | bytearray:
        """Called by the add thread: the next received bytes, at most ``size``; ``b""`` at the
        end. Blocks go on as the handler cut them, without being copied or joined again: the
        add streams whatever it is given, and on a 2-core host every copy of a multi-gigabyte
        upload is CPU taken from the node."""
        if not self._current:
            if self._ended:
                return b""
            try:
                item = self._queue.get(timeout=FEED_STALL_SECONDS)
            except queue.Empty:
                raise OSError("the upload stalled") from None
            if item is None:
                self._ended = True
                return b""
            if item is _ABORT:
                # Failing the read makes the add request fail: the node pins nothing.
                raise OSError("the upload was interrupted")
            assert isinstance(item, bytes | bytearray)  # noqa: S101
            self._current = item
        if 0 <= size < len(self._current):
            data, self._current = self._current[:size], self._current[size:]
        else:
            data, self._current = self._current, b""
        return data

    def write(self, data: bytes | bytearray) -> bool:
        """Called by the upload handler; False once the add has given up."""
        while self._thread.is_alive():
            try:
                self._queue.put(data, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def finish(self, *, timeout: float) -> ipfs.AddResult | None:
        self.write_end()
        self._thread.join(timeout)
        return None if self._thread.is_alive() else self.result

    def write_end(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=5)

    def abort(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put(_ABORT, timeout=5)


class Blocks:
    """Re-cuts received pieces into whole CID blocks (``CHUNK_SIZE``); only the last is shorter.

    Django's multipart parser hands over pieces a little short of the handler's chunk size
    (it holds back enough bytes to recognise the closing boundary), so no piece lines up with
    the CID's 256 KiB leaves. Passed on as they come, every leaf straddles two pieces: the CID
    builder has to buffer and copy it, and the node's add has to join it from two reads, which
    measured about 5 % more node CPU and a slower add (docs/benchmarks.md). Each byte is copied
    once, into a block; a full block is handed over whole and never written again.
    """

    __slots__ = ("_block", "_filled")

    def __init__(self) -> None:
        self._block = bytearray(CHUNK_SIZE)
        self._filled = 0

    def cut(self, data: bytes) -> list[bytearray]:
        """The blocks that ``data`` completes, in order (often none, rarely more than one)."""
        done: list[bytearray] = []
        view = memoryview(data)
        while view:
            take = min(CHUNK_SIZE - self._filled, len(view))
            self._block[self._filled : self._filled + take] = view[:take]
            self._filled += take
            view = view[take:]
            if self._filled == CHUNK_SIZE:
                done.append(self._block)
                self._block, self._filled = bytearray(CHUNK_SIZE), 0
        return done

    def rest(self) -> bytearray | None:
        """The final, partial block, if the data did not end on a block boundary."""
        if not self._filled:
            return None
        rest = self._block[: self._filled]
        self._filled = 0
        return rest


class StagedUpload(TemporaryUploadedFile):
    """A received file with what was computed while it streamed in. Its temporary file lives
    in the staging area, so staging it after the upload is accepted is a rename."""

    sha256: str
    cid: str
    # True when the node already holds and pins exactly these bytes (added as they arrived).
    preadded: bool = False
    # Set once a version owns the bytes; until then closing the upload releases the pin.
    kept: bool = False

    def __init__(
        self,
        name: str,
        content_type: str | None,
        size: int,
        charset: str | None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
        suffix = ".upload" + Path(name).suffix[:16]
        file = tempfile.NamedTemporaryFile(suffix=suffix, dir=incoming_dir())  # noqa: SIM115
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)

    def close(self) -> None:
        super().close()
        if self.preadded and not self.kept:
            self.preadded = False
            release_prepin(self.cid)


def release_prepin(cid: str) -> None:
    """Unpin what an upload that was refused pinned on the way in, unless a version owns those
    bytes (a refused duplicate shares its CID with the version that is kept)."""
    from marketplace.models import DatasetVersion

    if DatasetVersion.objects.filter(cid=cid).exists():
        return
    try:
        ipfs.pin_rm(cid)
    except ipfs.IpfsError:
        # Only storage is at stake: the node keeps an unreferenced pin. Say so for operators.
        logger.warning("could not release the pin of refused upload %s", cid, exc_info=True)


def too_large_message() -> str:
    return f"The file is larger than the limit of {filesizeformat(settings.COOP_UPLOAD_MAX_BYTES)}."


class UploadTooLarge(ApplicationError):
    """The request's file is over the upload limit (the handler stored none of it)."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def upload_error(request: HttpRequest) -> str | None:
    """The reason the handler refused the request's file, if it did."""
    return getattr(request, ERROR_ATTR, None)


class StagingUploadHandler(TemporaryFileUploadHandler):
    # Django's default is 64 KiB. Pieces of about the CID's block size mean a quarter of the
    # parser's per-piece work for a multi-gigabyte upload; ``Blocks`` then cuts them into
    # exact leaves, so hashing, writing and feeding the node happen once per leaf.
    chunk_size = CHUNK_SIZE

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803 (Django's signature)
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        self.too_large = content_length > settings.COOP_UPLOAD_MAX_BYTES + ENVELOPE_ALLOWANCE
        if self.too_large:
            setattr(self.request, ERROR_ATTR, too_large_message())

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if self.too_large:
            # Stop before writing anything; the rest of the body is drained, not stored, so
            # the client still receives the error response.
            raise StopUpload(connection_reset=False)
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = StagedUpload(
            self.file_name or "upload", self.content_type, 0, self.charset, self.content_type_extra
        )
        self._sha256 = hashlib.sha256()
        self._cid = CidBuilder()
        self._blocks = Blocks()
        self._received = 0
        self._feed = NodeFeed() if settings.COOP_ADD_WHILE_UPLOADING else None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._received += len(raw_data)
        if self._received > settings.COOP_UPLOAD_MAX_BYTES:
            setattr(self.request, ERROR_ATTR, too_large_message())
            self.upload_interrupted()
            self.file.close()
            raise SkipFile
        for block in self._blocks.cut(raw_data):
            self._take(block)
        return None

    def _take(self, block: bytearray) -> None:
        self._sha256.update(block)
        self._cid.update(block)
        self.file.write(block)
        if self._feed is not None and not self._feed.write(block):
            self._feed = None

    def upload_interrupted(self) -> None:
        feed: NodeFeed | None = getattr(self, "_feed", None)
        if feed is not None:
            feed.abort()
            self._feed = None

    def file_complete(self, file_size: int) -> StagedUpload:
        upload = self.file
        assert isinstance(upload, StagedUpload)  # noqa: S101 (set in new_file)
        if (rest := self._blocks.rest()) is not None:
            self._take(rest)
        upload.seek(0)
        upload.size = file_size
        upload.sha256 = self._sha256.hexdigest()
        upload.cid = self._cid.finish() if file_size else ""
        if self._feed is not None:
            added = self._feed.finish(timeout=settings.IPFS_ADD_TIMEOUT)
            upload.preadded = added is not None and added.cid == upload.cid
        return upload


def staged_from_path(
    path: Path, *, name: str | None = None, chunk_size: int = 1024 * 1024
) -> StagedUpload:
    """Stage a file already on this machine exactly as an HTTP upload of it would be staged
    (used by the demo loader and the benchmarks)."""
    upload = StagedUpload(name or path.name, "application/octet-stream", 0, None)
    sha256, cid, size = hashlib.sha256(), CidBuilder(), 0
    with path.open("rb") as source:
        while chunk := source.read(chunk_size):
            sha256.update(chunk)
            cid.update(chunk)
            upload.write(chunk)
            size += len(chunk)
    upload.flush()
    upload.seek(0)
    upload.size = size
    upload.sha256 = sha256.hexdigest()
    upload.cid = cid.finish() if size else ""
    return upload
