"""Study for a terminal: a summary, then per measurement a table of ours beside the paper's."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ptmscope.formats.escape import rich_text
from ptmscope.formats.study import numbers
from ptmscope.formats.terminal import WIDTH, capture
from ptmscope.results.study import Heatmap, Measurement, Method, StudyResult


def _heatmap(heat: Heatmap) -> Table:
    table = Table(show_header=True, expand=False)
    table.add_column(heat.row_label, overflow="fold")
    for column in heat.columns:
        table.add_column(rich_text(column), justify="right")
    for name, cells in zip(heat.rows, heat.cells, strict=True):
        table.add_row(rich_text(name), *(numbers.percent(c.ratio) for c in cells))
    return table


def _rows(m: Measurement) -> Table:
    with_paper = bool(m.paper_rows)
    table = Table(show_header=True, expand=False)
    table.add_column("key", overflow="fold")
    for column in ("ours", "n / N", *(("paper", "Δ pp") if with_paper else ())):
        table.add_column(column, justify="right")
    for item in m.comparison():
        cells = [numbers.ours(item.ours), numbers.counts(item.ours) if item.ours else numbers.NONE]
        if with_paper:
            cells += [numbers.paper(item.paper), numbers.delta(item)]
        table.add_row(rich_text(item.key), *cells)
    return table


def _method(method: Method | None, name: str) -> Table | Text:
    if method is None:
        return Text(f"{name}: not measurable on this data")
    table = Table(
        title=rich_text(f"{name}: {method.definition}"), title_justify="left", expand=False
    )
    table.add_column("key", overflow="fold")
    table.add_column("value", justify="right")
    for r in method.rows:
        table.add_row(rich_text(r.key), numbers.value(r, method.unit))
    return table


def _reproductions(result: StudyResult, console: Console) -> None:
    console.print(Text("The paper reproduced: its method and ours", style="bold"))
    summary = Table(show_header=True, expand=False)
    for column in ("id", "paper (ICSE 2023)", "paper's method", "ptmscope's method"):
        summary.add_column(column, overflow="fold")
    for r in result.reproductions:
        summary.add_row(
            rich_text(r.id), rich_text(numbers.paper_headline(r)), rich_text(numbers.headline(r.paper_method)),
            rich_text(numbers.headline(r.ptmscope_method)),
        )  # fmt: skip
    console.print(summary)
    for r in result.reproductions:
        console.print(rich_text(f"{r.id}: {r.title}", "bold"))
        console.print(rich_text(f"paper: {r.paper_value}"))
        if not r.supported:
            console.print(rich_text(f"not measurable here; needs {r.needs}", "yellow"))
            continue
        console.print(_method(r.paper_method, "paper's method"))
        console.print(_method(r.ptmscope_method, "ptmscope's method"))
        for reason in r.reasons:
            console.print(rich_text(f"why: {reason}"))
    console.print()


class StudyText:
    """The measurements as terminal tables."""

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width

    def print(self, result: StudyResult, console: Console) -> None:
        """Draw on ``console``."""
        console.print(Text("ptmscope study report", style="bold"))
        console.print(Text(f"ptmscope {result.tool_version}; paper values: "
                           f"{result.paper_source or 'none (--paper none)'}"))  # fmt: skip
        if result.inputs is not None:
            for r in result.inputs.rows:
                console.print(Text(f"input {r.key}: {r.numerator:,} of {r.denominator:,} ids"))
            for note in result.inputs.notes:
                console.print(Text(f"input {note}"))
        console.print()
        for m in result.body:
            console.print(Text(f"{m.title} ({m.id})", style="bold"))
            console.print(Text(m.definition, style="dim"))
            if m.paper:
                console.print(Text(f"Paper (ICSE 2023): {m.paper}"))
            if m.coverage is not None:
                console.print(Text(f"coverage: {numbers.coverage(m.coverage)}"))
            for caveat in m.caveats:
                console.print(Text(f"caveat: {caveat}", style="yellow"))
            for note in m.notes:
                console.print(Text(f"note: {note}"))
            console.print(_heatmap(m.heatmap) if m.heatmap is not None else _rows(m))
            console.print()
        if result.reproductions:
            _reproductions(result, console)
        if result.paper:
            console.print(Text("The paper's numbers (ICSE 2023)", style="bold"))
            paper = Table(show_header=True, expand=False)
            for column in ("id", "where", "what", "value", "of"):
                paper.add_column(column, overflow="fold")
            for p in result.paper:
                paper.add_row(p.id, rich_text(p.where), rich_text(p.title), rich_text(p.value),
                              rich_text(p.denominator))  # fmt: skip
            console.print(paper)

    def render(self, result: StudyResult) -> str:
        """The same view as plain text."""
        return capture(lambda console: self.print(result, console), self.width)
