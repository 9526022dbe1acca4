"""Literal bytes handed to a callable that are themselves a pickle or an archive.

A nested loader need not be called ``pickle.loads``: any function or
``__setstate__`` that receives bytes can unpickle them (``basichandlers('pickle',
b'…')`` in ``torch.utils.data``, a class whose state is a checkpoint). So every
literal a call receives (its arguments, a ``BUILD`` state, a level or two into
tuples, lists and dicts) is looked at by content: bytes, long literals left in
the file, and strings that decode as base64. One that starts like a pickle
(``PROTO 2..5``) or a container with a magic number (zip, 7z, tar, npy, legacy
torch) is scanned as a nested load, one level deeper under the file's budget,
whatever the callable is called. Data that merely looks so at first (an array's
raw bytes) is dropped without a word if it does not parse.

Compressed streams (gzip, zlib, bz2, xz) are not followed here: their magic is
two or three bytes, which array data hits by chance, and a failed inflation
would be an error on a benign file. Decompressing calls are followed by name
(``decompressors`` in the policy).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ptmscope.scan.context import Buffer, Span
from ptmscope.scan.pickle.values import Blob, SymDict

MIN_BYTES = 16
"""Shorter literals are not looked at (numpy scalars, dtype codes, small keys)."""
MIN_BASE64 = 24
"""Shorter strings are never taken for base64 payloads."""
MAX_DEPTH = 2
"""Containers inside a call's arguments looked into."""
MAX_ITEMS = 64
"""Items of each container looked at."""
MAGICS = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK\x03\x04",
          b"7z\xbc\xaf\x27\x1c", b"\x93NUMPY")  # fmt: skip
"""How the payloads followed here begin (tar is recognised at offset 257)."""
TAR_MAGIC = (257, b"ustar")
_BASE64 = re.compile(r"[A-Za-z0-9+/\r\n]+={0,2}\s*\Z")


@dataclass(frozen=True)
class Literal:
    """A payload found in a call: its bytes, where it lies and how it was written."""

    data: Span | bytes
    offset: int | None
    """Where the literal starts in the stream, when it lies there as is."""
    how: str
    """``bytes``, ``string`` or ``base64 string``."""


Embedded = Callable[[Literal, str, int], None]
"""Scan a literal (the literal, the callable it reaches, the call's offset)."""


def _looks(head: bytes) -> bool:
    if head.startswith(MAGICS):
        return True
    offset, magic = TAR_MAGIC
    return head[offset : offset + len(magic)] == magic


Unwrap = Callable[[object], object]
"""A value's bytes when it is a call that hands them on unchanged (``io.BytesIO(b)``)."""


def _leaves(value: object, unwrap: Unwrap, depth: int = 0) -> Iterator[bytes | str | Blob]:
    value = unwrap(value)
    if isinstance(value, tuple | list):
        if depth < MAX_DEPTH:
            for item in value[:MAX_ITEMS]:
                yield from _leaves(item, unwrap, depth + 1)
    elif isinstance(value, SymDict):
        if depth < MAX_DEPTH:
            for _, item in value.pairs[:MAX_ITEMS]:
                yield from _leaves(item, unwrap, depth + 1)
    elif isinstance(value, bytes | str | Blob):
        yield value


def _text(value: str) -> Literal | None:
    if len(value) >= MIN_BASE64 and _BASE64.match(value):
        head = _b64(value[:12])
        if head is not None and _looks(head):
            data = _b64(value)
            return None if data is None else Literal(data, None, "base64 string")
    if value.startswith("\x80"):
        try:
            return Literal(value.encode("latin-1"), None, "string")
        except UnicodeEncodeError:
            return None
    return None


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text)
    except (binascii.Error, ValueError):
        return None


def literals(values: object, buf: Buffer, max_text: int, unwrap: Unwrap) -> Iterator[Literal]:
    """Payloads among ``values`` (a call's arguments or state) that look like a pickle or
    an archive. Long strings in the file are decoded only up to ``max_text`` bytes."""
    for leaf in _leaves(values, unwrap):
        if isinstance(leaf, bytes):
            if len(leaf) >= MIN_BYTES and _looks(leaf[: TAR_MAGIC[0] + 8]):
                yield Literal(leaf, None, "bytes")
        elif isinstance(leaf, str):
            found = _text(leaf)
            if found is not None:
                yield found
        elif leaf.length >= MIN_BYTES:
            head = bytes(buf[leaf.start : leaf.start + TAR_MAGIC[0] + 8])
            if not leaf.text:
                if _looks(head):
                    span = Span(buf, leaf.start, leaf.start + leaf.length)
                    yield Literal(span, leaf.start, "bytes")
            elif leaf.length <= max_text and (head.startswith(b"\xc2\x80") or head[:1].isalnum()):
                raw = bytes(buf[leaf.start : leaf.start + leaf.length])
                text = raw.decode("utf-8", "replace")
                found = _text(text)
                if found is not None:
                    yield Literal(found.data, leaf.start, found.how)
