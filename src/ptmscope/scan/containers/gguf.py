"""GGUF (llama.cpp): a typed key/value header, tensor descriptors, then data.

The header is parsed with hard bounds (counts, string and array lengths), tensor
offsets are checked against the file, and every ``tokenizer.chat_template*``
value goes to :mod:`ptmscope.scan.templates`.
"""

from __future__ import annotations

import struct

from ptmscope.scan.containers.base import Magic, WeightInfo, WeightProbe
from ptmscope.scan.context import ScanContext, ScanTimeout, Span
from ptmscope.scan.templates import check_template
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat

GGUF_MAGIC = b"GGUF"
VERSION_FIELD = slice(4, 8)
"""The little-endian uint32 version after the magic."""
VERSIONS = (1, 2, 3)

_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_MAX_KV = 1 << 20
_MAX_STRING = 64 << 20
_MAX_ARRAY = 1 << 27


class GGUFError(ValueError):
    """The header breaks the GGUF format or its bounds."""


class _Reader:
    def __init__(self, span: Span, version: int, ctx: ScanContext) -> None:
        self.span = span
        self.pos = 8
        self.version = version
        self.ctx = ctx

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.span.size:
            raise GGUFError("header runs past the end of the file")
        data = self.span.read(self.pos, n)
        self.pos += n
        return data

    def count(self) -> int:
        fmt = "<I" if self.version == 1 else "<Q"
        return int(struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0])

    def string(self, keep: bool = True) -> str:
        n = self.count()
        if n > _MAX_STRING:
            raise GGUFError(f"string of {n:,} bytes")
        if not keep:
            self.pos += n
            if self.pos > self.span.size:
                raise GGUFError("header runs past the end of the file")
            return ""
        return self.take(n).decode("utf-8", "replace")

    def value(self, kind: int, keep: bool) -> object:
        """One typed value; arrays and strings are kept only when ``keep`` (small enough)."""
        if kind in _SCALARS:
            fmt = _SCALARS[kind]
            return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        if kind == 8:
            return self.string(keep)
        if kind == 9:
            inner = struct.unpack("<I", self.take(4))[0]
            n = self.count()
            if n > _MAX_ARRAY:
                raise GGUFError(f"array of {n:,} items")
            if inner in _SCALARS:
                self.take(n * struct.calcsize(_SCALARS[inner]))
                return None
            items = []
            for index in range(n):
                if index & 0xFFFF == 0xFFFF:
                    self.ctx.check_time()
                items.append(self.value(inner, keep and n <= 16))
            return items if keep and n <= 16 else None
        raise GGUFError(f"unknown value type {kind}")


def scan_gguf(span: Span, ctx: ScanContext) -> FileFormat:
    """Parse the key/value header under bounds; check tensor offsets and chat templates."""
    head = span.read(0, 24)
    version = struct.unpack("<I", head[VERSION_FIELD])[0] if len(head) >= VERSION_FIELD.stop else 0
    if version not in VERSIONS:
        ctx.error(f"unknown GGUF version {version}")
        return FileFormat.GGUF
    reader = _Reader(span, version, ctx)
    try:
        tensors = reader.count()
        kv_count = reader.count()
        if kv_count > _MAX_KV or tensors > _MAX_KV * 16:
            raise GGUFError(f"{kv_count:,} keys and {tensors:,} tensors")
        alignment = 32
        for _ in range(kv_count):
            ctx.check_time()
            key = reader.string()
            kind = struct.unpack("<I", reader.take(4))[0]
            template = key.startswith("tokenizer.chat_template")
            value = reader.value(kind, keep=template or key == "general.alignment")
            if key == "general.alignment" and isinstance(value, int) and value > 0:
                alignment = value
            if template and isinstance(value, str):
                _check(value, key, ctx)
        infos = []
        for index in range(tensors):
            if index & 0xFFFF == 0xFFFF:
                ctx.check_time()
            reader.string(keep=False)
            dims = struct.unpack("<I", reader.take(4))[0]
            if dims > 8:
                raise GGUFError(f"tensor with {dims} dimensions")
            reader.take(8 * dims if version > 1 else 4 * dims)
            reader.take(4)
            infos.append(struct.unpack("<Q", reader.take(8))[0])
        data_start = -(-reader.pos // alignment) * alignment
        beyond = [o for o in infos if data_start + o > span.size]
        if beyond:
            ctx.add(
                "gguf.offset_out_of_range",
                Severity.MEDIUM,
                f"{len(beyond)} tensor(s) point past the end of the file",
                category="tampering",
            )
    except (GGUFError, struct.error) as exc:
        ctx.error(f"GGUF header unreadable: {exc}", offset=reader.pos)
    except ScanTimeout as exc:
        ctx.error(f"GGUF header: {exc}", offset=reader.pos)
    return FileFormat.GGUF


def _check(template: str, key: str, ctx: ScanContext) -> None:
    issues, error = check_template(template)
    if error:
        ctx.error(f"{key}: {error}")
    for issue in issues:
        where = f" (template line {issue.line})" if issue.line else ""
        ctx.add(
            "template.injection",
            issue.severity,
            f"{key}: {issue.message}{where}",
            target=key,
            category="code-execution",
        )


class GgufContainer(Magic):
    """GGUF (llama.cpp) model files."""

    kind = FileFormat.GGUF
    magic = (GGUF_MAGIC,)

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_gguf(span, hooks)

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return WeightInfo(self.kind)


GGUF = GgufContainer()
