"""How every study format writes a share, a count and a difference (one owner, so they agree)."""

from __future__ import annotations

from ptmscope.results.study import Comparison, Coverage, Method, PaperRow, Reproduction, Row

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


def fine(ratio: float | None) -> str:
    """A share with the digits a small one needs (0.02%, not 0.0%)."""
    if ratio is not None and 0 < ratio < 0.001:
        return f"{ratio:.2%}"
    return percent(ratio)


def value(row: Row, unit: str) -> str:
    """One row as its method's unit reads: a share, a place, or a count of a total."""
    if unit == "place":
        return f"place {row.numerator:,} of {row.denominator:,}"
    if unit == "count":
        return f"{row.numerator:,} ({fine(row.ratio)} of {row.denominator:,})"
    return f"{fine(row.ratio)} ({counts(row)})"


def headline(method: Method | None) -> str:
    """A method's headline number: ``bert 15.8% (11,852 / 74,970)``; ``—`` unmeasured."""
    if method is None:
        return NONE
    row = method.headline_row
    if row is None:
        return "no value"
    return f"{row.key} {value(row, method.unit)}"


def paper_headline(reproduction: Reproduction) -> str:
    """The paper's number beside the methods' headline key, else its text as stated."""
    method = reproduction.paper_method or reproduction.ptmscope_method
    row = reproduction.paper_headline(method.headline if method is not None else None)
    if row is not None:
        return f"{row.key} {paper(row)}"
    return reproduction.paper_value


def why(reproduction: Reproduction) -> str:
    """The first reason the methods differ, or what an unsupported measurement needs."""
    if not reproduction.supported:
        return f"not measurable here: needs {reproduction.needs}"
    return reproduction.reasons[0] if reproduction.reasons else ""
