"""Protocol Buffers wire format, read field by field without generated classes.

ONNX and TensorFlow SavedModel files are protobuf messages. Reading the wire
format directly needs no ``onnx`` or ``tensorflow`` install, copies no tensor
bytes (length-delimited fields are returned as spans) and can stop at any
bound.
"""

from __future__ import annotations

from collections.abc import Iterator

from ptmscope.scan.context import Span
from ptmscope.scan.pickle.values import OPCODE_BYTES

WIRE_VARINT = 0
WIRE_FIXED64 = 1
WIRE_LENGTH_DELIMITED = 2
WIRE_FIXED32 = 5
FIXED64_SIZE = 8
FIXED32_SIZE = 4
MAX_VARINT_SHIFT = 63
"""A varint longer than 10 bytes overflows 64 bits."""
FIRST_TAGS = frozenset({0x08, 0x0A, 0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x42})
"""Field keys a model message starts with (fields 1–8 as varint or length-delimited)."""


def looks_like_protobuf(head: bytes) -> bool:
    """Worth parsing as protobuf: a usual first field key, or a byte a pickle may start with
    (a stream that did not parse as a pickle is tried as protobuf next, as it always was)."""
    return bool(head) and head[0] in PROTOBUF_FIRST_BYTES


PROTOBUF_FIRST_BYTES = FIRST_TAGS | frozenset(OPCODE_BYTES)
"""Every first byte :func:`looks_like_protobuf` accepts (the registry's shortcut)."""


class WireError(ValueError):
    """The bytes break the protobuf wire format."""


def _varint(buf: Span, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise WireError("truncated varint")
        byte = buf.buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > MAX_VARINT_SHIFT:
            raise WireError("varint longer than 10 bytes")


def fields(span: Span) -> Iterator[tuple[int, int, int | Span]]:
    """``(field number, wire type, value)``; value is an int or a span of bytes."""
    pos, end = span.start, span.end
    while pos < end:
        key, pos = _varint(span, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == WIRE_VARINT:
            value, pos = _varint(span, pos, end)
            yield number, wire, value
        elif wire == WIRE_FIXED64:
            pos += FIXED64_SIZE
            yield number, wire, 0
        elif wire == WIRE_LENGTH_DELIMITED:
            length, pos = _varint(span, pos, end)
            if pos + length > end:
                raise WireError("length-delimited field runs past its message")
            yield number, wire, Span(span.buf, pos, pos + length)
            pos += length
        elif wire == WIRE_FIXED32:
            pos += FIXED32_SIZE
            yield number, wire, 0
        else:
            raise WireError(f"unsupported wire type {wire}")
        if pos > end:
            raise WireError("field runs past its message")


def messages(span: Span, number: int) -> Iterator[Span]:
    for field, wire, value in fields(span):
        if field == number and wire == WIRE_LENGTH_DELIMITED and isinstance(value, Span):
            yield value


def strings(span: Span, number: int) -> list[str]:
    return [bytes(m.view()).decode("utf-8", "replace") for m in messages(span, number)]
