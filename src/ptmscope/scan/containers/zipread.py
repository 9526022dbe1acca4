"""A zip reader for scanning: central directory first, every disagreement reported.

``zipfile`` is built to extract, not to judge: it trusts the central directory,
checks a CRC only when a member is read to its end, and says nothing when a
local header names a different file than the directory (torch reads one,
``zipfile`` the other: CVE-2025-1944 class). This reader lists members from the
central directory, compares each with its local header, decompresses only the
members a scanner asks for (through the scanner's one bounded routine, so zip
bombs stop at the budget in flat memory) and checks their CRC. Stored members
come back as slices of the file, never copied; members whose data overlaps an
earlier member's are reported and never read.
"""

from __future__ import annotations

import contextlib
import mmap
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ptmscope.scan.context import WINDOW, ScanContext, Span, release
from ptmscope.scan.decompress import decompressed
from ptmscope.severity import Severity

_EOCD = struct.Struct("<4sHHHHIIH")
_EOCD64_LOCATOR = struct.Struct("<4sIQI")
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<4sHHHHHIIIHH")


_DISGUISING_FLAGS = (
    (0x0001, "encryption"),
    (0x0040, "strong encryption"),
    (0x0020, "patched data"),
    (0x2000, "an encrypted central directory"),
)
"""General-purpose flag bits that make ``zipfile`` (and scanners built on it) refuse a member
that other readers (torch's miniz build, streaming readers) may still load."""
_DISAGREEING_FLAGS = 0x0001 | 0x0008 | 0x0020 | 0x0040 | 0x2000
"""Flag bits whose central and local copies must agree (encryption, data descriptor, patch)."""


class ZipError(Exception):
    """The archive's directory cannot be read."""


@dataclass(frozen=True)
class Member:
    """One central-directory entry, checked against its local header."""

    name: str
    local_name: str | None
    method: int
    flags: int
    crc: int
    compressed: int
    size: int
    header_offset: int
    data_offset: int
    overlapping: bool = False
    """Its data starts inside an earlier member's: not read (the bytes are read once)."""
    local_flags: int | None = None
    local_method: int | None = None

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & 1)

    @property
    def disguise(self) -> str | None:
        """What the flags (central or local) claim that would stop a reader, if anything."""
        flags = self.flags | (self.local_flags or 0)
        claims = [text for bit, text in _DISGUISING_FLAGS if flags & bit]
        return " and ".join(claims) if claims else None

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


def _find_eocd(span: Span) -> int:
    tail_start = max(0, span.size - (65535 + 22))
    tail = span.read(tail_start, span.size - tail_start)
    index = tail.rfind(b"PK\x05\x06")
    while index >= 0:
        if index + 22 <= len(tail):
            return tail_start + index
        index = tail.rfind(b"PK\x05\x06", 0, index)
    raise ZipError("no end-of-central-directory record")


def members(span: Span, limit: int) -> tuple[list[Member], list[str]]:
    """Central-directory members and the structural problems met while listing them."""
    problems: list[str] = []
    eocd = _find_eocd(span)
    _, _, _, _, count, cd_size, cd_offset, _ = _EOCD.unpack(span.read(eocd, 22))
    directory_end = eocd
    if eocd >= 20 + 56:
        locator = span.read(eocd - 20, 20)
        if locator[:4] == b"PK\x06\x07":
            _, _, _eocd64, _ = _EOCD64_LOCATOR.unpack(locator)
            record = span.read(eocd - 20 - 56, 56)
            if record[:4] == b"PK\x06\x06":
                fields = _EOCD64.unpack(record)
                count, cd_size, cd_offset = fields[7], fields[8], fields[9]
                directory_end = eocd - 20 - 56
    # Bytes before the archive (a prefix) shift every offset by the same amount.
    shift = directory_end - (cd_offset + cd_size)
    if shift < 0:
        raise ZipError("central directory lies outside the file")
    if shift:
        problems.append(f"{shift} bytes precede the zip archive")
    if count > limit:
        raise ZipError(f"{count} members, above the limit of {limit}")
    directory = span.read(cd_offset + shift, cd_size)
    found: list[Member] = []
    pos = 0
    while pos + 46 <= len(directory) and len(found) < count:
        fields = _CENTRAL.unpack_from(directory, pos)
        if fields[0] != b"PK\x01\x02":
            problems.append("central directory entry with a bad signature")
            break
        flags, method, crc, csize, usize = fields[3], fields[4], fields[7], fields[8], fields[9]
        name_len, extra_len, comment_len = fields[10], fields[11], fields[12]
        offset = fields[16]
        raw_name = directory[pos + 46 : pos + 46 + name_len]
        extra = directory[pos + 46 + name_len : pos + 46 + name_len + extra_len]
        usize, csize, offset = _zip64(extra, usize, csize, offset)
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        pos += 46 + name_len + extra_len + comment_len
        header = offset + shift
        local = span.read(header, 30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            problems.append(f"{name}: no local header where the directory points")
            continue
        lfields = _LOCAL.unpack(local)
        lname_len, lextra_len = lfields[9], lfields[10]
        local_name = span.read(header + 30, lname_len).decode(
            "utf-8" if lfields[2] & 0x800 else "cp437", "replace"
        )
        data = header + 30 + lname_len + lextra_len
        if data + csize > span.size:
            problems.append(f"{name}: data runs past the end of the file")
            continue
        found.append(
            Member(
                name, local_name, method, flags, crc, csize, usize, header, data,
                local_flags=lfields[2], local_method=lfields[3],
            )
        )  # fmt: skip
    return _mark_overlaps(found, problems), problems


def _mark_overlaps(found: list[Member], problems: list[str]) -> list[Member]:
    """Members whose data starts inside an earlier member's data are marked, not read.

    Many directory entries pointing into one compressed kernel make a small file
    inflate to terabytes ("a better zip bomb"); reading each byte range once
    bounds that by the file's size times the compression ratio, and the budget.
    """
    order = sorted(range(len(found)), key=lambda i: (found[i].data_offset, i))
    overlapping: list[int] = []
    owner = ""
    end = -1
    for index in order:
        member = found[index]
        if member.data_offset < end and member.compressed:
            overlapping.append(index)
            continue
        if member.data_offset + member.compressed > end:
            end, owner = member.data_offset + member.compressed, member.name
    if not overlapping:
        return found
    names = ", ".join(found[i].name for i in overlapping[:3])
    more = f" and {len(overlapping) - 3:,} more" if len(overlapping) > 3 else ""
    problems.append(
        f"{len(overlapping):,} members overlap the data of others (a zip-bomb construction), "
        f"e.g. {names}{more} inside {owner}; they were not read"
    )
    marked = set(overlapping)
    return [replace(m, overlapping=True) if i in marked else m for i, m in enumerate(found)]


def _zip64(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        if tag == 1:
            body = extra[pos + 4 : pos + 4 + size]
            values = [struct.unpack_from("<Q", body, i)[0] for i in range(0, len(body) - 7, 8)]
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
        pos += 4 + size
    return usize, csize, offset


_CODECS = {8: "deflate", 12: "zip-bzip2", 14: "zip-lzma"}


@contextlib.contextmanager
def open_member(span: Span, member: Member, ctx: ScanContext) -> Iterator[Span | None]:
    """The member's bytes for the ``with`` block (a slice when stored), or ``None`` with an
    error recorded; a compressed member's CRC is checked as it is inflated."""
    if member.disguise is not None:
        with _plain_despite_flags(span, member, ctx) as plain:
            yield plain
        return
    if member.method == 0:
        data = span.sub(member.data_offset, member.compressed)
        if not crc_matches(member, data, ctx):
            _crc_mismatch(member, ctx)
        yield data
        return
    codec = _CODECS.get(member.method)
    if codec is None:
        ctx.error(f"{member.name}: compression method {member.method} is not supported")
        yield None
        return
    raw = span.sub(member.data_offset, member.compressed)
    what = (
        f"{member.name} (declared {member.size:,} bytes, "
        f"ratio {member.size / max(member.compressed, 1):,.0f}:1)"
    )
    with decompressed(raw, codec, ctx, what) as inflated:
        if inflated is None:
            yield None
            return
        if inflated.complete and inflated.crc != member.crc:
            _crc_mismatch(member, ctx)
        yield inflated.span


@contextlib.contextmanager
def _plain_despite_flags(span: Span, member: Member, ctx: ScanContext) -> Iterator[Span | None]:
    """A member whose flags claim encryption (or patched data): its bytes are read as they
    are, and when they are plain data whose CRC matches, the flag is a lie told to make
    scanners skip the member: reported as tampering, and the data is scanned."""
    raw = span.sub(member.data_offset, member.compressed)
    how = "stored"
    plain: Span | None = None
    if member.method == 0:
        plain = raw if crc_matches(member, raw, ctx) else None
        with _tampered(member, ctx, plain, how):
            yield plain
        return
    codec = _CODECS.get(member.method)
    if codec is not None:
        how = _METHOD_NAMES.get(member.method, codec)
        probe = ctx.capture()  # an encrypted stream fails to inflate: those errors are dropped
        with decompressed(raw, codec, probe, member.name) as inflated:
            if inflated is not None and inflated.complete and inflated.crc == member.crc:
                plain = inflated.span
            with _tampered(member, ctx, plain, how):
                yield plain
        return
    with _tampered(member, ctx, None, how):
        yield None


@contextlib.contextmanager
def _tampered(member: Member, ctx: ScanContext, plain: Span | None, how: str) -> Iterator[None]:
    if plain is None:
        ctx.error(f"{member.name}: member flagged for {member.disguise} cannot be scanned")
    else:
        ctx.add(
            "zip.false_flag",
            Severity.HIGH,
            f"the member's flags claim {member.disguise} but its data is plain {how} data "
            "(its CRC-32 matches): zipfile-based scanners skip it while other readers load it; "
            "read and scanned anyway",
            offset=member.header_offset,
            target=member.name,
            category="tampering",
        )
    yield


_METHOD_NAMES = {8: "deflated", 12: "bzip2", 14: "LZMA"}


def _crc_mismatch(member: Member, ctx: ScanContext) -> None:
    ctx.add(
        "zip.crc_mismatch",
        Severity.HIGH,
        "the member's CRC-32 does not match its content: it was altered after the "
        "archive was written (torch ignores CRCs; zipfile refuses the member)",
        target=member.name,
        category="tampering",
    )


def crc_matches(member: Member, data: Span, ctx: ScanContext | None = None) -> bool:
    crc = 0
    for start in range(0, data.size, WINDOW):
        length = min(WINDOW, data.size - start)
        if isinstance(data.buf, mmap.mmap):
            with memoryview(data.buf) as whole:
                begin = data.start + start
                crc = zlib.crc32(whole[begin : begin + length], crc)
            release(data.buf, data.start + start, data.start + start + length)
        else:
            crc = zlib.crc32(data.read(start, length), crc)
        if ctx is not None:
            ctx.check_time()
    return crc == member.crc


def _header_disagreement(member: Member, ctx: ScanContext) -> None:
    """The central directory and the local header must agree on how to read the data."""
    if member.local_method is None or member.local_flags is None:
        return
    differences = []
    if member.local_method != member.method:
        differences.append(f"method {member.method} vs {member.local_method}")
    flags = (member.flags ^ member.local_flags) & _DISAGREEING_FLAGS
    if flags:
        differences.append(f"flags 0x{member.flags:04x} vs 0x{member.local_flags:04x}")
    if differences:
        ctx.add(
            "zip.header_mismatch",
            Severity.HIGH,
            "the central directory and the local header disagree on how to read the member "
            f"({'; '.join(differences)}): readers that trust one or the other see different data",
            offset=member.header_offset,
            target=member.name,
            category="tampering",
        )


def walk(span: Span, ctx: ScanContext) -> Iterator[Member]:
    """Members in directory order, with tampering reported as findings as they are met."""
    try:
        found, problems = members(span, ctx.limits.members)
    except (ZipError, struct.error) as exc:
        ctx.error(f"not a readable zip archive: {exc}")
        return
    for problem in problems:
        severity = Severity.HIGH if "overlap" in problem else Severity.MEDIUM
        ctx.add("zip.structure", severity, problem, category="tampering")
    for member in found:
        ctx.check_time()
        if member.overlapping:  # reported with the overlap; its header is not its own
            yield member
            continue
        _header_disagreement(member, ctx)
        if member.local_name is not None and member.local_name != member.name:
            ctx.add(
                "zip.name_mismatch",
                Severity.HIGH,
                f"the central directory calls a member {member.name!r} but its local header "
                f"says {member.local_name!r}; readers disagree on what the archive holds",
                offset=member.header_offset,
                target=member.name,
                category="tampering",
            )
        yield member
