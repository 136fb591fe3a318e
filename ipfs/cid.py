"""Content identifiers: computing them locally and recognising them in input.

This module owns the project's one CID profile and everything needed to reproduce, without a
node, the CID that ``ipfs add`` gives a file under that profile:

* CIDv1, sha2-256, base32 (lower case, ``b`` prefix);
* raw leaves, fixed 256 KiB chunks (``size-262144``);
* a balanced DAG of dag-pb/UnixFS ``File`` nodes with at most 174 links per node.

Both Kubo and js-ipfs build exactly this tree for those options, so a CID computed here is the
CID the node reports. It is pure Python (hashlib only): no Django, no network, so buyers'
tooling, the upload layer and the verified download can all share it.

Memory stays bounded: only the current partial chunk and, per tree level, at most 174 link
entries (CID + sizes) are held, so a file of any size is hashed in O(chunk + depth * 174).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

CHUNK_SIZE: Final = 262_144
MAX_LINKS: Final = 174

_CODEC_RAW: Final = 0x55
_CODEC_DAG_PB: Final = 0x70
_MH_SHA2_256: Final = 0x12
_SHA2_256_LEN: Final = 32
_UNIXFS_FILE: Final = 2

_B32_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz234567"
_B32_INDEX: Final = {c: i for i, c in enumerate(_B32_ALPHABET)}
_B58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX: Final = {c: i for i, c in enumerate(_B58_ALPHABET)}

# Reading files in multiples of the chunk size keeps the builder's buffer copy-free.
_READ_SIZE: Final = 4 * CHUNK_SIZE


class InvalidCid(ValueError):
    """The text is not a CID this project accepts."""


# --- tiny protobuf writer -------------------------------------------------------------------


def _varint(n: int) -> bytes:
    if n < 0:
        raise ValueError("varints are unsigned")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_varint(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _field_bytes(field: int, value: bytes) -> bytes:
    return _varint((field << 3) | 2) + _varint(len(value)) + value


# --- CID bytes and text ---------------------------------------------------------------------


def _cidv1_bytes(codec: int, block: bytes | memoryview) -> bytes:
    digest = hashlib.sha256(block).digest()
    return _varint(1) + _varint(codec) + _varint(_MH_SHA2_256) + _varint(_SHA2_256_LEN) + digest


def _b32encode(data: bytes) -> str:
    # RFC 4648 base32, lower case, no padding: the multibase "b" encoding.
    bits = 0
    value = 0
    out = []
    for byte in data:
        value = (value << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append(_B32_ALPHABET[(value >> bits) & 31])
    if bits:
        out.append(_B32_ALPHABET[(value << (5 - bits)) & 31])
    return "".join(out)


def _b32decode(text: str) -> bytes:
    bits = 0
    value = 0
    out = bytearray()
    for char in text:
        try:
            value = (value << 5) | _B32_INDEX[char]
        except KeyError:
            raise InvalidCid(f"invalid base32 character {char!r}") from None
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((value >> bits) & 0xFF)
    # Canonical encodings leave fewer than 5 zero bits over; anything else is a typo.
    if bits >= 5 or value & ((1 << bits) - 1):
        raise InvalidCid("non-canonical base32 padding")
    return bytes(out)


def _b58decode(text: str) -> bytes:
    num = 0
    for char in text:
        try:
            num = num * 58 + _B58_INDEX[char]
        except KeyError:
            raise InvalidCid(f"invalid base58 character {char!r}") from None
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    leading_zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading_zeros + body


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise InvalidCid("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _check_multihash(data: bytes, pos: int) -> None:
    code, pos = _read_varint(data, pos)
    length, pos = _read_varint(data, pos)
    if code != _MH_SHA2_256 or length != _SHA2_256_LEN:
        raise InvalidCid("only sha2-256 multihashes are accepted")
    if len(data) - pos != length:
        raise InvalidCid("multihash length does not match its digest")


def _cid_binary(text: str) -> bytes:
    """Decode a CID string to its binary CIDv1 form (CIDv0 is upgraded to dag-pb CIDv1)."""
    if not isinstance(text, str) or not text:
        raise InvalidCid("a CID must be a non-empty string")
    if len(text) == 46 and text.startswith("Qm"):
        multihash = _b58decode(text)
        _check_multihash(multihash, 0)
        return _varint(1) + _varint(_CODEC_DAG_PB) + multihash
    prefix, body = text[0], text[1:]
    if prefix == "b":
        data = _b32decode(body)
    elif prefix == "z":
        # js-ipfs prints CIDv1 in base58btc unless asked otherwise; accept it so node
        # answers can be normalised, then always re-encode as base32.
        data = _b58decode(body)
    else:
        raise InvalidCid("expected a CIDv0 (Qm...) or a base32 CIDv1 (b...)")
    version, pos = _read_varint(data, 0)
    if version != 1:
        raise InvalidCid(f"unsupported CID version {version}")
    codec, pos = _read_varint(data, pos)
    if codec not in (_CODEC_RAW, _CODEC_DAG_PB):
        raise InvalidCid(f"unsupported codec 0x{codec:x}")
    _check_multihash(data, pos)
    return data


def normalize_cid(text: str) -> str:
    """Return the canonical CIDv1 base32 form of a CID; raise InvalidCid if it is not one.

    CIDv0 ``Qm...`` becomes the equivalent dag-pb CIDv1, so two spellings of the same content
    compare equal after normalising.
    """
    return "b" + _b32encode(_cid_binary(text.strip()))


def validate_cid(text: str) -> str:
    """Check user input is a CIDv0 or base32 CIDv1 and return it stripped, unchanged otherwise.

    Raises InvalidCid with a message fit to show the user.
    """
    stripped = text.strip() if isinstance(text, str) else text
    if isinstance(stripped, str) and stripped.startswith("z"):
        raise InvalidCid("expected a CIDv0 (Qm...) or a base32 CIDv1 (b...)")
    _cid_binary(stripped)
    return stripped


def is_cid(text: object) -> bool:
    """True if ``text`` is a CIDv0 ``Qm...`` or a base32 CIDv1 ``b...`` with a sha2-256 hash."""
    if not isinstance(text, str):
        return False
    try:
        validate_cid(text)
    except InvalidCid:
        return False
    return True


# --- dag-pb / UnixFS ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Link:
    cid: bytes  # binary CIDv1
    tsize: int  # bytes of the whole subtree as stored (blocks), as dag-pb's Tsize
    filesize: int  # bytes of file content below this link, for UnixFS blocksizes


def _encode_parent(children: list[_Link]) -> tuple[bytes, int]:
    """Encode a UnixFS File node over ``children``; return (block, file size)."""
    filesize = sum(child.filesize for child in children)
    unixfs = _field_varint(1, _UNIXFS_FILE) + _field_varint(3, filesize)
    for child in children:
        unixfs += _field_varint(4, child.filesize)
    node = bytearray()
    for child in children:
        # The reference encoders write an explicitly empty Name (0x12 0x00) rather than
        # omitting it; leaving it out changes the block and so the CID.
        link = _field_bytes(1, child.cid) + _field_bytes(2, b"") + _field_varint(3, child.tsize)
        node += _field_bytes(2, link)
    # dag-pb's canonical form puts Links (field 2) before Data (field 1).
    node += _field_bytes(1, unixfs)
    return bytes(node), filesize


def _parent_link(children: list[_Link]) -> _Link:
    block, filesize = _encode_parent(children)
    tsize = len(block) + sum(child.tsize for child in children)
    return _Link(_cidv1_bytes(_CODEC_DAG_PB, block), tsize, filesize)


class CidBuilder:
    """Compute a file's CID incrementally: ``update()`` with any slicing, then ``finish()``.

    The tree is folded as data arrives: each level keeps at most ``MAX_LINKS`` entries and is
    collapsed into a parent only once a further entry proves it is full and not the last, which
    reproduces the balanced layout exactly (left subtrees full, the last one partial).

    An empty input yields the CID of the empty raw block, which is what both js-ipfs and Kubo
    give an empty file under this profile.
    """

    __slots__ = ("_buffer", "_chunk_size", "_finished", "_levels", "_max_links", "_result", "size")

    def __init__(self, *, chunk_size: int = CHUNK_SIZE, max_links: int = MAX_LINKS) -> None:
        # The parameters exist so tests can check the tree shape cheaply (tiny chunks, deep
        # trees) against a node; production code always uses the project profile defaults.
        if chunk_size < 1 or max_links < 2:
            raise ValueError("chunk_size must be >= 1 and max_links >= 2")
        self._chunk_size = chunk_size
        self._max_links = max_links
        self._buffer = bytearray()
        self._levels: list[list[_Link]] = [[]]
        self._finished = False
        self._result = ""
        self.size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._finished:
            raise RuntimeError("CidBuilder.update() after finish()")
        view = memoryview(data).cast("B")
        self.size += len(view)
        pos = 0
        if self._buffer:
            take = min(self._chunk_size - len(self._buffer), len(view))
            self._buffer += view[:take]
            pos = take
            if len(self._buffer) == self._chunk_size:
                self._add_leaf(bytes(self._buffer))
                self._buffer.clear()
        # Whole chunks straight from the caller's buffer, without copying into ours.
        while len(view) - pos >= self._chunk_size:
            self._add_leaf(view[pos : pos + self._chunk_size])
            pos += self._chunk_size
        if pos < len(view):
            self._buffer += view[pos:]

    def _add_leaf(self, chunk: bytes | memoryview) -> None:
        leaf = _Link(_cidv1_bytes(_CODEC_RAW, chunk), len(chunk), len(chunk))
        self._push(0, leaf)

    def _push(self, level: int, link: _Link) -> None:
        if level == len(self._levels):
            self._levels.append([])
        entries = self._levels[level]
        if len(entries) == self._max_links:
            self._push(level + 1, _parent_link(entries))
            entries = self._levels[level] = []
        entries.append(link)

    def finish(self) -> str:
        """Return the CIDv1 (base32) of everything passed to ``update()``."""
        if self._finished:
            return self._result
        if self._buffer or self.size == 0:
            self._add_leaf(bytes(self._buffer))
            self._buffer.clear()
        level = 0
        while True:
            entries = self._levels[level]
            top = all(not above for above in self._levels[level + 1 :])
            if top:
                # A one-chunk file is its raw leaf (no wrapping parent), and a lone entry on
                # the top level is already the root.
                root = entries[0].cid if len(entries) == 1 else _parent_link(entries).cid
                break
            self._push(level + 1, _parent_link(entries))
            self._levels[level] = []
            level += 1
        self._finished = True
        self._result = "b" + _b32encode(root)
        self._levels = [[]]
        return self._result


def cid_of_stream(stream: BinaryIO) -> str:
    """CID of everything readable from a binary stream, read in chunk-sized pieces."""
    builder = CidBuilder()
    while chunk := stream.read(_READ_SIZE):
        builder.update(chunk)
    return builder.finish()


def cid_of_file(path: Path) -> str:
    """CID that ``ipfs add --cid-version=1 --raw-leaves --chunker=size-262144`` gives ``path``."""
    with Path(path).open("rb") as stream:
        return cid_of_stream(stream)


def cid_of_bytes(data: bytes) -> str:
    """CID of an in-memory byte string under the project profile."""
    builder = CidBuilder()
    builder.update(data)
    return builder.finish()
