"""Protocol Buffers wire format, read field by field without generated classes.

ONNX and TensorFlow SavedModel files are protobuf messages. Reading the wire
format directly needs no ``onnx`` or ``tensorflow`` install, copies no tensor
bytes (length-delimited fields are returned as spans) and can stop at any
bound.
"""

from __future__ import annotations

from collections.abc import Iterator

from ptmscope.scan.context import Span


class WireError(ValueError):
    pass


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
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def fields(span: Span) -> Iterator[tuple[int, int, int | Span]]:
    """``(field number, wire type, value)``; value is an int or a span of bytes."""
    pos, end = span.start, span.end
    while pos < end:
        key, pos = _varint(span, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == 0:
            value, pos = _varint(span, pos, end)
            yield number, wire, value
        elif wire == 1:
            pos += 8
            yield number, wire, 0
        elif wire == 2:
            length, pos = _varint(span, pos, end)
            if pos + length > end:
                raise WireError("length-delimited field runs past its message")
            yield number, wire, Span(span.buf, pos, pos + length)
            pos += length
        elif wire == 5:
            pos += 4
            yield number, wire, 0
        else:
            raise WireError(f"unsupported wire type {wire}")
        if pos > end:
            raise WireError("field runs past its message")


def messages(span: Span, number: int) -> Iterator[Span]:
    for field, wire, value in fields(span):
        if field == number and wire == 2 and isinstance(value, Span):
            yield value


def strings(span: Span, number: int) -> list[str]:
    return [bytes(m.view()).decode("utf-8", "replace") for m in messages(span, number)]
