"""Study for a terminal: a table per measurement, with its definition and the paper's value."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ptmscope.formats.escape import rich_text
from ptmscope.formats.terminal import WIDTH, capture
from ptmscope.results.study import StudyResult


class StudyText:
    """The measurements as terminal tables."""

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width

    def print(self, result: StudyResult, console: Console) -> None:
        """Draw on ``console``."""
        for m in result.measurements:
            console.print(Text(f"{m.title} ({m.id})", style="bold"))
            console.print(Text(m.definition, style="dim"))
            if m.paper:
                console.print(Text(f"Paper (ICSE 2023): {m.paper}"))
            for note in m.notes:
                console.print(Text(f"note: {note}"))
            table = Table(show_header=True, expand=False)
            table.add_column("key", overflow="fold")
            for column in ("numerator", "denominator", "share"):
                table.add_column(column, justify="right")
            for r in m.rows:
                table.add_row(
                    rich_text(r.key), f"{r.numerator:,}", f"{r.denominator:,}", f"{r.share:.1%}"
                )
            console.print(table)
            console.print()
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
