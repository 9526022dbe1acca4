"""safetensors: a JSON header of tensor names, dtypes, shapes and byte ranges, then data.

The format runs no code, but a header can still lie: lengths past the file,
ranges that overlap (two tensors aliasing one buffer) or leave gaps where other
content can hide, dtypes no reader knows. Only the header is read.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from ptmscope.scan.context import ScanContext, Span
from ptmscope.severity import Severity

MAX_HEADER = 100_000_000
DTYPE_BITS = {
    "F64": 64, "F32": 32, "F16": 16, "BF16": 16, "F8_E4M3": 8, "F8_E5M2": 8, "I64": 64,
    "I32": 32, "I16": 16, "I8": 8, "U64": 64, "U32": 32, "U16": 16, "U8": 8, "BOOL": 8,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "F8_E8M0": 8, "C64": 64, "U4": 4, "I4": 4,
}  # fmt: skip


@dataclass(frozen=True)
class Header:
    parameters: int
    dtypes: tuple[str, ...]
    data_size: int
    covered: int
    """Bytes of the data section that some tensor claims."""


class HeaderError(ValueError):
    pass


def parse_header(read: Callable[[int, int], bytes], size: int) -> Header:
    """Validate the header; raise :class:`HeaderError` with the first problem found."""
    if size < 8:
        raise HeaderError("shorter than the 8-byte header length")
    length = int.from_bytes(read(0, 8), "little")
    if length > MAX_HEADER or 8 + length > size:
        raise HeaderError(f"header length {length} exceeds the file")
    try:
        header = json.loads(read(8, length))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise HeaderError(f"header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise HeaderError("header is not a JSON object")
    data_size = size - 8 - length
    parameters = 0
    dtypes: set[str] = set()
    spans: list[tuple[int, int]] = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise HeaderError("__metadata__ must map strings to strings")
            continue
        if not isinstance(info, dict):
            raise HeaderError(f"tensor {name!r} is malformed")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if (
            not isinstance(dtype, str)
            or not isinstance(shape, list)
            or not all(isinstance(d, int) and d >= 0 for d in shape)
            or not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) for o in offsets)
        ):
            raise HeaderError(f"tensor {name!r} is malformed")
        start, end = offsets
        if not 0 <= start <= end <= data_size:
            raise HeaderError(f"tensor {name!r} lies outside the file")
        bits = DTYPE_BITS.get(dtype)
        if bits is None:
            raise HeaderError(f"tensor {name!r} has unknown dtype {dtype}")
        count = math.prod(shape)
        if (count * bits + 7) // 8 != end - start:
            raise HeaderError(f"tensor {name!r} size disagrees with its shape")
        spans.append((start, end))
        parameters += count
        dtypes.add(dtype)
    spans.sort()
    for (_, prev_end), (start, _) in itertools.pairwise(spans):
        if start < prev_end:
            raise HeaderError("tensors overlap")
    covered = sum(end - start for start, end in spans)
    return Header(parameters, tuple(sorted(dtypes)), data_size, covered)


def scan_safetensors(span: Span, ctx: ScanContext) -> str:
    try:
        header = parse_header(span.read, span.size)
    except HeaderError as exc:
        ctx.add(
            "safetensors.invalid_header",
            Severity.MEDIUM,
            f"invalid safetensors header: {exc}; loaders reject it, or worse, read past it",
            category="tampering",
        )
        return "safetensors"
    unclaimed = header.data_size - header.covered
    if unclaimed > 4096:
        ctx.add(
            "safetensors.unclaimed_bytes",
            Severity.MEDIUM,
            f"{unclaimed:,} bytes of the data section belong to no tensor (room for a hidden payload)",
            category="tampering",
        )
    return "safetensors"
