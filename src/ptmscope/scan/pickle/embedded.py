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
from collections.abc import Callable
from typing import NamedTuple

from ptmscope.scan.context import Buffer, Span
from ptmscope.scan.pickle.values import Blob, Call, SymDict

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


class Literal(NamedTuple):
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


_BASE64_HEADS = tuple(base64.b64encode(magic)[: len(magic) * 8 // 6] for magic in MAGICS)
_TEXT_HEADS = (*MAGICS, *_BASE64_HEADS, b"\xc2\x80")
"""How a literal that may be a payload begins in the file: the magic itself, its base64
(a text operand), or ``\\x80`` as UTF-8 (a pickle kept in a ``str``)."""


HEAD_BYTES = frozenset(head[0] for head in _TEXT_HEADS)


def maybe(buf: Buffer, start: int, length: int) -> bool:
    """Whether the literal ``buf[start:start+length]`` may be a payload: checked once as
    the interpreter reads it (a byte or two, most of the time), so calls are searched only
    once one has been seen."""
    if length < MIN_BYTES:
        return False
    if buf[start] in HEAD_BYTES and bytes(buf[start : start + 8]).startswith(_TEXT_HEADS):
        return True
    offset, magic = TAR_MAGIC
    return (
        length > offset + len(magic)
        and buf[start + offset] == magic[0]
        and bytes(buf[start + offset : start + offset + len(magic)]) == magic
    )


Unwrap = Callable[[object], object]
"""A value's bytes when it is a call that hands them on unchanged (``io.BytesIO(b)``)."""
_FIRST = frozenset(magic[0] for magic in MAGICS)


def _leaves(values: object, unwrap: Unwrap) -> list[bytes | str | Blob]:
    """Literals among ``values`` worth a look; a loop, not recursion: it runs on every call
    of every pickle, so the common case (a few short literals) must cost next to nothing."""
    found: list[bytes | str | Blob] = []
    stack: list[tuple[object, int]] = [(values, 0)]
    while stack:
        value, depth = stack.pop()
        kind = type(value)
        if kind is Call:
            value = unwrap(value)
            kind = type(value)
        if kind is tuple or kind is list:
            if depth <= MAX_DEPTH:
                stack.extend((item, depth + 1) for item in value[:MAX_ITEMS])  # type: ignore[index]
        elif kind is bytes:
            if len(value) >= MIN_BYTES and (value[0] in _FIRST or len(value) > TAR_MAGIC[0]):  # type: ignore[arg-type,index]
                found.append(value)  # type: ignore[arg-type]
        elif kind is str:
            if len(value) >= MIN_BASE64 or value[:1] == "\x80":  # type: ignore[arg-type,index]
                found.append(value)  # type: ignore[arg-type]
        elif kind is Blob:
            if value.length >= MIN_BYTES:  # type: ignore[attr-defined]
                found.append(value)  # type: ignore[arg-type]
        elif kind is SymDict and depth <= MAX_DEPTH:
            stack.extend((item, depth + 1) for _, item in value.pairs[:MAX_ITEMS])  # type: ignore[attr-defined]
    return found


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


def literals(values: object, buf: Buffer, max_text: int, unwrap: Unwrap) -> list[Literal]:
    """Payloads among ``values`` (a call's arguments or state) that look like a pickle or
    an archive. Long strings in the file are decoded only up to ``max_text`` bytes."""
    leaves = _leaves(values, unwrap)
    return [found for leaf in leaves if (found := _literal(leaf, buf, max_text)) is not None]


def _literal(leaf: bytes | str | Blob, buf: Buffer, max_text: int) -> Literal | None:
    if isinstance(leaf, bytes):
        return Literal(leaf, None, "bytes") if _looks(leaf[: TAR_MAGIC[0] + 8]) else None
    if isinstance(leaf, str):
        return _text(leaf)
    head = bytes(buf[leaf.start : leaf.start + TAR_MAGIC[0] + 8])
    if not leaf.text:
        if _looks(head):
            return Literal(Span(buf, leaf.start, leaf.start + leaf.length), leaf.start, "bytes")
        return None
    if leaf.length <= max_text and (head.startswith(b"\xc2\x80") or head[:1].isalnum()):
        text = bytes(buf[leaf.start : leaf.start + leaf.length]).decode("utf-8", "replace")
        found = _text(text)
        if found is not None:
            return Literal(found.data, leaf.start, found.how)
    return None
