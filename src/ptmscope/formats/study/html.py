"""Study as one self-contained HTML file: a summary, contents, and per measurement its
coverage and caveats, a chart or heatmap, and ours beside the paper's with the difference.

No script, no external resource: the file opens offline, reads without JavaScript and
shows the same numbers as the other formats. The layout is fluid (charts are SVG with
a viewBox, wide tables scroll inside their own box), so the page never scrolls sideways
from 360 px up. Registry keys are escaped (never markup).
"""

from __future__ import annotations

import html

from ptmscope.formats.escape import visible
from ptmscope.formats.study import numbers
from ptmscope.formats.study.chart import bars, charted
from ptmscope.results.study import Heatmap, Measurement, Method, StudyResult

HEAT = (
    (0.1, "#f1f5fb", "#111827"),
    (0.3, "#d0e1f2", "#111827"),
    (0.5, "#94c4df", "#111827"),
    (0.7, "#4a98c9", "#111827"),
    (0.9, "#1764ab", "#ffffff"),
    (1.01, "#08306b", "#ffffff"),
)
"""Heatmap colour steps: (share below, background, text colour with enough contrast)."""

_STYLE = (
    "*{box-sizing:border-box}"
    "body{font-family:system-ui,sans-serif;line-height:1.45;color:#111827;max-width:1100px;"
    "margin:0 auto;padding:0 16px 48px}"
    "h1{margin-top:24px}h2{border-bottom:1px solid #d1d5db;padding-bottom:4px;margin-top:40px}"
    "table{border-collapse:collapse;width:100%;font-size:.92em}"
    "td,th{border:1px solid #d1d5db;padding:3px 6px;text-align:right;vertical-align:top}"
    "th{background:#f3f4f6}td:first-child,th:first-child{text-align:left;overflow-wrap:anywhere}"
    ".scroll{overflow-x:auto;max-width:100%}"
    ".chart{display:block;width:100%;max-width:820px;height:auto;margin:12px 0}"
    ".caveat{border-left:4px solid #c2410c;background:#fff7ed;padding:6px 10px;margin:8px 0}"
    ".coverage,.definition{color:#374151}"
    ".heat td{text-align:center;font-size:.85em;padding:2px 3px}"
    ".heat th[scope=row]{text-align:left;min-width:7.5em;overflow-wrap:normal;font-weight:normal}"
    ".heat th[scope=col]{font-size:.8em;overflow-wrap:anywhere;text-align:center}"
    ".na{background:#e5e7eb;color:#374151}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{font-weight:600}"
    "dd{margin:0;overflow-wrap:anywhere}nav ol{columns:2 260px;column-gap:48px}nav li{break-inside:avoid}"
    ".paper td{text-align:left;overflow-wrap:anywhere}"
    ".legend span{display:inline-block;padding:0 6px;margin:2px;font-size:.85em}"
)


def _e(text: str) -> str:
    return html.escape(visible(text))


def _summary(result: StudyResult) -> str:
    caveated = [m for m in result.body if m.caveats]
    paper = result.paper_source or "none (--paper none)"
    out = [
        '<section id="summary"><h2>Summary</h2><dl>',
        f"<dt>ptmscope</dt><dd>{_e(result.tool_version)}</dd>",
        f"<dt>paper values</dt><dd>{_e(paper)}</dd>",
        f"<dt>measurements</dt><dd>{len(result.body)}, {len(caveated)} with a caveat</dd>",
        "</dl>",
    ]
    inputs = result.inputs
    if inputs is not None:
        out.append(f"<h3>Inputs</h3><p class='definition'>{_e(inputs.definition)}</p>")
        out.append(
            '<div class="scroll"><table><tr><th>table: source</th><th>ids</th>'
            "<th>of the table</th></tr>"
        )
        out += [
            f"<tr><td>{_e(r.key)}</td><td>{r.numerator:,}</td><td>{numbers.percent(r.ratio)} "
            f"of {r.denominator:,}</td></tr>"
            for r in inputs.rows
        ]
        out.append("</table></div>")
        out += [f"<p>{_e(note)}</p>" for note in inputs.notes]
    out.append("</section>")
    return "".join(out)


def _contents(result: StudyResult) -> str:
    items = ['<li><a href="#summary">Summary</a></li>']
    for m in result.body:
        mark = " <small>(caveat)</small>" if m.caveats else ""
        items.append(f'<li><a href="#{_e(m.id)}">{_e(m.title)}</a>{mark}</li>')
    if result.paper:
        items.append('<li><a href="#paper">The paper\'s numbers</a></li>')
    return (
        f'<nav id="contents" aria-label="Contents"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'
    )


def _heat(share: float | None) -> str:
    if share is None:
        return ' class="na"'
    background, colour = next((b, c) for limit, b, c in HEAT if share < limit)
    return f' style="background:{background};color:{colour}"'


def _heatmap(m: Measurement, heat: Heatmap) -> str:
    head = "".join(f"<th scope='col'>{_e(column)}</th>" for column in heat.columns)
    out = [
        f'<div class="scroll"><table class="heat"><caption>{_e(heat.row_label)} × '
        f"{_e(heat.column_label)}: share of packages with the factor</caption>"
        f"<tr><th scope='col'>{_e(heat.row_label)}</th>{head}</tr>"
    ]
    for name, cells in zip(heat.rows, heat.cells, strict=True):
        tds = "".join(
            f'<td{_heat(c.ratio)} title="{_e(name)}, {_e(c.key)}: {numbers.counts(c)}">'
            f"{numbers.percent(c.ratio)}</td>"
            for c in cells
        )
        label = name.replace("_", " ").replace(".", ": ")  # wraps between words, not inside
        out.append(f"<tr><th scope='row' title=\"{_e(name)}\">{_e(label)}</th>{tds}</tr>")
    out.append("</table></div>")
    legend = "".join(
        f'<span style="background:{b};color:{c}">&lt; {min(limit, 1.0):.0%}</span>'
        if limit <= 1
        else f'<span style="background:{b};color:{c}">≤ 100%</span>'
        for limit, b, c in HEAT
    )
    out.append(f'<p class="legend">{legend}<span class="na">n/a (0 / 0)</span></p>')
    return "".join(out)


def _table(m: Measurement) -> str:
    with_paper = bool(m.paper_rows)
    head = "<th>key</th><th>ours</th><th>n / N</th>"
    if with_paper:
        head += "<th>paper (ICSE 2023)</th><th>Δ ours − paper</th>"
    rows = []
    for item in m.comparison():
        cells = f"<td>{_e(item.key)}</td><td>{numbers.ours(item.ours)}</td>"
        cells += f"<td>{numbers.counts(item.ours) if item.ours else numbers.NONE}</td>"
        if with_paper:
            cells += f"<td>{numbers.paper(item.paper)}</td><td>{numbers.delta(item)}</td>"
        rows.append(f"<tr>{cells}</tr>")
    table = f'<div class="scroll"><table><tr>{head}</tr>{"".join(rows)}</table></div>'
    if m.heatmap is not None:
        return f"<details><summary>All {len(rows)} rows as a table</summary>{table}</details>"
    return table


def _section(m: Measurement) -> str:
    out = [
        f'<section id="{_e(m.id)}"><h2>{_e(m.title)}</h2>',
        f'<p class="definition">{_e(m.definition)}</p>',
    ]
    if m.paper:
        out.append(f"<p><b>Paper (ICSE 2023):</b> {_e(m.paper)}</p>")
    if m.coverage is not None:
        out.append(f'<p class="coverage">Coverage: {_e(numbers.coverage(m.coverage))}</p>')
    out += [
        f'<p class="caveat" role="note"><b>Caveat:</b> {_e(caveat)}</p>' for caveat in m.caveats
    ]
    out += [f"<p><i>Note:</i> {_e(note)}</p>" for note in m.notes]
    if m.heatmap is not None:
        out.append(_heatmap(m, m.heatmap))
    elif charted(m):
        out.append(bars(m))
    out.append(_table(m))
    out.append("</section>")
    return "".join(out)


def _paper(result: StudyResult) -> str:
    rows = "".join(
        f"<tr><td>{_e(p.id)}</td><td>{_e(p.where)}</td><td>{_e(p.title)}</td>"
        f"<td>{_e(p.value)}</td><td>{_e(p.denominator)}</td></tr>"
        for p in result.paper
    )
    return (
        '<section id="paper"><h2>The paper\'s numbers (ICSE 2023)</h2>'
        f"<p>Source: {_e(str(result.paper_source))}</p>"
        '<div class="scroll"><table class="paper"><tr><th>id</th><th>where</th><th>what</th>'
        f"<th>value</th><th>of</th></tr>{rows}</table></div></section>"
    )


def _method(method: Method | None, name: str) -> str:
    if method is None:
        return f"<p><em>{_e(name)}:</em> not measurable on this data.</p>"
    rows = "".join(
        f"<tr><td>{_e(r.key)}</td><td>{_e(numbers.value(r, method.unit))}</td></tr>"
        for r in method.rows
    )
    return (
        f"<p><em>{_e(name)}:</em> {_e(method.definition)}</p>"
        '<div class="scroll"><table><tr><th>key</th><th>value</th></tr>'
        f"{rows}</table></div>"
    )


def _reproductions(result: StudyResult) -> str:
    summary = "".join(
        f"<tr><td>{_e(r.id)}</td><td>{_e(r.title)}</td><td>{_e(numbers.paper_headline(r))}</td>"
        f"<td>{_e(numbers.headline(r.paper_method))}</td>"
        f"<td>{_e(numbers.headline(r.ptmscope_method))}</td><td>{_e(numbers.why(r))}</td></tr>"
        for r in result.reproductions
    )
    details = []
    for r in result.reproductions:
        part = [f'<h3 id="{_e(r.id)}">{_e(r.id)}: {_e(r.title)}</h3>',
                f"<p>Paper: {_e(r.paper_value)}</p>"]  # fmt: skip
        if not r.supported:
            part.append(f"<p>Not measurable on this data. Needs {_e(r.needs or '')}.</p>")
        else:
            part += [_method(r.paper_method, "Paper's method"),
                     _method(r.ptmscope_method, "ptmscope's method")]  # fmt: skip
            part.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in r.reasons) + "</ul>")
        details.append("".join(part))
    return (
        '<section id="reproduction"><h2>The paper reproduced: its method and ours</h2>'
        '<div class="scroll"><table class="paper"><tr><th>id</th><th>measurement</th>'
        "<th>paper (ICSE 2023)</th><th>paper's method, here</th><th>ptmscope's method, here</th>"
        f"<th>why they differ</th></tr>{summary}</table></div>{''.join(details)}</section>"
    )


class StudyHtml:
    """The measurements as a one-file HTML report with charts, heatmaps and the paper beside."""

    def render(self, result: StudyResult) -> str:
        """A whole HTML document."""
        body = [
            "<h1>ptmscope study report</h1>",
            _summary(result),
            _contents(result),
            *(_section(m) for m in result.body),
        ]
        if result.reproductions:
            body.append(_reproductions(result))
        if result.paper:
            body.append(_paper(result))
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>ptmscope study report</title><style>{_STYLE}</style></head>"
            f"<body>{''.join(body)}</body></html>\n"
        )
