"""Compressed streams (joblib's zlib/gzip/bz2/xz/lzma, ``.gz`` pickles), inflated under a budget.

joblib picks its decompressor from the magic bytes, whatever the file is called,
so a ``.pkl`` can be a zlib stream around a pickle. Output is capped by the
file's byte budget: a decompression bomb stops at the cap with an error.
"""

from __future__ import annotations

import bz2
import lzma
import zlib

from ptmscope.scan.containers import Recurse
from ptmscope.scan.context import ScanContext, Span

_CHUNK = 1 << 24


def _decompressor(kind: str) -> object:
    if kind == "zlib":
        return zlib.decompressobj()
    if kind == "gzip":
        return zlib.decompressobj(47)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    if kind in ("xz", "lzma"):
        return lzma.LZMADecompressor()
    raise ValueError(kind)


def inflate(span: Span, kind: str, ctx: ScanContext) -> bytes | None:
    limit = min(ctx.limits.member_bytes, ctx.budget.bytes_left)
    start = 0
    if kind == "joblib-zfile":  # joblib < 0.10: "ZF", the length in 19 hex characters, zlib
        start = 2 + 19
        kind = "zlib"
    engine = _decompressor(kind)
    out = bytearray()
    view = span.view()
    try:
        for pos in range(start, len(view), _CHUNK):
            piece = engine.decompress(view[pos : pos + _CHUNK], limit + 1 - len(out))  # type: ignore[attr-defined]
            out += piece
            if len(out) > limit:
                ctx.error(
                    f"decompresses past the scan budget of {limit:,} bytes (decompression bomb?)"
                )
                return None
            ctx.check_time()
            if getattr(engine, "eof", False):
                break
    except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError) as exc:
        if not out:
            ctx.error(f"cannot decompress {kind} stream: {exc}")
            return None
        ctx.error(f"{kind} stream is corrupt after {len(out):,} bytes: {exc}")
    ctx.take_bytes(len(out))
    return bytes(out)


def scan_compressed(span: Span, ctx: ScanContext, kind: str, recurse: Recurse) -> str:
    data = inflate(span, kind, ctx)
    if data is None:
        return kind
    inner = recurse(Span(data), ctx.member(f"{kind} stream"))
    if inner in ("pickle", "joblib"):
        return "joblib"
    return f"{kind}+{inner}"
