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

from ptmscope.scan.containers.base import Confidence, Container, WeightInfo, WeightProbe
from ptmscope.scan.context import ScanContext, Span
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat

LENGTH_SIZE = 8
"""The header's length, a little-endian uint64, comes first."""
MIN_HEADER = 2
"""``{}``: the shortest JSON object."""
HEADER_FIRST_BYTES = b'"} \n\r\t'
"""What may follow the header's opening brace."""
UNCLAIMED_SLACK = 4096
"""Bytes of the data section that may belong to no tensor (alignment) before it is a finding."""
MAX_HEADER = 100_000_000
DTYPE_BITS = {
    "F64": 64, "F32": 32, "F16": 16, "BF16": 16, "F8_E4M3": 8, "F8_E5M2": 8, "I64": 64,
    "I32": 32, "I16": 16, "I8": 8, "U64": 64, "U32": 32, "U16": 16, "U8": 8, "BOOL": 8,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "F8_E8M0": 8, "C64": 64, "U4": 4, "I4": 4,
}  # fmt: skip


@dataclass(frozen=True)
class Header:
    """What a valid header says: parameter count, dtypes, and how much data it claims."""

    parameters: int
    dtypes: tuple[str, ...]
    data_size: int
    covered: int
    """Bytes of the data section that some tensor claims."""


class HeaderError(ValueError):
    """The header is invalid (its message says how)."""


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


def scan_safetensors(span: Span, ctx: ScanContext) -> FileFormat:
    """Validate the header; bytes no tensor claims are a finding (room for a payload)."""
    try:
        header = parse_header(span.read, span.size)
    except HeaderError as exc:
        ctx.add(
            "safetensors.invalid_header",
            Severity.MEDIUM,
            f"invalid safetensors header: {exc}; loaders reject it, or worse, read past it",
            category="tampering",
        )
        return FileFormat.SAFETENSORS
    unclaimed = header.data_size - header.covered
    if unclaimed > UNCLAIMED_SLACK:
        ctx.add(
            "safetensors.unclaimed_bytes",
            Severity.MEDIUM,
            f"{unclaimed:,} bytes of the data section belong to no tensor (room for a hidden payload)",
            category="tampering",
        )
    return FileFormat.SAFETENSORS


def looks_like_safetensors(head: bytes) -> bool:
    """A plausible header length followed by a JSON object's opening."""
    if len(head) < LENGTH_SIZE + 2:
        return False
    length = int.from_bytes(head[:LENGTH_SIZE], "little")
    # A header longer than the file is still safetensors: a truncated one, which its reader reports.
    return (
        MIN_HEADER <= length <= MAX_HEADER
        and head[LENGTH_SIZE : LENGTH_SIZE + 1] == b"{"
        and head[LENGTH_SIZE + 1 : LENGTH_SIZE + 2] in HEADER_FIRST_BYTES
    )


class SafetensorsContainer(Container):
    """safetensors files: only the header is read."""

    kind = FileFormat.SAFETENSORS

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.SURE if looks_like_safetensors(head) else None

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_safetensors(span, hooks)

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        try:
            header = parse_header(probe.read, probe.size)
        except HeaderError as exc:
            return WeightInfo(self.kind, error=str(exc))
        return WeightInfo(self.kind, parameters=header.parameters, dtypes=header.dtypes)


SAFETENSORS = SafetensorsContainer()
