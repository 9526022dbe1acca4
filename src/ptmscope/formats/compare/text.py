"""Compare for a terminal: one column per model; rows where the models differ are marked."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ptmscope.formats.compare.cells import cell
from ptmscope.formats.escape import rich_text
from ptmscope.formats.terminal import capture
from ptmscope.formats.transfer import heading, taus
from ptmscope.results.compare import CompareResult

WIDTH = 160
"""Columns of the captured view (a column per model, lists of factors wrap)."""
DIFFERS = "≠"
"""The mark of a row whose values differ (also bold on a terminal)."""


def _short(ref: str) -> str:
    """A column header that fits: the last part of a path (``gpt2-xl.git@main``)."""
    return ref.rstrip("/").rsplit("/", 1)[-1] or ref


class CompareText:
    """The comparison as a terminal table."""

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width

    def print(self, result: CompareResult, console: Console) -> None:
        """Draw on ``console``."""
        table = Table(title="Compared models", show_lines=False)
        table.add_column("", width=1)
        table.add_column("fact")
        for number, model in enumerate(result.models, 1):
            table.add_column(rich_text(f"[{number}] {_short(model.ref)}"), overflow="fold")
        for row in result.rows:
            style = "bold" if row.differs else ""
            table.add_row(
                DIFFERS if row.differs else "",
                rich_text(row.label, style),
                *(rich_text(cell(v), style) for v in row.values),
            )
        console.print(table)
        for number, model in enumerate(result.models, 1):
            commit = f" @ {model.commit[:12]}" if model.commit else ""
            console.print(rich_text(f"[{number}] {model.ref}{commit}"))
        console.print(Text(f"{DIFFERS}: the models differ on this row"))
        task = result.task
        if task is not None:
            console.print(
                rich_text(f"{heading(task)}; Kendall tau with the probe ranking: {taus(task)}")
            )
            if task.note:
                console.print(rich_text(task.note, "bold"))

    def render(self, result: CompareResult) -> str:
        """The same view as plain text."""
        return capture(lambda console: self.print(result, console), self.width)
