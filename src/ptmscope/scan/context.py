"""Bounds and bookkeeping shared by every reader during one file's scan.

Hostile files are built to exhaust a scanner (zip bombs, million-deep stacks,
endless junk), so every reader works under the same :class:`Limits` and the same
deadline, and reports into the same lists. Findings are appended as they are
made, so whatever stops a reader later cannot take them back.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from ptmscope.results.scan import Location, ScanError, ScanFinding
from ptmscope.scan.ledger import Ledger
from ptmscope.scan.policy import Policy
from ptmscope.severity import Severity

if TYPE_CHECKING:
    from ptmscope.scan.registry import Registry

Buffer = Any
"""``bytes``, an ``mmap`` or a bytes-like remote file (``len``, slicing, ``find``)."""


MEMBER_BYTES = 2 << 30
"""Default ``Limits.member_bytes``: a model shard is rarely above 2 GiB uncompressed."""
TOTAL_BYTES = 8 << 30
"""Default ``Limits.total_bytes``: four maximal members, then the file is a bomb."""
IN_MEMORY_BYTES = 64 << 20
"""Default ``Limits.in_memory_bytes``: larger decompressed members go to a temporary file."""
FINDINGS_PER_KEY = 20
"""Default ``Limits.findings_per_key``."""
FINDINGS_PER_FILE = 250
"""Default ``Limits.findings``."""
ERRORS_PER_FILE = 200
"""Default ``Limits.errors``."""


class Limits(NamedTuple):
    """Every bound one file's scan works under (each field says what it stops)."""

    seconds: float = 120.0
    """Wall time for one top-level file: parsing, the search for stacked and trailing
    pickles, nested payloads, decompression and findings all count against it."""
    depth: int = 8
    """Archives and nested payloads inside each other."""
    member_bytes: int = MEMBER_BYTES
    """Largest decompressed member or nested payload that is read; inflation stops as soon
    as a member passes it."""
    total_bytes: int = TOTAL_BYTES
    """Decompressed bytes in all, per top-level file (zip bombs, nested archives)."""
    in_memory_bytes: int = IN_MEMORY_BYTES
    """Decompressed members up to this size stay in memory; larger ones are inflated chunk
    by chunk into a deleted temporary file and mapped, so memory does not grow with them."""
    members: int = 200_000
    opcodes: int = 200_000_000
    search_opcodes: int = 20_000_000
    """Opcodes spent on parses that only might be pickles (stacked streams, candidates in
    trailing data), per file: random data full of ``PROTO`` look-alikes cannot make the
    search quadratic."""
    memo: int = 1_000_000
    stack: int = 1_000_000
    """Items on the stack, and MARKs nested (each costs a list)."""
    names: int = 10_000
    """Distinct imported names listed per stream; further ones are judged as if called."""
    container_items: int = 256
    """Items kept per symbolic list/dict; the rest are counted, not stored."""
    small: int = 512
    """Longer strings and bytes stay where they are in the file (referenced, never copied)."""
    junk_candidates: int = 4096
    """Places after a pickle's STOP (or a parse error) tried as further pickles."""
    findings_per_key: int = FINDINGS_PER_KEY
    """Findings listed per (rule, target, severity); further ones are counted on the last
    one listed (``suppressed``), so a million repeated opcodes make one line, not a million."""
    findings: int = FINDINGS_PER_FILE
    """Findings listed per file; past it a more severe finding replaces a less severe one,
    so the verdict never depends on the cap, and the rest are counted in one summary."""
    errors: int = ERRORS_PER_FILE
    """Errors listed per file; the rest are counted in a last one."""
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


WINDOW = 32 << 20
"""Bytes a linear pass over a mapped file reads before it lets go of the pages read."""


def release(buf: Buffer, start: int, end: int) -> None:
    """Let go of the pages of a mapped file between ``start`` and ``end`` once read.

    Pages of a file read through ``mmap`` stay mapped (and counted as the
    process's memory) until unmapped; a pass over a 2 GiB member would hold 2 GiB.
    They are clean, so dropping them costs nothing: a later read maps them again.
    """
    if not isinstance(buf, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED"):
        return
    first = start - start % mmap.PAGESIZE
    last = min(end, len(buf))
    if last > first:
        with contextlib.suppress(OSError, ValueError):
            buf.madvise(mmap.MADV_DONTNEED, first, last - first)


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


class SearchSpent(Exception):
    """The file's budget of speculative opcodes is spent; the search for pickles stops."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"stopped looking for further pickles after {limit:,} opcodes of candidates"
        )


@dataclass
class Budget:
    """What one top-level file may still spend, shared by every reader and nested payload."""

    deadline: float
    bytes_left: int
    search_ops_left: int


@dataclass
class ScanContext:
    """The hooks every reader gets: limits, policy, the findings ledger, and recursion.

    One per level of nesting (:meth:`member`), all sharing the file's budget and
    ledger; :meth:`scan_member` and :meth:`load_payload` scan what a reader finds
    inside (an archive member, a payload a pickle loads) by the same rules.
    """

    policy: Policy
    limits: Limits
    budget: Budget
    ledger: Ledger
    members: tuple[str, ...] = ()
    depth: int = 0
    registry: Registry | None = None
    """The readers in order; ``None``: the default registry."""

    @classmethod
    def start(cls, policy: Policy, limits: Limits, registry: Registry | None = None) -> ScanContext:
        """A context for one top-level file: a fresh budget and ledger."""
        budget = Budget(
            time.monotonic() + limits.seconds, limits.total_bytes, limits.search_opcodes
        )
        ledger = Ledger(limits.findings_per_key, limits.findings, limits.errors)
        return cls(policy, limits, budget, ledger, registry=registry)

    def readers(self) -> Registry:
        """The registry this scan chooses readers from."""
        if self.registry is None:
            from ptmscope.scan.registry import default_registry

            return default_registry()
        return self.registry

    def scan_member(self, span: Span) -> str:
        """Scan ``span`` by its content in this context; the format it was read as."""
        return self.readers().scan(span, self)

    def load_payload(self, payload: Span | bytes, kind: str, offset: int) -> None:
        """Scan a payload a pickle's nested loader reads (``pickle`` or ``marshal``)."""
        self.readers().load_payload(payload, kind, offset, self)

    @property
    def findings(self) -> list[ScanFinding]:
        return self.ledger.findings

    @property
    def errors(self) -> list[ScanError]:
        return self.ledger.errors

    def member(self, name: str) -> ScanContext:
        """Same ledger, one level deeper: for an archive member or nested payload."""
        return ScanContext(
            self.policy, self.limits, self.budget, self.ledger, (*self.members, name),
            self.depth + 1, self.registry,
        )  # fmt: skip

    def capture(self) -> ScanContext:
        """A fresh ledger: for speculative parses whose results may be thrown away."""
        return ScanContext(
            self.policy,
            self.limits,
            self.budget,
            self.ledger.fresh(),
            self.members,
            self.depth,
            self.registry,
        )

    def merge(self, other: ScanContext) -> None:
        self.ledger.absorb(other.ledger)

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
        more: int = 0,
    ) -> None:
        """Record a finding (``more``: further occurrences it stands for), within the caps."""
        if self.ledger.admit((rule, target, severity), more):
            self.ledger.append(
                ScanFinding(rule, severity, message, self.location(offset), target, category)
            )

    def error(self, message: str, offset: int | None = None) -> None:
        self.ledger.error(ScanError(message, self.location(offset)))

    def check_time(self) -> None:
        if time.monotonic() > self.budget.deadline:
            raise ScanTimeout(f"time limit of {self.limits.seconds:g} s reached")

    def take_bytes(self, count: int) -> bool:
        """Reserve decompressed bytes from the file's budget; False when it is spent."""
        if count > self.budget.bytes_left:
            return False
        self.budget.bytes_left -= count
        return True
