"""Compressed streams (joblib's zlib/gzip/bz2/xz/lzma, ``.gz`` pickles), inflated under a budget.

joblib picks its decompressor from the magic bytes, whatever the file is called,
so a ``.pkl`` can be a zlib stream around a pickle. Inflation is the scanner's
one bounded routine (:mod:`ptmscope.scan.decompress`): a decompression bomb
stops at the member limit or the file's budget with an error, in flat memory.
"""

from __future__ import annotations

from collections.abc import Callable

from ptmscope.scan.containers.base import Confidence, Container, WeightInfo, WeightProbe
from ptmscope.scan.context import ScanContext, Span
from ptmscope.vocab import FileFormat

GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
LZMA_MAGIC = b"\x5d\x00\x00"
"""``lzma.FORMAT_ALONE`` with the default properties byte (lc=3, lp=0, pb=2)."""
JOBLIB_ZFILE_MAGIC = b"ZF0x"
ZLIB_METHOD_DEFLATE = 0x78
"""First byte of a zlib stream with deflate and a 32 KiB window (as joblib writes)."""
ZLIB_CHECK = 31
"""A zlib header's two bytes, read big-endian, are a multiple of 31 (RFC 1950)."""


def _zlib_header(head: bytes) -> bool:
    return (
        len(head) >= 2
        and head[0] == ZLIB_METHOD_DEFLATE
        and (head[0] * 256 + head[1]) % ZLIB_CHECK == 0
    )


def scan_compressed(span: Span, ctx: ScanContext, kind: str) -> str:
    """Inflate and scan the content; ``joblib`` around a pickle, else ``<codec>+<inner>``."""
    from ptmscope.scan.decompress import decompressed  # a compressed stream is in hand

    with decompressed(span, kind, ctx, f"{kind} stream") as inflated:
        if inflated is None:
            return kind
        inner = ctx.member(f"{kind} stream").scan_member(inflated.span)
    if inner in (FileFormat.PICKLE, FileFormat.JOBLIB):
        return FileFormat.JOBLIB
    return f"{kind}+{inner}"


class Codec(Container):
    """One compressed stream format, told by its header."""

    def __init__(
        self, kind: FileFormat, test: Callable[[bytes], bool], first: frozenset[int]
    ) -> None:
        self.kind = kind
        self._first = first
        self._test = test

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.SURE if self._test(head) else None

    def first_bytes(self) -> frozenset[int] | None:
        return self._first

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_compressed(span, hooks, self.kind)

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return WeightInfo(self.kind, pickle_based=probe.pickle_named)


def _magic(prefix: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(prefix)


CODECS = (
    Codec(FileFormat.GZIP, _magic(GZIP_MAGIC), frozenset(GZIP_MAGIC[:1])),
    Codec(FileFormat.BZIP2, _magic(BZIP2_MAGIC), frozenset(BZIP2_MAGIC[:1])),
    Codec(FileFormat.XZ, _magic(XZ_MAGIC), frozenset(XZ_MAGIC[:1])),
    Codec(FileFormat.LZMA, _magic(LZMA_MAGIC), frozenset(LZMA_MAGIC[:1])),
    Codec(FileFormat.JOBLIB_ZFILE, _magic(JOBLIB_ZFILE_MAGIC), frozenset(JOBLIB_ZFILE_MAGIC[:1])),
    Codec(
        FileFormat.ZLIB, _zlib_header, frozenset({ZLIB_METHOD_DEFLATE})
    ),  # last: two bytes that other headers may start with
)
"""The compressed formats in the order their headers are tried."""
