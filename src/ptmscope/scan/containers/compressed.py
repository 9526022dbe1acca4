"""Compressed streams (joblib's zlib/gzip/bz2/xz/lzma, ``.gz`` pickles), inflated under a budget.

joblib picks its decompressor from the magic bytes, whatever the file is called,
so a ``.pkl`` can be a zlib stream around a pickle. Inflation is the scanner's
one bounded routine (:mod:`ptmscope.scan.decompress`): a decompression bomb
stops at the member limit or the file's budget with an error, in flat memory.
"""

from __future__ import annotations

from ptmscope.scan.containers import Recurse
from ptmscope.scan.context import ScanContext, Span
from ptmscope.scan.decompress import decompressed


def scan_compressed(span: Span, ctx: ScanContext, kind: str, recurse: Recurse) -> str:
    with decompressed(span, kind, ctx, f"{kind} stream") as inflated:
        if inflated is None:
            return kind
        inner = recurse(inflated.span, ctx.member(f"{kind} stream"))
    if inner in ("pickle", "joblib"):
        return "joblib"
    return f"{kind}+{inner}"
