"""Study reports: JSON (``measurements`` with id, definition, rows, paper), Markdown, one-file HTML."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from ptmscope._version import __version__
from ptmscope.formats.escape import markdown, visible
from ptmscope.results.study import Measurement

CHARTS = ("claims_by_task", "datasets", "architectures")


def build(measurements: Sequence[Measurement]) -> dict[str, Any]:
    return {
        "tool": {"name": "ptmscope", "version": __version__},
        "measurements": [
            {
                "id": m.id,
                "title": m.title,
                "definition": m.definition,
                "rows": [
                    {"key": r.key, "numerator": r.numerator, "denominator": r.denominator}
                    for r in m.rows
                ],
                "paper": m.paper,
            }
            for m in measurements
        ],
    }


def _markdown(measurements: Sequence[Measurement]) -> str:
    out = ["# ptmscope study", ""]
    for m in measurements:
        out += [f"## {m.title} (`{m.id}`)", "", m.definition, ""]
        if m.paper:
            out += [f"Paper (ICSE 2023): {m.paper}", ""]
        out += ["| key | numerator | denominator | share |", "|---|---:|---:|---:|"]
        out += [
            f"| {markdown(r.key)} | {r.numerator:,} | {r.denominator:,} | {r.share:.1%} |"
            for r in m.rows
        ]
        out.append("")
    return "\n".join(out)


def _bars(m: Measurement) -> str:
    rows = [r for r in m.rows if r.key != "all"][:12]
    width, bar_height = 560, 18
    height = bar_height * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 260}" height="{height}" role="img" aria-label="{html.escape(m.title)}">'
    ]
    for index, row in enumerate(rows):
        y = index * bar_height + 5
        length = int(width * row.share)
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="12">{html.escape(visible(row.key[:28]))}</text>'
        )
        parts.append(
            f'<rect x="200" y="{y}" width="{length}" height="{bar_height - 4}" fill="#3b6ea5"/>'
        )
        parts.append(
            f'<text x="{205 + length}" y="{y + 13}" font-size="11">{row.share:.1%} ({row.numerator:,}/{row.denominator:,})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _html(measurements: Sequence[Measurement]) -> str:
    body = ["<h1>ptmscope study</h1>"]
    for m in measurements:
        body.append(
            f'<section id="{m.id}"><h2>{html.escape(m.title)}</h2><p>{html.escape(m.definition)}</p>'
        )
        if m.paper:
            body.append(f"<p><b>Paper (ICSE 2023):</b> {html.escape(m.paper)}</p>")
        if m.id in CHARTS:
            body.append(_bars(m))
        body.append(
            "<table><tr><th>key</th><th>numerator</th><th>denominator</th><th>share</th></tr>"
        )
        body += [
            f"<tr><td>{html.escape(visible(r.key))}</td><td>{r.numerator:,}</td><td>{r.denominator:,}</td><td>{r.share:.1%}</td></tr>"
            for r in m.rows
        ]
        body.append("</table></section>")
    style = "body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child{text-align:left}"
    return f"<!doctype html><html><head><meta charset='utf-8'><title>ptmscope study</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n"


def render(fmt: str, measurements: Sequence[Measurement]) -> str:
    if fmt == "json":
        return json.dumps(build(measurements), indent=2) + "\n"
    if fmt == "markdown":
        return _markdown(measurements)
    return _html(measurements)
