"""How every study format writes a share, a count and a difference (one owner, so they agree)."""

from __future__ import annotations

from ptmscope.results.study import Comparison, Coverage, PaperRow, Row

NA = "n/a"
"""What 0/0 reads as: nothing was measured, which is not 0%."""
NONE = "—"
"""A side that has no number for a key (the paper did not report it, or ours lacks it)."""


def percent(ratio: float | None) -> str:
    return NA if ratio is None else f"{ratio:.1%}"


def counts(row: Row) -> str:
    return f"{row.numerator:,} / {row.denominator:,}"


def ours(row: Row | None) -> str:
    return NONE if row is None else percent(row.ratio)


def paper(row: PaperRow | None) -> str:
    if row is None:
        return NONE
    share = f"{row.share:.1%}" if row.share >= 0.001 or row.share == 0 else f"{row.share:.2%}"
    if row.numerator is not None and row.denominator is not None:
        return f"{share} ({row.numerator:,} / {row.denominator:,})"
    return share


def delta(comparison: Comparison) -> str:
    """Ours minus the paper's, in percentage points."""
    value = comparison.delta
    return NONE if value is None else f"{value * 100:+.1f} pp"


def coverage(cover: Coverage) -> str:
    return f"{cover.covered:,} of {cover.total:,} {cover.what} ({percent(cover.ratio)})"
