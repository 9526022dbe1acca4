"""A 7z reader in the standard library: what 7z writers produce by default, nothing executed.

py7zr pulls in Cryptodome, cffi, psutil and pyppmd (66 ms of a 234 ms scan of
a whole folder) to read archives that almost always hold one folder of LZMA2,
LZMA, BZIP2, Deflate or stored data, sometimes behind a BCJ or Delta filter
(py7zr itself writes BCJ x86 + LZMA2 by default). liblzma decodes such chains
raw, so this module reads the signature header, the (possibly encoded) header,
pack, unpack and substream info and the file names itself, and leaves anything
else (AES, BCJ2, PPMd, branched coder graphs, unknown methods) to py7zr by
raising :class:`Unsupported` before it has recorded anything.

Every count in the header is bounded by the bytes that hold it or by
``Limits.members``; the header itself by :data:`HEADER_BYTES`; a member's
declared size by ``Limits.member_bytes`` and the file's decompressed-bytes
budget before a byte of it is inflated, and what is inflated goes piece by
piece into a :class:`~ptmscope.scan.decompress.Sink` (memory, then a temporary
file). Each member is scanned and released before the next is inflated. A
CRC-32 that does not match is tampering, reported like a zip member's.
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from ptmscope.scan.context import ScanContext, Span
from ptmscope.scan.decompress import IN_CHUNK, OUT_CHUNK, Sink
from ptmscope.severity import Severity

SIGNATURE = b"7z\xbc\xaf\x27\x1c"
SIGNATURE_HEADER_SIZE = 32
"""Signature, version, start-header CRC, next-header offset, size and CRC."""
HEADER_BYTES = 64 << 20
"""Largest header read, after decoding: the header of 200,000 members with long names
is a few megabytes, and it is held in memory whole."""
HEADER_LAYERS = 4
"""Encoded headers inside encoded headers followed (7-Zip and py7zr write one)."""
CODERS = 4
"""Coders in one folder: liblzma chains at most four filters."""
LZMA_DICT_MIN = 4096
"""Smallest dictionary liblzma uses; a declared one is cut to the output it must produce."""

# Property ids of the header (7-Zip's 7zFormat.txt).
_END, _HEADER, _ARCHIVE_PROPERTIES, _ADDITIONAL_STREAMS, _MAIN_STREAMS, _FILES = range(6)
_PACK_INFO, _UNPACK_INFO, _SUBSTREAMS, _SIZE, _CRC, _FOLDER = range(6, 12)
_CODERS_UNPACK_SIZE, _NUM_UNPACK_STREAM, _EMPTY_STREAM, _EMPTY_FILE = range(12, 16)
_NAME = 0x11
_ENCODED_HEADER = 0x17

_COPY = b"\x00"
_LZMA = b"\x03\x01\x01"
_LZMA2 = b"\x21"
_BZIP2 = b"\x04\x02\x02"
_DEFLATE = b"\x04\x01\x08"
_LZMA_CHAIN_FILTERS = {
    b"\x03": lzma.FILTER_DELTA,
    b"\x03\x03\x01\x03": lzma.FILTER_X86,
    b"\x03\x03\x02\x05": lzma.FILTER_POWERPC,
    b"\x03\x03\x04\x01": lzma.FILTER_IA64,
    b"\x03\x03\x05\x01": lzma.FILTER_ARM,
    b"\x03\x03\x07\x01": lzma.FILTER_ARMTHUMB,
    b"\x03\x03\x08\x05": lzma.FILTER_SPARC,
}
"""Filters liblzma applies after LZMA or LZMA2 in one raw chain (7-Zip method id: filter)."""
_ERRORS = (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError)


class Unsupported(Exception):
    """Something this reader leaves to py7zr (raised before anything is recorded)."""


class Malformed(Exception):
    """The archive cannot be read; the message is the error to record."""


def _bad(message: str) -> Malformed:
    return Malformed(f"not a readable 7z archive: {message}")


@dataclass(frozen=True)
class Stream:
    """One member's data: a slice of its folder's output."""

    name: str
    size: int
    crc: int | None


@dataclass(frozen=True)
class Folder:
    """One compressed stream in the file and the members it decompresses into, in order."""

    codec: str
    """``copy``, ``lzma`` (LZMA or LZMA2, with any filters), ``bzip2`` or ``deflate``."""
    filters: tuple[dict[str, Any], ...]
    """liblzma's raw filter chain, for ``lzma``."""
    offset: int
    """Where the packed stream starts in the file."""
    packed: int
    size: int
    """Bytes it decompresses to."""
    crc: int | None
    streams: tuple[Stream, ...] = ()


@dataclass(frozen=True)
class Archive:
    """What the header says: the folders to decompress (with their files) and which of the
    header's own checksums failed (reported as tampering, not as unreadable)."""

    folders: tuple[Folder, ...]
    tampered: tuple[str, ...]
    """Parts of the header whose CRC-32 does not match."""


class _Reader:
    """The header's bytes, read front to back; reading past their end is malformed."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise _bad("the header ends early")
        self.pos += 1
        return self.data[self.pos - 1]

    def take(self, count: int) -> bytes:
        if count > self.remaining:
            raise _bad(f"a header field claims {count:,} bytes, {self.remaining:,} are left")
        self.pos += count
        return self.data[self.pos - count : self.pos]

    def number(self) -> int:
        """7z's variable-length integer: the leading one bits of the first byte count the
        bytes that follow (little-endian), its remaining bits are the highest ones."""
        first = self.byte()
        mask = 0x80
        value = 0
        for index in range(8):
            if not first & mask:
                return value | ((first & (mask - 1)) << (8 * index))
            value |= self.byte() << (8 * index)
            mask >>= 1
        return value

    def count(self, what: str) -> int:
        """A count of items that take a byte each at least: no more than the bytes left."""
        value = self.number()
        if value > self.remaining:
            raise _bad(f"{value:,} {what} claimed in {self.remaining:,} bytes of header")
        return value

    def uint32(self) -> int:
        value: int = struct.unpack("<I", self.take(4))[0]
        return value

    def bits(self, count: int) -> list[bool]:
        raw = self.take((count + 7) // 8)
        return [bool(raw[i >> 3] & (0x80 >> (i & 7))) for i in range(count)]

    def defined(self, count: int) -> list[bool]:
        return [True] * count if self.byte() else self.bits(count)

    def digests(self, count: int) -> list[int | None]:
        return [self.uint32() if known else None for known in self.defined(count)]

    def expect(self, nid: int, what: str) -> None:
        found = self.byte()
        if found != nid:
            raise _bad(f"expected {what} (property {nid:#x}), found {found:#x}")


class _Streams:
    """A StreamsInfo block while it is read (a plain class: a dataclass costs 0.5 ms of
    start-up, and this never leaves the module)."""

    def __init__(self) -> None:
        self.pack_offset = 0
        self.pack_sizes: tuple[int, ...] = ()
        self.folders: tuple[Folder, ...] = ()
        self.counts: tuple[int, ...] = ()
        """Members per folder."""
        self.sizes: tuple[int, ...] = ()
        """Every member's size, folder after folder."""
        self.crcs: tuple[int | None, ...] = ()


def read_archive(span: Span, ctx: ScanContext) -> Archive:
    """The archive's folders and members; raises :class:`Malformed` or :class:`Unsupported`."""
    head = span.read(0, SIGNATURE_HEADER_SIZE)
    if len(head) < SIGNATURE_HEADER_SIZE or head[:6] != SIGNATURE:
        raise _bad(f"the signature header is cut short ({len(head)} bytes)")
    if head[6] != 0:
        raise Unsupported(f"format version {head[6]}.{head[7]}")
    tampered: list[str] = []
    start_crc, offset, size, header_crc = struct.unpack_from("<IQQI", head, 8)
    if zlib.crc32(head[12:32]) != start_crc:
        tampered.append("start header")
    if size == 0:
        return Archive((), tuple(tampered))
    position = SIGNATURE_HEADER_SIZE + offset
    if size > HEADER_BYTES:
        raise _bad(f"a header of {size:,} bytes, above the limit of {HEADER_BYTES:,}")
    if position + size > span.size:
        raise _bad(
            f"truncated: the header ({size:,} bytes at offset {position:,}) lies past "
            f"the end of the file ({span.size:,} bytes)"
        )
    data = span.read(position, size)
    if zlib.crc32(data) != header_crc:
        tampered.append("header")
    for _ in range(HEADER_LAYERS):
        reader = _Reader(data)
        nid = reader.byte()
        if nid == _HEADER:
            return Archive(_header(reader, ctx), tuple(tampered))
        if nid != _ENCODED_HEADER:
            raise _bad(f"unknown header type {nid:#x}")
        streams = _streams_info(reader, ctx)
        if len(streams.folders) != 1:
            raise _bad(f"an encoded header in {len(streams.folders)} folders")
        folder = streams.folders[0]
        data = _decode_header(span, folder)
        if folder.crc is not None and zlib.crc32(data) != folder.crc:
            tampered.append("encoded header")
    raise _bad(f"headers encoded more than {HEADER_LAYERS} times")


def _decode_header(span: Span, folder: Folder) -> bytes:
    if folder.size > HEADER_BYTES:
        raise _bad(f"a header of {folder.size:,} bytes, above the limit of {HEADER_BYTES:,}")
    if folder.offset + folder.packed > span.size:
        raise _bad("truncated: the encoded header lies past the end of the file")
    out = bytearray()
    try:
        for piece in _pieces(folder, span.sub(folder.offset, folder.packed).view()):
            out += piece[: folder.size - len(out)]
            if len(out) >= folder.size:
                break
    except _ERRORS as exc:
        raise _bad(f"cannot decompress its header: {exc}") from None
    if len(out) < folder.size:
        raise _bad(f"its header decompresses to {len(out):,} of {folder.size:,} bytes")
    return bytes(out)


def _header(reader: _Reader, ctx: ScanContext) -> tuple[Folder, ...]:
    nid = reader.byte()
    if nid == _ARCHIVE_PROPERTIES:
        while reader.byte() != _END:
            reader.take(reader.number())
        nid = reader.byte()
    if nid == _ADDITIONAL_STREAMS:
        raise Unsupported("additional streams")
    streams = _Streams()
    if nid == _MAIN_STREAMS:
        streams = _streams_info(reader, ctx)
        nid = reader.byte()
    names: list[str] = []
    if nid == _FILES:
        names = _files_info(reader, ctx)
        nid = reader.byte()
    if nid != _END:
        raise _bad(f"unexpected property {nid:#x} in its header")
    if len(names) != len(streams.sizes):
        raise _bad(f"{len(names):,} members with data but {len(streams.sizes):,} data streams")
    return _assemble(streams, names)


def _assemble(streams: _Streams, names: list[str]) -> tuple[Folder, ...]:
    folders = []
    index = 0
    for folder, count in zip(streams.folders, streams.counts, strict=True):
        members = tuple(
            Stream(names[i], streams.sizes[i], streams.crcs[i]) for i in range(index, index + count)
        )
        index += count
        folders.append(replace(folder, streams=members))
    return tuple(folders)


def _streams_info(reader: _Reader, ctx: ScanContext) -> _Streams:
    streams = _Streams()
    nid = reader.byte()
    if nid == _PACK_INFO:
        streams.pack_offset = reader.number()
        count = reader.count("packed streams")
        nid = reader.byte()
        while nid != _END:
            if nid == _SIZE:
                streams.pack_sizes = tuple(reader.number() for _ in range(count))
            elif nid == _CRC:
                reader.digests(count)  # the members' own CRCs are checked instead
            else:
                raise _bad(f"unexpected property {nid:#x} in its pack info")
            nid = reader.byte()
        if len(streams.pack_sizes) != count:
            raise _bad("pack info without sizes")
        nid = reader.byte()
    if nid == _UNPACK_INFO:
        streams.folders = _unpack_info(reader, streams)
        streams.counts = (1,) * len(streams.folders)
        streams.sizes = tuple(f.size for f in streams.folders)
        streams.crcs = tuple(f.crc for f in streams.folders)
        nid = reader.byte()
    if nid == _SUBSTREAMS:
        _substreams(reader, streams, ctx)
        nid = reader.byte()
    if nid != _END:
        raise _bad(f"unexpected property {nid:#x} in its streams info")
    return streams


def _unpack_info(reader: _Reader, streams: _Streams) -> tuple[Folder, ...]:
    reader.expect(_FOLDER, "folders")
    count = reader.count("folders")
    if reader.byte():
        raise Unsupported("folders stored outside the header")
    graphs = [_coders(reader) for _ in range(count)]
    if count > len(streams.pack_sizes):
        raise _bad(f"{count:,} folders but {len(streams.pack_sizes):,} packed streams")
    reader.expect(_CODERS_UNPACK_SIZE, "unpack sizes")
    sizes = [[reader.number() for _ in coders] for coders, _ in graphs]
    crcs: list[int | None] = [None] * count
    nid = reader.byte()
    if nid == _CRC:
        crcs = reader.digests(count)
        nid = reader.byte()
    if nid != _END:
        raise _bad(f"unexpected property {nid:#x} in its unpack info")
    folders = []
    offset = SIGNATURE_HEADER_SIZE + streams.pack_offset
    for (coders, pairs), outputs, crc, packed in zip(
        graphs, sizes, crcs, streams.pack_sizes, strict=False
    ):
        codec, filters, size = _chain(coders, pairs, outputs)
        folders.append(Folder(codec, filters, offset, packed, size, crc))
        offset += packed
    return tuple(folders)


_Coder = tuple[bytes, bytes]
"""A coder's method id and properties."""


def _coders(reader: _Reader) -> tuple[list[_Coder], list[tuple[int, int]]]:
    """A folder's coders and bind pairs; each coder must have one input and one output."""
    count = reader.number()
    if count == 0:
        raise _bad("a folder without coders")
    if count > CODERS:
        raise Unsupported(f"a folder of {count:,} coders")
    coders = []
    for _ in range(count):
        flags = reader.byte()
        if flags & 0x80:
            raise Unsupported("alternative coder methods")
        method = reader.take(flags & 0x0F)
        if flags & 0x10 and (reader.number(), reader.number()) != (1, 1):
            raise Unsupported("a coder with several streams (BCJ2?)")
        properties = reader.take(reader.number()) if flags & 0x20 else b""
        coders.append((method, properties))
    pairs = [(reader.number(), reader.number()) for _ in range(count - 1)]
    return coders, pairs


def _chain(
    coders: list[_Coder], pairs: list[tuple[int, int]], outputs: list[int]
) -> tuple[str, tuple[dict[str, Any], ...], int]:
    """The codec, liblzma filters and output size of a folder whose coders form one chain
    from its packed stream to its output (in-stream ``i`` and out-stream ``i`` are coder
    ``i``'s, since each has one of each)."""
    count = len(coders)
    feeds = {}
    for into, out in pairs:
        if into >= count or out >= count or out in feeds or into == out:
            raise _bad("a folder whose coders are not bound in a chain")
        feeds[out] = into
    first = [i for i in range(count) if i not in feeds.values()]
    if len(first) != 1:
        raise _bad("a folder whose coders are not bound in a chain")
    order = first
    while order[-1] in feeds and len(order) <= count:
        order.append(feeds[order[-1]])
    if len(order) != count:
        raise _bad("a folder whose coders are not bound in a chain")
    packed = coders[order[0]][0]
    size = outputs[order[-1]]
    if packed in (_LZMA, _LZMA2):
        filters = [_lzma_filter(coders[i], outputs[i]) for i in reversed(order[1:])]
        filters.append(_lzma_filter(coders[order[0]], outputs[order[0]]))
        return "lzma", tuple(filters), size
    if count == 1 and packed in (_COPY, _BZIP2, _DEFLATE):
        codec = {_COPY: "copy", _BZIP2: "bzip2", _DEFLATE: "deflate"}[packed]
        return codec, (), size
    raise Unsupported(f"coder methods {' + '.join(coders[i][0].hex() for i in order)}")


def _lzma_filter(coder: _Coder, output: int) -> dict[str, Any]:
    """liblzma's description of one coder; LZMA's dictionary is cut to its output, which
    is all it can refer to (a declared 4 GiB dictionary would be allocated)."""
    method, props = coder
    if method in (_LZMA, _LZMA2):
        kind = lzma.FILTER_LZMA1 if method == _LZMA else lzma.FILTER_LZMA2
        try:
            spec: dict[str, Any] = lzma._decode_filter_properties(kind, props)  # type: ignore[attr-defined]
        except (lzma.LZMAError, ValueError) as exc:
            raise _bad(f"bad LZMA properties {props.hex()}: {exc}") from None
        spec["dict_size"] = min(spec["dict_size"], max(output, LZMA_DICT_MIN))
        return spec
    branch = _LZMA_CHAIN_FILTERS.get(method)
    if branch is None:
        raise Unsupported(f"coder method {method.hex()}")
    if branch == lzma.FILTER_DELTA:
        if len(props) != 1:
            raise _bad(f"bad delta properties {props.hex()}")
        return {"id": branch, "dist": props[0] + 1}
    if len(props) == 4:
        return {"id": branch, "start_offset": int.from_bytes(props, "little")}
    if props:
        raise _bad(f"bad branch filter properties {props.hex()}")
    return {"id": branch}


def _substreams(reader: _Reader, streams: _Streams, ctx: ScanContext) -> None:
    folders = streams.folders
    counts = [1] * len(folders)
    nid = reader.byte()
    if nid == _NUM_UNPACK_STREAM:
        counts = [reader.number() for _ in folders]
        if sum(counts) > ctx.limits.members:
            raise _bad(f"{sum(counts):,} members, above the limit of {ctx.limits.members:,}")
        nid = reader.byte()
    sizes: list[int] = []
    for folder, count in zip(folders, counts, strict=True):
        if count == 0:
            continue
        if count > 1 and nid != _SIZE:
            raise _bad("a folder of several members without their sizes")
        own = [reader.number() for _ in range(count - 1)] if nid == _SIZE else []
        if sum(own) > folder.size:
            raise _bad("members larger than the folder that holds them")
        sizes += [*own, folder.size - sum(own)]
    if nid == _SIZE:
        nid = reader.byte()
    crcs: list[int | None] = []
    unknown = 0
    for folder, count in zip(folders, counts, strict=True):
        if count == 1 and folder.crc is not None:
            crcs.append(folder.crc)
        else:
            crcs += [None] * count
            unknown += count
    while nid != _END:
        if nid != _CRC:
            raise _bad(f"unexpected property {nid:#x} in its substreams info")
        digests = iter(reader.digests(unknown))
        crcs = [crc if crc is not None else next(digests) for crc in crcs]
        nid = reader.byte()
    streams.counts, streams.sizes, streams.crcs = tuple(counts), tuple(sizes), tuple(crcs)


def _files_info(reader: _Reader, ctx: ScanContext) -> list[str]:
    """The names of the members with data (empty files and folders have none), in order."""
    count = reader.number()
    if count > ctx.limits.members:
        raise _bad(f"{count:,} members, above the limit of {ctx.limits.members:,}")
    empty = [False] * count
    names: list[str] | None = None
    while (kind := reader.byte()) != _END:
        body = _Reader(reader.take(reader.number()))
        if kind == _EMPTY_STREAM:
            empty = body.bits(count)
        elif kind == _NAME:
            if body.byte():
                raise Unsupported("names stored outside the header")
            text = body.take(body.remaining).decode("utf-16-le", "replace")
            names = text.split("\x00")[:-1]
            if len(names) != count or not text.endswith("\x00"):
                raise _bad(f"{len(names):,} names for {count:,} members")
        # times, attributes, empty-file and anti flags, padding: not needed to scan
    if names is None:
        names = [f"#{index}" for index in range(count)]
    return [name for name, none in zip(names, empty, strict=True) if not none]


def _pieces(folder: Folder, packed: memoryview) -> Iterator[bytes | memoryview]:
    """The folder's output, ``OUT_CHUNK`` at most per piece, until its data or its
    end marker ends (LZMA in 7z has none: the reader stops at the declared size)."""
    if folder.codec == "copy":
        for start in range(0, len(packed), OUT_CHUNK):
            yield packed[start : start + OUT_CHUNK]
        return
    if folder.codec == "deflate":
        inflater = zlib.decompressobj(-15)
        for start in range(0, len(packed), IN_CHUNK):
            piece = inflater.decompress(packed[start : start + IN_CHUNK], OUT_CHUNK)
            while piece:
                yield piece
                tail = inflater.unconsumed_tail
                piece = inflater.decompress(tail, OUT_CHUNK) if tail else b""
            if inflater.eof:
                return
        return
    engine: Any = (
        bz2.BZ2Decompressor()
        if folder.codec == "bzip2"
        else lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=list(folder.filters))
    )
    pos = 0
    while not engine.eof:
        chunk: memoryview | bytes = b""
        if engine.needs_input:
            if pos >= len(packed):
                return
            chunk = packed[pos : pos + IN_CHUNK]
            pos += len(chunk)
        piece = engine.decompress(chunk, OUT_CHUNK)
        if piece:
            yield piece


def scan(span: Span, ctx: ScanContext) -> bool:
    """Scan every member; False, with nothing recorded, when py7zr must read the archive."""
    try:
        archive = read_archive(span, ctx)
    except Unsupported:
        return False
    except Malformed as exc:
        ctx.error(str(exc))
        return True
    for part in archive.tampered:
        ctx.add(
            "7z.crc_mismatch",
            Severity.HIGH,
            f"the archive's {part} CRC-32 does not match its bytes: it was altered after "
            "the archive was written (7-Zip refuses it)",
            target=part,
            category="tampering",
        )
    for folder in archive.folders:
        ctx.check_time()
        _scan_folder(span, folder, ctx)
    return True


def _scan_folder(span: Span, folder: Folder, ctx: ScanContext) -> None:
    """Inflate the folder member by member, each into its own sink, scanned and released
    before the next; the first member that cannot be read ends the folder (those after
    it come later in the same compressed stream)."""
    if not folder.streams:
        return
    if folder.offset + folder.packed > span.size:
        ctx.error(
            f"7z archive is truncated: the data of {_members(folder.streams)} lies past the "
            f"end of the file ({folder.offset + folder.packed:,} > {span.size:,} bytes)"
        )
        return
    pieces = _pieces(folder, span.sub(folder.offset, folder.packed).view())
    pending = memoryview(b"")
    folder_crc = 0
    for index, stream in enumerate(folder.streams):
        child = ctx.member(stream.name)
        limit = min(ctx.limits.member_bytes, ctx.budget.bytes_left)
        problem = None
        if stream.size > limit:
            problem = _over_limit(ctx, stream, limit)
            child.error(problem)
        else:
            sink = Sink(ctx.limits.in_memory_bytes)
            try:
                try:
                    while sink.size < stream.size:
                        if not pending:
                            piece = next(pieces, None)
                            if piece is None:
                                problem = (
                                    f"{stream.name}: 7z data ends after {sink.size:,} of its "
                                    f"{stream.size:,} bytes (truncated or corrupt)"
                                )
                                break
                            pending = memoryview(piece)
                        part = bytes(pending[: stream.size - sink.size])
                        pending = pending[len(part) :]
                        sink.write(part)
                        folder_crc = zlib.crc32(part, folder_crc)
                        ctx.check_time()
                except _ERRORS as exc:
                    problem = (
                        f"{stream.name}: cannot decompress {folder.codec} data after "
                        f"{sink.size:,} bytes: {exc}"
                    )
                if problem is None and stream.crc is not None and sink.crc != stream.crc:
                    _crc_mismatch(child, stream.name)
                if problem is not None:
                    child.error(problem)
                ctx.take_bytes(sink.size)
                if sink.size and not child.too_deep():
                    child.scan_member(sink.span())
            finally:
                sink.close()
        if problem is not None:
            rest = folder.streams[index + 1 :]
            if rest:
                ctx.error(
                    f"{_members(rest)} after {stream.name!r} in the same 7z folder "
                    "(one compressed stream) not scanned"
                )
            return
    if len(folder.streams) > 1 and folder.crc is not None and folder_crc != folder.crc:
        _crc_mismatch(ctx, f"folder of {_members(folder.streams)}")


def _members(streams: tuple[Stream, ...]) -> str:
    if len(streams) == 1:
        return f"member {streams[0].name!r}"
    return f"{len(streams):,} members"


def _over_limit(ctx: ScanContext, stream: Stream, limit: int) -> str:
    """The error for a member declared larger than what may still be inflated (nothing of
    it is: its size is in the header, checked by CRC, before a byte is decompressed)."""
    if limit < ctx.limits.member_bytes:
        reason = f"the file's {ctx.limits.total_bytes:,} decompressed bytes in all are spent"
    else:
        reason = f"{ctx.limits.member_bytes:,} bytes per member"
    return (
        f"{stream.name} (declared {stream.size:,} bytes): decompresses past the scan budget "
        f"({reason}; decompression bomb?): not scanned"
    )


def _crc_mismatch(ctx: ScanContext, target: str) -> None:
    ctx.add(
        "7z.crc_mismatch",
        Severity.HIGH,
        "the member's CRC-32 does not match its content: it was altered after the "
        "archive was written (7-Zip and py7zr refuse the member)",
        target=target,
        category="tampering",
    )
