"""Study as one self-contained HTML file: a section, a bar chart and a table per measurement.

No script, no external resource: the file opens offline and shows the same
numbers as the other formats. Registry keys are escaped (never markup).
"""

from __future__ import annotations

import html

from ptmscope.formats.escape import visible
from ptmscope.results.study import Measurement, StudyResult

CHARTS = ("claims_by_task", "datasets", "architectures")
"""Measurements drawn as bar charts as well as tables."""

BARS = 12
"""Bars per chart (the table lists every row)."""
LABEL = 28
"""Characters of a key shown beside its bar."""

_STYLE = (
    "body{font-family:sans-serif;max-width:1000px;margin:2em auto}"
    "table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    "td:first-child{text-align:left}"
)


def _bars(m: Measurement) -> str:
    rows = [r for r in m.rows if r.key != "all"][:BARS]
    width, bar_height = 560, 18
    height = bar_height * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 260}" height="{height}" '
        f'role="img" aria-label="{html.escape(m.title)}">'
    ]
    for index, row in enumerate(rows):
        y = index * bar_height + 5
        length = int(width * row.share)
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="12">{html.escape(visible(row.key[:LABEL]))}</text>'
        )
        parts.append(
            f'<rect x="200" y="{y}" width="{length}" height="{bar_height - 4}" fill="#3b6ea5"/>'
        )
        parts.append(
            f'<text x="{205 + length}" y="{y + 13}" font-size="11">'
            f"{row.share:.1%} ({row.numerator:,}/{row.denominator:,})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


class StudyHtml:
    """The measurements as a one-file HTML report with bar charts."""

    def render(self, result: StudyResult) -> str:
        """A whole HTML document."""
        body = ["<h1>ptmscope study</h1>"]
        for m in result.measurements:
            body.append(
                f'<section id="{html.escape(m.id)}"><h2>{html.escape(m.title)}</h2>'
                f"<p>{html.escape(m.definition)}</p>"
            )
            if m.paper:
                body.append(f"<p><b>Paper (ICSE 2023):</b> {html.escape(m.paper)}</p>")
            body += [f"<p><i>Note:</i> {html.escape(visible(note))}</p>" for note in m.notes]
            if m.id in CHARTS:
                body.append(_bars(m))
            body.append(
                "<table><tr><th>key</th><th>numerator</th><th>denominator</th><th>share</th></tr>"
            )
            body += [
                f"<tr><td>{html.escape(visible(r.key))}</td><td>{r.numerator:,}</td>"
                f"<td>{r.denominator:,}</td><td>{r.share:.1%}</td></tr>"
                for r in m.rows
            ]
            body.append("</table></section>")
        if result.paper:
            body.append(
                '<section id="paper"><h2>The paper\'s numbers (ICSE 2023)</h2>'
                f"<p>Source: {html.escape(str(result.paper_source))}</p><table><tr><th>id</th>"
                "<th>where</th><th>what</th><th>value</th><th>of</th></tr>"
            )
            body += [
                f"<tr><td>{html.escape(p.id)}</td><td>{html.escape(p.where)}</td>"
                f"<td>{html.escape(p.title)}</td><td>{html.escape(p.value)}</td>"
                f"<td>{html.escape(p.denominator)}</td></tr>"
                for p in result.paper
            ]
            body.append("</table></section>")
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>ptmscope study</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>\n"
        )
