"""Bounds and bookkeeping shared by every reader during one file's scan.

Hostile files are built to exhaust a scanner (zip bombs, million-deep stacks,
endless junk), so every reader works under the same :class:`Limits` and the same
deadline, and reports into the same lists. Findings are appended as they are
made, so whatever stops a reader later cannot take them back.
"""

from __future__ import annotations

import io
import mmap
import time
from dataclasses import dataclass, field
from typing import Any

from ptmscope.scan.policy import Policy
from ptmscope.scan.results import Location, ScanError, ScanFinding
from ptmscope.severity import Severity

Buffer = Any
"""``bytes``, an ``mmap`` or a bytes-like remote file (``len``, slicing, ``find``)."""


@dataclass(frozen=True)
class Limits:
    seconds: float = 120.0
    """Wall time for one top-level file, nested payloads included."""
    depth: int = 8
    """Archives and nested payloads inside each other."""
    member_bytes: int = 4 << 30
    """Largest decompressed member or nested payload that is read."""
    total_bytes: int = 16 << 30
    """Decompressed bytes in all, per top-level file (zip bombs)."""
    members: int = 200_000
    opcodes: int = 200_000_000
    memo: int = 1_000_000
    stack: int = 5_000_000
    container_items: int = 256
    """Items kept per symbolic list/dict; the rest are counted, not stored."""
    small: int = 512
    """Longer strings and bytes stay where they are in the file (referenced, never copied)."""
    junk_candidates: int = 4096
    """Places after a pickle's STOP (or a parse error) tried as further pickles."""
    hdf5_library: bool = True
    """Let h5py (in a child process) read HDF5 files whose config is not in plain sight."""


@dataclass(frozen=True)
class Span:
    """Bytes ``buf[start:end]`` of a file or a decompressed member, shared not copied."""

    buf: Buffer
    start: int = 0
    end: int = -1

    def __post_init__(self) -> None:
        if self.end < 0:
            object.__setattr__(self, "end", len(self.buf))

    @property
    def size(self) -> int:
        return self.end - self.start

    def read(self, offset: int, length: int) -> bytes:
        offset = max(0, offset)
        begin = self.start + offset
        return bytes(self.buf[begin : min(self.end, begin + length)])

    def head(self, length: int = 512) -> bytes:
        return self.read(0, length)

    def sub(self, offset: int, length: int) -> Span:
        begin = self.start + offset
        return Span(self.buf, begin, min(self.end, begin + length))

    def view(self) -> memoryview:
        if isinstance(self.buf, bytes | bytearray | mmap.mmap):
            return memoryview(self.buf)[self.start : self.end]
        return memoryview(self.read(0, self.size))  # a remote buffer: fetch this span


class SpanReader(io.RawIOBase):
    """A read-only, seekable file over a span, for libraries that want a file object
    (tarfile, py7zr) without copying the whole file into memory."""

    def __init__(self, span: Span) -> None:
        self._span = span
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._span.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._span.read(self._pos, len(view))
        view[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


class ScanTimeout(Exception):
    """The per-file deadline passed; the caller records it as an error."""


@dataclass
class Budget:
    deadline: float
    bytes_left: int


@dataclass
class ScanContext:
    policy: Policy
    limits: Limits
    budget: Budget
    members: tuple[str, ...] = ()
    depth: int = 0
    findings: list[ScanFinding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)

    @classmethod
    def start(cls, policy: Policy, limits: Limits) -> ScanContext:
        budget = Budget(time.monotonic() + limits.seconds, limits.total_bytes)
        return cls(policy, limits, budget)

    def member(self, name: str) -> ScanContext:
        """Same lists, one level deeper: for an archive member or nested payload."""
        return ScanContext(
            self.policy, self.limits, self.budget, (*self.members, name), self.depth + 1,
            self.findings, self.errors,
        )  # fmt: skip

    def capture(self) -> ScanContext:
        """Fresh lists: for speculative parses whose results may be thrown away."""
        return ScanContext(self.policy, self.limits, self.budget, self.members, self.depth)

    def merge(self, other: ScanContext) -> None:
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)

    def too_deep(self) -> bool:
        if self.depth > self.limits.depth:
            self.error(f"nesting deeper than {self.limits.depth} levels: not scanned")
            return True
        return False

    def location(self, offset: int | None = None) -> Location:
        return Location(self.members, offset)

    def add(
        self,
        rule: str,
        severity: Severity,
        message: str,
        *,
        offset: int | None = None,
        target: str | None = None,
        category: str | None = None,
    ) -> None:
        self.findings.append(
            ScanFinding(rule, severity, message, self.location(offset), target, category)
        )

    def error(self, message: str, offset: int | None = None) -> None:
        self.errors.append(ScanError(message, self.location(offset)))

    def check_time(self) -> None:
        if time.monotonic() > self.budget.deadline:
            raise ScanTimeout(f"time limit of {self.limits.seconds:g} s reached")

    def take_bytes(self, count: int) -> bool:
        """Reserve decompressed bytes from the file's budget; False when it is spent."""
        if count > self.budget.bytes_left:
            return False
        self.budget.bytes_left -= count
        return True
