"""Bar charts of the study as responsive inline SVG: ours as bars, the paper's value as a mark.

The SVG has a ``viewBox`` and ``width="100%"``, so it scales with the page from a phone
to a wide screen; its text scales with it, so a label fitted into its column in
viewBox units fits at every width. Labels are fitted by an estimate of their width
that errs wide (:func:`text_width`), ellipsized when too long, and given in full in
the row's ``<title>`` (a tooltip, and what a screen reader reads).
"""

from __future__ import annotations

import html

from ptmscope.formats.escape import visible
from ptmscope.formats.study import numbers
from ptmscope.results.study import Comparison, Measurement

BARS = 15
"""Rows per chart (the table beside it lists every row)."""
WIDTH = 640
"""ViewBox width; the chart is drawn in these units and scaled to the page."""
LABEL_WIDTH = 210
"""Units of the label column (labels are right-aligned against the bars)."""
BAR_WIDTH = 340
"""Units of the longest bar (or paper mark)."""
ROW_HEIGHT = 22
FONT = 13
"""Font size in viewBox units."""
LEGEND = 26

_NARROW = set("ijlI.,:;'|!` ")
_MEDIUM = set("ftr-()[]{}/\\")
_WIDE = set("mwMW@%&")


def text_width(text: str, size: float = FONT) -> float:
    """The width ``text`` takes at ``size``, estimated from per-character classes sized for
    the widest common sans-serif faces (DejaVu Sans), so the estimate is rarely short."""
    ems = 0.0
    for char in text:
        if not char.isascii():
            ems += 1.0
        elif char in _NARROW:
            ems += 0.34
        elif char in _MEDIUM:
            ems += 0.45
        elif char in _WIDE:
            ems += 1.0
        elif char.isupper():
            ems += 0.8
        else:
            ems += 0.66
    return ems * size


def fit(text: str, width: float, size: float = FONT) -> str:
    """``text``, cut and ended with an ellipsis when it would be wider than ``width``."""
    if text_width(text, size) <= width:
        return text
    cut = text
    while cut and text_width(cut + "…", size) > width:
        cut = cut[:-1]
    return cut + "…"


def charted(m: Measurement) -> bool:
    """Measurements drawn as bars: rows of shares, not matrices or examples."""
    return m.heatmap is None and m.id not in {"name_squatting", "inputs"} and bool(m.rows)


def _row(index: int, item: Comparison, scale: float) -> str:
    y = LEGEND + index * ROW_HEIGHT
    label = visible(item.key)
    tip = f"{label}: ours {numbers.ours(item.ours)}"
    if item.ours is not None:
        tip += f" ({numbers.counts(item.ours)})"
    if item.paper is not None:
        tip += f"; paper {numbers.paper(item.paper)}; difference {numbers.delta(item)}"
    room = LABEL_WIDTH - 12
    parts = [
        f"<g><title>{html.escape(tip)}</title>",
        f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" '
        f'data-room="{room}">{html.escape(fit(label, room))}</text>',
    ]
    if item.ours is not None and item.ours.ratio is not None:
        length = round(BAR_WIDTH * item.ours.ratio * scale, 1)
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{ROW_HEIGHT - 6}" '
            'fill="#3b6ea5"/>'
        )
    if item.paper is not None:
        x = round(LABEL_WIDTH + BAR_WIDTH * item.paper.share * scale, 1)
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{y}" y2="{y + ROW_HEIGHT}" stroke="#c2410c" '
            'stroke-width="3"/>'
        )
    parts.append(
        f'<text x="{LABEL_WIDTH + BAR_WIDTH + 12}" y="{y + 15}">{numbers.ours(item.ours)}</text>'
    )
    parts.append("</g>")
    return "".join(parts)


def bars(m: Measurement) -> str:
    """The measurement's first :data:`BARS` comparisons as one SVG (empty when none)."""
    items = m.comparison()[:BARS]
    if not items:
        return ""
    shares = [i.ours.ratio for i in items if i.ours is not None and i.ours.ratio is not None]
    shares += [i.paper.share for i in items if i.paper is not None]
    top = max(shares, default=0.0)
    scale = 1.0 / top if top > 0 else 1.0
    height = LEGEND + ROW_HEIGHT * len(items) + 4
    legend = (
        f'<rect x="{LABEL_WIDTH}" y="6" width="14" height="12" fill="#3b6ea5"/>'
        f'<text x="{LABEL_WIDTH + 20}" y="17">ours</text>'
    )
    if m.paper_rows:
        legend += (
            f'<line x1="{LABEL_WIDTH + 90}" x2="{LABEL_WIDTH + 90}" y1="4" y2="20" '
            'stroke="#c2410c" stroke-width="3"/>'
            f'<text x="{LABEL_WIDTH + 100}" y="17">paper (ICSE 2023)</text>'
        )
    title = f"{m.title}: {'ours and the paper' if m.paper_rows else 'ours'}, by key"
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{html.escape(m.id)}-chart" '
        f'font-size="{FONT}" font-family="sans-serif" fill="#1f2937">'
        f'<title id="{html.escape(m.id)}-chart">{html.escape(title)}</title>'
        f"{legend}{''.join(_row(i, item, scale) for i, item in enumerate(items))}</svg>"
    )
