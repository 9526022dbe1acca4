"""The one decompression routine: every codec, every container, under the file's budget.

A decompression bomb is a small input that a reader inflates into memory until
it falls over: 2 GiB gzip members cost 4–6 GB when each container inflated its
members into one ``bytearray``. Here output is produced a few megabytes at a
time; a member that stays under ``Limits.in_memory_bytes`` is kept in memory,
a larger one is written on to a deleted temporary file and mapped, so memory
stays flat whatever the member's size. Inflation stops as soon as the member
passes ``Limits.member_bytes`` or the file's ``Limits.total_bytes`` budget runs
out (an error, and the part inflated so far is still scanned: a payload in
front of a bomb is not hidden by it), and the file's deadline is checked
between pieces. Gzip, zlib (joblib), bzip2, xz and lzma streams, joblib's old
``ZF`` files, and zip's deflate, bzip2 and lzma members all come through here.
"""

from __future__ import annotations

import contextlib
import mmap
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple

from ptmscope.scan.context import ScanContext, Span

IN_CHUNK = 1 << 20
"""Compressed bytes fed to the decompressor at a time (zlib copies what it has not used)."""
OUT_CHUNK = 4 << 20
"""Decompressed bytes asked of the decompressor at a time."""

_MAGIC = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00"}
"""Codecs whose streams may follow each other in one file (``gzip -c a b``); each is read."""


def _errors() -> tuple[type[BaseException], ...]:
    """What a failing decompressor raises (``lzma`` imported only once a stream fails)."""
    import lzma

    return (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError)


class Inflated(NamedTuple):
    """A decompressed stream (in memory or a mapped temporary file) and how it ended."""

    span: Span
    crc: int
    """CRC-32 of the output (what a zip member's directory entry must state)."""
    complete: bool
    """False when inflation stopped at a limit or at corrupt data: ``span`` is a prefix."""


class _Engine:
    """One decompressor behind one interface (zlib keeps unused input, bz2/lzma keep state)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.obj = make()
        self.zlib = hasattr(self.obj, "unconsumed_tail")

    def feed(self, data: bytes | memoryview) -> bytes:
        return bytes(self.obj.decompress(data, OUT_CHUNK))

    def more(self) -> bytes | None:
        """Output still held back by ``OUT_CHUNK`` without new input, or ``None``."""
        if self.zlib:
            tail = self.obj.unconsumed_tail
            return bytes(self.obj.decompress(tail, OUT_CHUNK)) if tail else None
        if self.obj.eof or self.obj.needs_input:
            return None
        return bytes(self.obj.decompress(b"", OUT_CHUNK))

    @property
    def eof(self) -> bool:
        return bool(self.obj.eof)

    @property
    def unused(self) -> int:
        return len(self.obj.unused_data)


def _factory(codec: str, view: memoryview) -> tuple[Callable[[], Any], memoryview]:
    """The decompressor to use and the compressed bytes it reads."""
    if codec == "gzip":
        return lambda: zlib.decompressobj(47), view
    if codec == "zlib":
        return zlib.decompressobj, view
    if codec == "joblib-zfile":  # joblib < 0.10: "ZF", the length in 19 hex characters, zlib
        return zlib.decompressobj, view[21:]
    if codec == "deflate":
        return lambda: zlib.decompressobj(-15), view
    if codec in ("bzip2", "zip-bzip2"):
        import bz2  # the codecs load on use: a one-file scan's start-up skips them

        return bz2.BZ2Decompressor, view
    import lzma

    if codec in ("xz", "lzma"):
        return lzma.LZMADecompressor, view
    if codec == "zip-lzma":  # zip's own header: version (2), properties size (2), properties
        if len(view) < 4:
            raise ValueError("short LZMA header")
        size = int.from_bytes(view[2:4], "little")
        props = bytes(view[4 : 4 + size])
        filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)]  # type: ignore[attr-defined]
        return lambda: lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters), view[4 + size :]
    raise ValueError(f"unknown codec {codec}")


def _pieces(codec: str, view: memoryview) -> Iterator[bytes]:
    """Decompressed output, ``OUT_CHUNK`` at most per piece; raises on corrupt input."""
    make, data = _factory(codec, view)
    start = 0
    while True:
        engine = _Engine(make)
        pos = start
        while not engine.eof:
            if pos >= len(data):
                raise EOFError("the compressed stream ends before its end marker")
            chunk = data[pos : pos + IN_CHUNK]
            pos += len(chunk)
            piece: bytes | None = engine.feed(chunk)
            while piece:
                yield piece
                piece = engine.more()
        start = pos - engine.unused
        magic = _MAGIC.get(codec)
        if magic is None or bytes(data[start : start + len(magic)]) != magic:
            return


class Sink:
    """Output in memory up to a threshold, then in a deleted temporary file."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.memory = bytearray()
        self.file: IO[bytes] | None = None
        self.size = 0
        self.crc = 0
        self.mapped: mmap.mmap | None = None

    def spill(self) -> None:
        """Move what is held in memory to a deleted temporary file; later writes go there."""
        if self.file is None:
            # Closed in close(), not here: the file outlives this call.
            import tempfile  # only when a member spills past memory

            self.file = tempfile.TemporaryFile(prefix="ptmscope-member-")  # noqa: SIM115
            self.file.write(self.memory)
            self.memory = bytearray()

    def write(self, piece: bytes) -> None:
        self.crc = zlib.crc32(piece, self.crc)
        self.size += len(piece)
        if self.size > self.threshold:
            self.spill()
        if self.file is not None:
            self.file.write(piece)
        else:
            self.memory += piece

    def span(self) -> Span:
        if self.file is None:
            return Span(self.memory)
        self.file.flush()
        self.mapped = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        return Span(self.mapped)

    def close(self) -> None:
        if self.mapped is not None:
            with contextlib.suppress(BufferError):  # a view still held: freed with it
                self.mapped.close()
        if self.file is not None:
            self.file.close()  # already unlinked: closing frees the disk space
        self.memory = bytearray()


@contextlib.contextmanager
def decompressed(
    source: Span | bytes, codec: str, ctx: ScanContext, what: str
) -> Iterator[Inflated | None]:
    """Inflate ``source`` as ``codec`` for the ``with`` block; ``None`` when nothing came out.

    Problems are recorded on ``ctx`` as errors naming ``what``. The output's
    memory or temporary file is released when the block ends, so the span must
    not be kept beyond it.
    """
    member_limit = ctx.limits.member_bytes
    limit = min(member_limit, ctx.budget.bytes_left)
    view = source.view() if isinstance(source, Span) else memoryview(source)
    sink = Sink(ctx.limits.in_memory_bytes)
    complete = True
    try:
        try:
            for piece in _pieces(codec, view):
                room = limit - sink.size
                if len(piece) > room:
                    sink.write(piece[: max(room, 0)])
                    complete = False
                    _over_limit(ctx, what, limit, member_limit)
                    break
                sink.write(piece)
                ctx.check_time()
        except _errors() as exc:
            complete = False
            if not sink.size:
                ctx.error(f"{what}: cannot decompress {codec} data: {exc}")
            else:
                ctx.error(f"{what}: {codec} data is corrupt after {sink.size:,} bytes: {exc}")
        ctx.take_bytes(sink.size)
        if not sink.size:
            yield None
            return
        yield Inflated(sink.span(), sink.crc, complete)
    finally:
        sink.close()


def _over_limit(ctx: ScanContext, what: str, limit: int, member_limit: int) -> None:
    if limit < member_limit:
        reason = f"the file's {ctx.limits.total_bytes:,} decompressed bytes in all are spent"
    else:
        reason = f"{member_limit:,} bytes per member"
    ctx.error(
        f"{what}: decompresses past the scan budget ({reason}; decompression bomb?): "
        f"only the first {limit:,} bytes were scanned"
    )
