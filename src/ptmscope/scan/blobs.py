"""Payloads hidden as text inside configs: base64 (or YAML ``!!binary``) strings decoded and scanned.

A Keras ``TorchModuleWrapper`` keeps a whole ``torch.save`` checkpoint as a base64
string in its config, and any layer or loader that decodes an argument can do the
same with a pickle. Such strings are decoded and, when the bytes are a pickle or a
container the registry reads, scanned by content one level deeper, under the same
depth limit and the same decompressed-bytes budget as archive members.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ptmscope.scan.context import ScanContext, Span
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat

MIN_BLOB_CHARS = 24
"""Shorter strings are never payloads (the shortest pickle that calls anything is longer)."""
MAX_BLOB_ATTEMPTS = 256
"""Strings decoded per config document; past it the rest are reported as not scanned."""
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2}")
_QUIET = frozenset({FileFormat.UNKNOWN, FileFormat.EMPTY, FileFormat.JSON})
"""Formats a decoded string is not reported as unless its scan found something."""
_PICKLED = frozenset(
    {FileFormat.PICKLE, FileFormat.JOBLIB, FileFormat.PYTORCH_ZIP, FileFormat.PYTORCH_LEGACY,
     FileFormat.PYTORCH_TAR, FileFormat.JOBLIB_ZFILE}
)  # fmt: skip

BLOB_PREFIXES = re.compile(
    rb'"(?:gA[A-X]|UEsDB|UEsFB|H4sI|N3q8|k05VTVBZ|eJ|eNo|eAE|eF|QlpoO|/Td6WFo|iUhERg|R0dVRg)'
    rb"[A-Za-z0-9+/_-]{20}"
)
"""Quoted base64 whose bytes start with a pickle's ``PROTO`` (0-5), zip, gzip, 7z, npy, zlib,
bzip2, xz, HDF5 or GGUF magic: a JSON file holding one is parsed for blobs."""

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
_RUN_MARKS = bytes(0x61 if i in _ALPHABET else 0x20 for i in range(256))
"""Base64 characters (both alphabets) to ``a``, all else to a space: runs are then found by
``bytes.find`` in C, about ten times faster than a regular expression over a vocabulary."""
_RUN = b"a" * MIN_BLOB_CHARS
_HEAD_CHARS = 4096
"""Characters of a run decoded to judge it (its first 3 KiB)."""
PAYLOAD_MAGICS = (
    *(bytes((0x80, protocol)) for protocol in range(6)),
    b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"\x93NUMPY",
    b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda", b"BZh", b"\xfd7zXZ\x00", b"\x5d\x00\x00",
    b"\x89HDF", b"GGUF", b"ZF0x",
)  # fmt: skip
"""What decoded bytes start with when they are a pickle with ``PROTO`` or a container."""
_PICKLE_CALLS = re.compile(rb"[ci][A-Za-z_][\w.]{0,200}\n[A-Za-z_][\w.]{0,200}\n|\x93")
"""``GLOBAL``/``INST`` with their two text lines, or ``STACK_GLOBAL``: how a pickle without
``PROTO`` (protocols 0 and 1 start with any opcode) reaches a callable."""


def base64_runs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Every run of at least :data:`MIN_BLOB_CHARS` base64 characters (quoted or not, padding
    kept), in order, with its offset."""
    marks = data.translate(_RUN_MARKS)
    start = marks.find(_RUN)
    while start >= 0:
        end = marks.find(b" ", start + MIN_BLOB_CHARS)
        if end < 0:
            end = len(marks)
        stop = end
        while stop < len(data) and stop - end < 2 and data[stop] == 0x3D:  # "=" padding
            stop += 1
        yield start, data[start:stop]
        start = marks.find(_RUN, end)


def decode_base64(text: bytes | str) -> bytes | None:
    """Standard or URL-safe base64, padding optional; ``None`` when it is not base64."""
    if isinstance(text, str):
        text = text.encode("ascii", "replace")
    if b"-" in text or b"_" in text:
        text = text.replace(b"-", b"+").replace(b"_", b"/")
    try:
        return binascii.a2b_base64(text + b"=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def plausible_payload(data: bytes) -> bool:
    """Decoded bytes that may load as a pickle or container: a magic, or a pickle opcode first
    and a way to reach a callable in what follows."""
    if data.startswith(PAYLOAD_MAGICS):
        return True
    if not data:
        return False
    from ptmscope.scan.pickle.values import OPCODE_BYTES  # pickletools: only when a run is seen

    return data[0] in OPCODE_BYTES and _PICKLE_CALLS.search(data) is not None


_LINE_BREAK = re.compile(rb"(?:\r?\n|\\r\\n|\\n)[ \t]*")
"""What separates the lines of wrapped base64 (MIME, YAML block scalars, JSON ``\\n``)."""


_LAST_LINE = re.compile(rb"[A-Za-z0-9+/_-]{1,%d}={0,2}" % (MIN_BLOB_CHARS - 1))
"""The short last line of wrapped base64 (shorter than a run on its own)."""


def _wrapped(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Base64 runs with wrapped lines joined: a run whose length is a multiple of 4 and that
    a line break alone separates from the next run (or from a short last line) continues."""
    group_start, last_end = -1, -1
    parts: list[bytes] = []

    def joined() -> bytes:
        if len(parts) > 1:  # a wrapped block: its last line may be short
            gap = _LINE_BREAK.match(data, last_end)
            tail = _LAST_LINE.match(data, gap.end()) if gap is not None else None
            if tail is not None:
                parts.append(tail.group())
        return b"".join(parts)

    for start, run in base64_runs(data):
        gap = data[last_end:start]
        if parts and len(parts[-1]) % 4 == 0 and _LINE_BREAK.fullmatch(gap):
            parts.append(run)
        else:
            if parts:
                yield group_start, joined()
            group_start, parts = start, [run]
        last_end = start + len(run)
    if parts:
        yield group_start, joined()


def payload_runs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The base64 runs in ``data`` (with their offsets; wrapped lines joined) that decode to a
    plausible payload: a magic at the start, or a pickle opcode first and a way to reach a
    callable anywhere in the run (a long string may come before the ``GLOBAL``)."""
    for start, run in _wrapped(data):
        head = decode_base64(run[:_HEAD_CHARS])  # a multiple of 4: the cut decodes
        if head is None or not head:
            continue
        if head.startswith(PAYLOAD_MAGICS):
            yield start, run
            continue
        whole = head if len(run) <= _HEAD_CHARS else decode_base64(run)
        if whole is not None and plausible_payload(whole):
            yield start, run


def may_hold_payload(data: bytes) -> bool:
    """A quick look before a config is parsed for its encoded strings."""
    return BLOB_PREFIXES.search(data) is not None or next(payload_runs(data), None) is not None


@dataclass
class BlobScanner:
    """Decodes and scans the strings of one config document (counts its attempts)."""

    ctx: ScanContext
    attempts: int = 0
    reported_cap: bool = False

    def leaf(self, node: object, depth: int, max_depth: int, where: str) -> bool:
        """The steps every config walker takes first at a node: the time check, the depth
        limit (an error past it), and a string's blob check. True when the walker is done
        with the node."""
        self.ctx.check_time()
        if depth > max_depth:
            self.ctx.error(f"{where}: config nests deeper than {max_depth} levels")
            return True
        if isinstance(node, str):
            self.string(node, where)
            return True
        return False

    def string(self, text: str, where: str) -> None:
        """Scan ``text`` if it is base64 of a pickle or container (line breaks allowed, as
        ``base64.b64decode`` and MIME encoders allow them)."""
        if any(c in text for c in " \t\r\n"):
            text = "".join(text.split())
        if len(text) < MIN_BLOB_CHARS or not _BASE64.fullmatch(text):
            return
        if len(text) // 4 * 3 > self.ctx.limits.member_bytes:
            self.ctx.error(f"{where}: base64 string too large to decode and scan")
            return
        data = decode_base64(text)
        if data is not None:
            self.data(data, where, "base64 string")

    def runs(self, data: bytes, where: str, *, base: int = 0, after: int = 0) -> int:
        """Scan the plausible base64 runs of unparsed bytes (text no parser reads, JSON too
        large to parse), skipping those that start before offset ``after``: the payload is
        judged by content all the same. Returns the offset after the last run scanned."""
        for start, run in payload_runs(data):
            if base + start < after:
                continue
            after = base + start + len(run)
            self.string(run.decode("ascii"), f"{where} at offset {base + start}")
        return after

    def data(self, data: bytes, where: str, how: str) -> None:
        """Scan decoded bytes by content one level deeper; report what they are."""
        ctx = self.ctx
        if len(data) < MIN_BLOB_CHARS * 3 // 4:
            return
        if self.attempts >= MAX_BLOB_ATTEMPTS:
            if not self.reported_cap:
                self.reported_cap = True
                ctx.error(
                    f"more than {MAX_BLOB_ATTEMPTS} encoded strings: the rest were not decoded"
                )
            return
        self.attempts += 1
        child = ctx.member(f"{how} in {where}")
        if child.too_deep():
            return
        if not ctx.take_bytes(len(data)):
            ctx.error(f"{where}: the scan budget of decompressed bytes is spent: not scanned")
            return
        probe = child.capture()
        found = probe.scan_member(Span(data))
        if found in _QUIET and not probe.ledger.findings:
            return
        ctx.merge(probe)
        pickled = found in _PICKLED
        child.add(
            "config.embedded_payload",
            Severity.MEDIUM if pickled else Severity.INFO,
            f"{where}: a {how} holds {found} data, scanned as a nested file"
            + (" (loading it runs a pickle)" if pickled else ""),
            target=where,
            category="deserialization" if pickled else "embedded-data",
        )
