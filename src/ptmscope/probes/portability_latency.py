"""Portability · latency: how fast the model answers."""

from __future__ import annotations

import re

from ptmscope.package import Card, Package, Section, fold_case
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import (
    ACCELERATORS,
    Cues,
    all_of,
    card_line_number,
    factor_probe,
    names_this_model,
    stated,
)
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="portability.latency",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="latency",
    short="Latency / throughput",
    motivation=(
        "Serving budgets are set in milliseconds; practitioners in the study had to measure "
        "latency themselves for every candidate."
    ),
    implementation=(
        "Present if prose gives a timing with a unit (ms, tokens/s, samples/s, it/s, fps, "
        "img/s, 'N seconds on a V100'), a table with a throughput or latency column has a row "
        "for this model, or a filled latency/speed/throughput section exists. A comparison "
        "table (or section) that lists other models' timings but not this model's does not "
        "count."
    ),
    remediation=(
        "Report inference latency or throughput with the hardware, batch size and sequence "
        "length used (e.g. '12 ms per sentence on one T4, batch 1')."
    ),
)

CUES = Cues(
    headings=(r"\blatency\b", r"\bspeed\b", r"\bthroughput\b", r"inference (time|speed)"),
    prose=(
        r"\b\d+(\.\d+)?\s*(ms|milliseconds?)\b",
        r"\b\d+(\.\d+)?\s*(tokens?|samples?|sentences?|queries|images?|img|it)\s*(/|per )\s*(s|sec|second)\b",
        r"\b\d+(\.\d+)?\s*fps\b",
        rf"\b\d+(\.\d+)?\s*(secs?|seconds?)\b.{{0,20}}\bon (a |an |one )?(single )?({ACCELERATORS})\b",
    ),
)  # fmt: skip

TIMING_COLUMN = re.compile(
    r"samples?[ _/]*(per[ _]*)?s(ec(ond)?)?\b|throughput|latency|\bfps\b|img/s|it/s|tokens?/s"
)
"""A table header cell that holds a timing."""
_TIMING_WORDS = ("sample", "throughput", "latency", "fps", "/s")
"""Literals one of which every timing column header contains (a cheap test first)."""
MIN_COMPARISON_ROWS = 2
"""Table rows from which a throughput section is read as a comparison of several models."""


def _table_rows(card: Card, first: int, last: int) -> list[tuple[int, str]]:
    return [
        (line.number, line.text)
        for line in card.lines
        if first <= line.number <= last and not line.in_code and line.text.lstrip().startswith("|")
    ]


def _this_models_timing_row(package: Package) -> list[Evidence]:
    """The row for this model in a table whose header has a timing column (comparison tables
    list many models; only this model's row is its timing)."""
    card = package.card
    if card is None:
        return []
    text = card.searchable(False)
    if "|" not in text or not any(word in text for word in _TIMING_WORDS):
        return []
    if not TIMING_COLUMN.search(text):
        return []
    rows = _table_rows(card, 0, 1 << 30)
    in_timed_table, previous = False, -1
    for number, text in rows:
        if number != previous + 1:
            in_timed_table = bool(TIMING_COLUMN.search(fold_case(text)))
        elif in_timed_table and names_this_model(package, text):
            return [Evidence(f"{card.path}:{number}", "timing row for this model")]
        previous = number
    return []


def _section_at(card: Card, number: int) -> Section | None:
    return card.section_at(number)


def _about_this_model(package: Package, evidence: Evidence) -> bool:
    """A timing section that compares several models counts only if it lists this one."""
    card, number = package.card, card_line_number(evidence)
    if card is None or number is None or not evidence.detail.startswith("section "):
        return True
    section = _section_at(card, number)
    if section is None:
        return True
    rows = _table_rows(card, section.line, section.end_line)
    if len(rows) <= MIN_COMPARISON_ROWS:
        return True
    return names_this_model(package, "\n".join(text for _, text in rows)) is not False


PROBE = factor_probe(
    DEFINITION, CUES, _this_models_timing_row, keep=all_of(stated, _about_this_model)
)
