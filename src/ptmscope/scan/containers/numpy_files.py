"""NumPy ``.npy``: a header, then raw data, or a pickle when the dtype holds objects.

``numpy.load(allow_pickle=True)`` unpickles object arrays, so an ``.npy`` is as
dangerous as a pickle whenever its header says ``O``. The header is a Python
literal; it is read with :func:`ast.literal_eval`, which builds constants and
never calls anything (numpy itself reads it the same way).
"""

from __future__ import annotations

import ast
import math
import warnings

from ptmscope.scan.containers.base import Magic, WeightInfo, WeightProbe
from ptmscope.scan.context import ScanContext, Span
from ptmscope.scan.pickles import scan_pickle
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat

NPY_MAGIC = b"\x93NUMPY"
VERSION_BYTE = 6
"""Offset of the format's major version after the magic."""
V1_HEADER_LEN = slice(8, 10)
"""Version 1: a 2-byte header length, the header from byte 10."""
V2_HEADER_LEN = slice(8, 12)
"""Versions 2 and 3: a 4-byte header length, the header from byte 12."""
OBJECT_DESCR = b"'descr': '|O'"
"""How ``numpy.save`` writes an object dtype in the header (a pickle follows)."""
_MAX_HEADER = 1 << 20


def _itemsize(descr: object) -> int | None:
    if isinstance(descr, str):
        digits = descr.lstrip("<>|=").lstrip(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ?"
        )
        if not digits.isdigit():
            return None
        size = int(digits)
        return size * 4 if descr.lstrip("<>|=").startswith("U") else size
    if isinstance(descr, list):
        total = 0
        for field in descr:
            if not isinstance(field, tuple) or len(field) < 2:
                return None
            field_size = _itemsize(field[1])
            if field_size is None:
                return None
            size = field_size
            if len(field) > 2 and isinstance(field[2], tuple):
                size *= math.prod(d for d in field[2] if isinstance(d, int))
            total += size
        return total
    return None


def _has_object(descr: object) -> bool:
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list | tuple):
        return any(_has_object(part) for part in descr)
    return False


def scan_npy(span: Span, ctx: ScanContext) -> FileFormat:
    """Read the header; an object array's pickle and any data after the array are scanned."""
    nested = ctx.load_payload
    head = span.read(0, V2_HEADER_LEN.stop)
    major = head[VERSION_BYTE] if len(head) > VERSION_BYTE else 0
    if major == 1:
        length, start = int.from_bytes(head[V1_HEADER_LEN], "little"), V1_HEADER_LEN.stop
    elif major in (2, 3):
        length, start = int.from_bytes(head[V2_HEADER_LEN], "little"), V2_HEADER_LEN.stop
    else:
        ctx.error(f"unknown .npy format version {major}")
        return FileFormat.NPY
    if length > _MAX_HEADER or start + length > span.size:
        ctx.error(f".npy header of {length:,} bytes does not fit the file")
        return FileFormat.NPY
    text = span.read(start, length).decode("utf-8" if major == 3 else "latin-1", "replace")
    try:
        with warnings.catch_warnings():  # a hostile header's bad escapes are not our warnings
            warnings.simplefilter("ignore")
            header = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        ctx.error(".npy header is not a Python literal")
        return FileFormat.NPY
    if not isinstance(header, dict) or not {"descr", "shape"} <= header.keys():
        ctx.error(".npy header lacks descr or shape")
        return FileFormat.NPY
    data = span.sub(start + length, span.size - start - length)
    if _has_object(header["descr"]):
        ctx.add(
            "numpy.object_array",
            Severity.LOW,
            "object array: numpy.load(allow_pickle=True) unpickles its data",
            offset=start + length,
            category="deserialization",
        )
        scan_pickle(data, ctx.member(f"pickle at offset {start + length}"), nested=nested)
        return FileFormat.NPY
    shape = header["shape"]
    size = _itemsize(header["descr"])
    if isinstance(shape, tuple) and size is not None and all(isinstance(d, int) for d in shape):
        expected = math.prod(shape) * size
        if expected > data.size:
            ctx.error(f"array data truncated: {data.size:,} of {expected:,} bytes")
        elif expected < data.size:
            scan_pickle(
                data.sub(expected, data.size - expected),
                ctx.member(f"data after the array at offset {start + length + expected}"),
                nested=nested,
                sniffing=True,
                search=True,
            )
    return FileFormat.NPY


class NpyContainer(Magic):
    """NumPy ``.npy`` arrays (a pickle inside when the dtype holds objects)."""

    kind = FileFormat.NPY
    magic = (NPY_MAGIC,)

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_npy(span, hooks)

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return WeightInfo(self.kind, pickle_based=OBJECT_DESCR in probe.head)


NPY = NpyContainer()
