"""Typed access to the IPFS node's HTTP RPC (``/api/v0``), with the project's CID profile.

This module owns every call the project makes to an IPFS node. It wraps ``ipfshttpclient``
so that:

* settings (``IPFS_API_ADDR``, ``IPFS_TIMEOUT``, ``IPFS_ADD_TIMEOUT``) are read at call time,
  so tests and management commands can point it elsewhere without reloading;
* every call has a timeout, both client side (no request hangs forever) and server side (the
  node abandons work we stopped waiting for, e.g. ``cat`` of a CID it does not have);
* every add uses the project profile (CIDv1, raw leaves, 256 KiB chunks, base32), which is
  what ``ipfs.cid`` reproduces locally;
* callers only ever see ``IpfsError`` / ``IpfsUnavailable``, never library exceptions.

It works against js-ipfs (the local dev/test node) and Kubo (production); the few places where
the two differ are commented.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

import ipfshttpclient
import requests
from django.conf import settings
from ipfshttpclient import exceptions as ipfs_exc

from ipfs.cid import CHUNK_SIZE, normalize_cid, validate_cid

# ipfshttpclient 0.7 (its last release) still passes urllib3's retired ``strict`` argument. The
# warning concerns the library, not anything an operator can change, so it is not shown.
warnings.filterwarnings(
    "ignore", message="The 'strict' parameter is no longer needed", category=FutureWarning
)

# ipfshttpclient's add() overwrites same-named entries of ``opts`` with its own keyword
# defaults (raw-leaves=False, pin=True), so the profile must go through its keywords.
_ADD_KWARGS: Final[dict[str, Any]] = {
    "cid_version": 1,
    "raw_leaves": True,
    "chunker": f"size-{CHUNK_SIZE}",
}
# js-ipfs prints CIDv1 in base58btc unless told otherwise; Kubo already defaults to base32.
_ADD_OPTS: Final[dict[str, str]] = {"cid-base": "base32"}
# Bytes per read of the local file while uploading; bounds the upload's memory use.
_UPLOAD_READ_SIZE: Final = CHUNK_SIZE


class IpfsError(Exception):
    """The IPFS node refused or failed an operation."""


class IpfsUnavailable(IpfsError):
    """The IPFS node could not be reached or did not answer in time; retrying may help."""


@dataclass(frozen=True, slots=True)
class AddResult:
    """What adding a file produced.

    ``size`` is the file's content length in bytes. ``dag_size`` is the node's ``Size``: the
    cumulative size of all blocks of the DAG (content plus dag-pb overhead), which is what the
    node will store for it.
    """

    cid: str
    size: int
    dag_size: int


def _api_addr() -> str:
    return str(settings.IPFS_API_ADDR)


def _timeout() -> float:
    return float(settings.IPFS_TIMEOUT)


def _add_timeout() -> float:
    return float(settings.IPFS_ADD_TIMEOUT)


def _server_timeout(seconds: float) -> str:
    # Both Kubo (global --timeout, a Go duration) and js-ipfs accept "<n>s"; whole seconds
    # keep the value valid for both parsers.
    return f"{max(1, int(seconds))}s"


def _client(timeout: float) -> ipfshttpclient.Client:
    # connect() would reject js-ipfs (it reports version 0.18) and Kubo >= 0.8 alike, so the
    # client is built directly; it opens no connection until the first request.
    try:
        return ipfshttpclient.Client(_api_addr(), timeout=timeout, chunk_size=_UPLOAD_READ_SIZE)
    except ipfs_exc.AddressError as error:
        raise IpfsError(f"IPFS_API_ADDR {_api_addr()!r} is not a usable multiaddr") from error


def _is_timeout_message(message: str) -> bool:
    # A server-side timeout arrives as an error response, not a dropped connection: js-ipfs
    # says "request timed out", Kubo "context deadline exceeded".
    lowered = message.lower()
    return "timed out" in lowered or "deadline exceeded" in lowered


def _translate(error: Exception, action: str) -> IpfsError:
    """Map ipfshttpclient / requests exceptions onto ours (the caller raises it ``from``)."""
    if isinstance(error, IpfsError):
        return error
    if isinstance(
        error,
        ipfs_exc.ConnectionError
        | ipfs_exc.TimeoutError
        | ipfs_exc.ProtocolError
        | requests.RequestException,
    ):
        return IpfsUnavailable(f"IPFS node at {_api_addr()} unavailable during {action}: {error}")
    if isinstance(error, ipfs_exc.ErrorResponse):
        message = str(error)
        if _is_timeout_message(message):
            return IpfsUnavailable(f"IPFS node timed out during {action}: {message}")
        return IpfsError(f"IPFS node refused {action}: {message}")
    return IpfsError(f"IPFS {action} failed: {error}")


_TRANSLATED: Final = (ipfs_exc.Error, requests.RequestException, OSError)


def node_version() -> str:
    """The node's version string (js-ipfs reports its core version, e.g. ``0.18.1``)."""
    try:
        with _client(_timeout()) as client:
            return str(client.version()["Version"])
    except _TRANSLATED as error:
        raise _translate(error, "version") from error


def add_file(path: Path, *, pin: bool = True) -> AddResult:
    """Add a local file under the project profile, streaming it from disk, and pin it.

    ipfshttpclient reads the file in ``chunk_size`` pieces into a chunked HTTP body, so the file
    is never held in memory whole.
    """
    path = Path(path)
    # ipfshttpclient would upload a directory as a tree; only single files are datasets.
    if not path.is_file():
        raise IpfsError(f"cannot add {path}: not a regular file")
    size = path.stat().st_size
    try:
        with _client(_add_timeout()) as client:
            response = client.add(str(path), pin=pin, opts=dict(_ADD_OPTS), **_ADD_KWARGS)
    except _TRANSLATED as error:
        raise _translate(error, "add") from error
    return AddResult(
        cid=normalize_cid(str(response["Hash"])),
        size=size,
        dag_size=int(response["Size"]),
    )


def add_stream(source: BinaryIO, *, pin: bool = False) -> AddResult:
    """Add bytes read from a file-like object as they become available (the upload handler
    feeds the node while the upload is still arriving). ``source.read`` must return ``b""``
    at the end; it may return fewer bytes than asked for at any time."""
    counter = _CountingReader(source)
    try:
        with _client(_add_timeout()) as client:
            response = client.add(counter, pin=pin, opts=dict(_ADD_OPTS), **_ADD_KWARGS)
    except _TRANSLATED as error:
        raise _translate(error, "add") from error
    return AddResult(
        cid=normalize_cid(str(response["Hash"])), size=counter.count, dag_size=int(response["Size"])
    )


class _CountingReader(io.RawIOBase):
    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.count = 0
        self.name = "upload"  # ipfshttpclient names the multipart part after it

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # ipfshttpclient streams each read as it comes, whatever its length; passing the
        # source's bytes on as they are saves RawIOBase.read's two copies of every byte.
        data = self.source.read(size)
        self.count += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def canonical_json(obj: Any) -> bytes:
    """The exact bytes ``add_json`` stores, so anyone can recompute the CID of a document."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def add_json(obj: Any) -> str:
    """Add and pin a small JSON document in canonical form; return its CID."""
    data = canonical_json(obj)
    try:
        with _client(_timeout()) as client:
            # add_bytes() takes no profile keywords, so here the raw options are safe to use.
            cid = client.add_bytes(
                data,
                opts={
                    **_ADD_OPTS,
                    "cid-version": "1",
                    "raw-leaves": "true",
                    "chunker": f"size-{CHUNK_SIZE}",
                    "pin": "true",
                },
            )
    except _TRANSLATED as error:
        raise _translate(error, "add_json") from error
    return normalize_cid(str(cid))


def pin_add(cid: str, *, timeout: float | None = None) -> None:
    """Pin ``cid`` recursively. May fetch the content, so by default it gets the long (add)
    timeout; a caller that knows the blocks are local passes a short one."""
    cid = validate_cid(cid)
    timeout = _add_timeout() if timeout is None else timeout
    try:
        with _client(timeout) as client:
            client.pin.add(cid, opts={"timeout": _server_timeout(timeout)})
    except _TRANSLATED as error:
        raise _translate(error, "pin_add") from error


def pin_rm(cid: str) -> None:
    """Remove the recursive pin of ``cid``; a CID that is not pinned is not an error."""
    cid = validate_cid(cid)
    timeout = _timeout()
    try:
        with _client(timeout) as client:
            client.pin.rm(cid, opts={"timeout": _server_timeout(timeout)})
    except ipfs_exc.ErrorResponse as error:
        if "not pinned" in str(error):
            return
        raise _translate(error, "pin_rm") from error
    except _TRANSLATED as error:
        raise _translate(error, "pin_rm") from error


def is_pinned(cid: str) -> bool:
    """True if ``cid`` is pinned recursively (the only kind of pin this project makes)."""
    cid = validate_cid(cid)
    timeout = _timeout()
    try:
        with _client(timeout) as client:
            response = client.pin.ls(
                cid,
                type="recursive",
                # Kubo resolves the path first and would search the network for content it
                # lacks; offline it answers "not pinned" at once. js-ipfs ignores the flag.
                opts={"timeout": _server_timeout(timeout), "offline": "true"},
            )
    except ipfs_exc.ErrorResponse as error:
        # Kubo and js-ipfs both answer "path '<cid>' is not pinned" with an error status.
        if "not pinned" in str(error):
            return False
        raise _translate(error, "is_pinned") from error
    except _TRANSLATED as error:
        raise _translate(error, "is_pinned") from error
    wanted = normalize_cid(cid)
    # Keys come back in the node's preferred base (base58btc on js-ipfs), so compare
    # normalised forms.
    return any(normalize_cid(str(key)) == wanted for key in response["Keys"])


def cat_iter(cid: str, *, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Stream a file's bytes in pieces of ``chunk_size`` (the last may be shorter).

    ``IPFS_TIMEOUT`` bounds every wait for the next bytes, so a CID the node cannot find fails
    instead of hanging; the node itself gives up on the whole request after
    ``IPFS_ADD_TIMEOUT``. Closing the iterator early closes the connection.
    """
    cid = validate_cid(cid)
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    buffer = bytearray()
    stream = None
    try:
        with _client(_timeout()) as client:
            stream = client.cat(cid, stream=True, opts={"timeout": _server_timeout(_add_timeout())})
            for piece in stream:
                buffer += piece
                while len(buffer) >= chunk_size:
                    yield bytes(buffer[:chunk_size])
                    del buffer[:chunk_size]
    except _TRANSLATED as error:
        raise _translate(error, "cat") from error
    finally:
        if stream is not None:
            stream.close()
    if buffer:
        yield bytes(buffer)
