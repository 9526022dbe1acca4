"""Findings and errors of one file's scan, kept within caps that never change the verdict.

A hostile file can make the same observation a million times (a ``PROTO`` opcode
repeated, a million distinct imported names); listing each one made a 1 MB file
cost 51 s, 1.6 GB of memory and a 188 MB report. So each (rule, target,
severity) is listed a few times and then counted, and the file as a whole lists
a bounded number of findings. When the file's cap is full, a more severe finding
replaces a less severe one: whatever is dropped is never worse than what is
kept, so the verdict and ``--fail-on`` come out as if nothing had been dropped.
Nothing is lost silently: repeats are counted on the last finding listed for
their key (``suppressed``), and findings left out entirely are counted in one
``scan.findings_capped`` summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ptmscope.results.scan import ScanError, ScanFinding
from ptmscope.severity import Severity

Key = tuple[str, str | None, Severity]

KEYS_PER_CAP = 10
"""Distinct keys counted per listed finding: past ``KEYS_PER_CAP * findings`` keys,
new ones are counted together, so the bookkeeping is bounded as well."""
CAPPED_RULE = "scan.findings_capped"


def key_of(finding: ScanFinding) -> Key:
    return finding.rule, finding.target, finding.severity


@dataclass
class Ledger:
    """Findings and errors of one file, capped per key and per file as they are added."""

    per_key: int
    total: int
    max_errors: int
    findings: list[ScanFinding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    seen: dict[Key, int] = field(default_factory=dict)
    """Occurrences per key, listed or not."""
    kept: dict[Key, int] = field(default_factory=dict)
    by_rank: dict[int, int] = field(default_factory=dict)
    overflow: int = 0
    """Occurrences of keys met after the key table was full."""
    overflow_worst: Severity | None = None
    errors_dropped: int = 0

    def fresh(self) -> Ledger:
        return Ledger(self.per_key, self.total, self.max_errors)

    # ------------------------------------------------------------ findings
    def admit(self, key: Key, more: int = 0) -> bool:
        """Count ``1 + more`` occurrences of ``key``; True when one should be listed now."""
        count = self.seen.get(key)
        if count is None:
            if len(self.seen) >= KEYS_PER_CAP * max(self.total, 1):
                # No more per-key counts, but a worse finding still takes a listed place.
                listed = self._room_for(key[2])
                left_out = more + (0 if listed else 1)
                if left_out:
                    self.overflow += left_out
                    self.overflow_worst = _worse(self.overflow_worst, key[2])
                return listed
            count = 0
        self.seen[key] = count + 1 + more
        if self.kept.get(key, 0) >= self.per_key:
            return False
        return self._room_for(key[2])

    def _room_for(self, severity: Severity) -> bool:
        """Whether a finding of ``severity`` is listed: a free place, or one less severe."""
        if len(self.findings) < self.total:
            return True
        lowest = min(rank for rank, n in self.by_rank.items() if n > 0)
        if severity.rank <= lowest:
            return False
        self._evict(lowest)
        return True

    def append(self, finding: ScanFinding) -> None:
        """List a finding that :meth:`admit` let in."""
        key = key_of(finding)
        self.findings.append(finding)
        self.kept[key] = self.kept.get(key, 0) + 1
        rank = finding.severity.rank
        self.by_rank[rank] = self.by_rank.get(rank, 0) + 1

    def _evict(self, rank: int) -> None:
        for index in range(len(self.findings) - 1, -1, -1):
            if self.findings[index].severity.rank == rank:
                gone = self.findings.pop(index)
                self.kept[key_of(gone)] -= 1
                self.by_rank[rank] -= 1
                return

    # ------------------------------------------------------------ errors
    def error(self, error: ScanError) -> None:
        if len(self.errors) < self.max_errors:
            self.errors.append(error)
        else:
            self.errors_dropped += 1

    # ------------------------------------------------------------ speculative parses
    def absorb(self, other: Ledger) -> None:
        """Take over what a speculative parse recorded, under this ledger's caps."""
        for finding in other.findings:
            if self.admit(key_of(finding)):
                self.append(finding)
        for key, count in other.seen.items():
            extra = count - other.kept.get(key, 0)
            if extra <= 0:
                continue
            if key in self.seen:
                self.seen[key] += extra
            else:
                self.overflow += extra
                self.overflow_worst = _worse(self.overflow_worst, key[2])
        if other.overflow:
            self.overflow += other.overflow
            self.overflow_worst = _worse(self.overflow_worst, other.overflow_worst)
        for error in other.errors:
            self.error(error)
        self.errors_dropped += other.errors_dropped

    # ------------------------------------------------------------ the result
    def final_findings(self) -> tuple[ScanFinding, ...]:
        """The findings as reported: repeats counted on the last one listed, plus a summary
        of what the per-file cap left out."""
        out = list(self.findings)
        last: dict[Key, int] = {}
        for index, finding in enumerate(out):
            last[key_of(finding)] = index
        for key, index in last.items():
            extra = self.seen.get(key, 0) - self.kept.get(key, 0)
            if extra > 0:
                out[index] = replace(out[index], suppressed=extra)
        unlisted = self.overflow
        worst = self.overflow_worst
        for key, count in self.seen.items():
            if self.kept.get(key, 0) == 0:
                unlisted += count
                worst = _worse(worst, key[2])
        if unlisted and worst is not None:
            out.append(
                ScanFinding(
                    CAPPED_RULE,
                    worst,
                    f"{unlisted:,} more findings are not listed: the report keeps "
                    f"{self.per_key} per rule and target and {self.total:,} per file, the most "
                    "severe first (none of those left out is more severe than one listed)",
                    category="report-limit",
                )
            )
        return tuple(out)

    def final_errors(self) -> tuple[ScanError, ...]:
        if not self.errors_dropped:
            return tuple(self.errors)
        summary = ScanError(
            f"{self.errors_dropped:,} more errors are not listed "
            f"(the report keeps {self.max_errors} per file)"
        )
        return (*self.errors, summary)


def _worse(a: Severity | None, b: Severity | None) -> Severity | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a.rank >= b.rank else b
