"""What a scan finds: findings and errors per file, and the verdict they add up to.

A finding is something loading the file would do (import ``os.system``, read
``../../etc/passwd``); an error is a part of the file that could not be read.
They are kept apart so that an error never hides a finding: a file with both is
judged by its findings and still lists its errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from ptmscope.severity import Severity

if TYPE_CHECKING:  # only ``scan --policy`` with an admission policy makes one
    from ptmscope.results.policy import PolicyDecision


class FileVerdict(StrEnum):
    """What one file's scan adds up to."""

    CLEAN = "clean"
    SUSPICIOUS = "suspicious"
    """Only low or medium findings: worth a look, not proof of intent."""
    MALICIOUS = "malicious"
    """A critical or high finding: loading the file would do something a model never needs."""
    ERROR = "error"
    """No finding, but part of the file could not be scanned; a gate should fail closed."""


@dataclass(frozen=True)
class Location:
    """Where in the file: archive members from the outside in, then a byte offset."""

    members: tuple[str, ...] = ()
    offset: int | None = None

    def describe(self) -> str:
        parts = list(self.members)
        if self.offset is not None:
            parts.append(f"offset {self.offset}")
        return " > ".join(parts)


@dataclass(frozen=True)
class ScanFinding:
    """Something loading the file would do, with where in the file it was seen."""

    rule: str
    """Stable id, e.g. ``pickle.dangerous_call``, ``zip.crc_mismatch``."""
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)
    target: str | None = None
    """The callable, operation or path the finding is about (``os.system``)."""
    category: str | None = None
    """``process``, ``code-execution``, ``network``, ``tampering``…"""
    suppressed: int = 0
    """Further occurrences of the same rule and target that are counted, not listed
    (a repeated opcode reported once with how many more times it occurred)."""


@dataclass(frozen=True)
class ScanError:
    """A part of the file that could not be read (so it was not judged)."""

    message: str
    location: Location = field(default_factory=Location)


@dataclass(frozen=True)
class FileScan:
    """One file's scan: its format (from content), findings and errors."""

    path: str
    format: str
    """Told from the content: ``pickle``, ``pytorch-zip``, ``joblib``, ``gguf``…"""
    size: int
    findings: tuple[ScanFinding, ...] = ()
    errors: tuple[ScanError, ...] = ()
    seconds: float = 0.0
    sha256: str | None = None
    """SHA-256 of the file's bytes, when the caller asked for digests (SARIF fingerprints
    them, so that a repeated scan of the same content matches the same alert); computed
    only for files with findings, never part of the verdict."""

    @property
    def verdict(self) -> FileVerdict:
        if any(f.severity.rank >= Severity.HIGH.rank for f in self.findings):
            return FileVerdict.MALICIOUS
        if any(f.severity.rank > Severity.INFO.rank for f in self.findings):
            return FileVerdict.SUSPICIOUS
        if self.errors:
            return FileVerdict.ERROR
        return FileVerdict.CLEAN

    def fails(self, threshold: Severity) -> bool:
        """The scan gate: a finding at or above ``threshold``, or any error (fail closed,
        beside findings too: the part not read may hold worse than what was found)."""
        return bool(self.errors) or any(f.severity.rank >= threshold.rank for f in self.findings)

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)


@dataclass(frozen=True)
class ScanResult:
    """What ``ptmscope scan`` (or :func:`ptmscope.scan`) returns: every file's scan, in order."""

    files: tuple[FileScan, ...]
    policy: PolicyDecision | None = None
    """The admission policy's decision on the files (``scan --policy`` with an admission
    policy): only the rules a scan can judge are decided."""

    def __iter__(self) -> Iterator[FileScan]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def fails(self, threshold: Severity) -> bool:
        """The gate of the whole scan: any file that fails :meth:`FileScan.fails`."""
        return any(scan.fails(threshold) for scan in self.files)

    def count(self, verdict: FileVerdict) -> int:
        return sum(1 for scan in self.files if scan.verdict is verdict)
