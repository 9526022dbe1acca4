"""Verify for a terminal: a table of claims, then why each doubtful one is doubtful."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ptmscope.formats.escape import rich_text, visible
from ptmscope.formats.terminal import capture
from ptmscope.results.verify import ClaimVerdict, VerifyResult

WIDTH = 140
"""Columns of the captured view (the table has nine columns of numbers)."""

_EXPLAINED = (ClaimVerdict.UNVERIFIABLE, ClaimVerdict.OVER_CLAIMED, ClaimVerdict.UNDER_CLAIMED)
"""Verdicts whose reason is printed under the table."""


class VerifyText:
    """The claims as a terminal table."""

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width

    def print(self, result: VerifyResult, console: Console) -> None:
        """Draw on ``console``."""
        commit = result.commit
        title = f"Claims of {visible(result.ref)}" + (
            f" @ {visible(commit[:12])}" if commit else ""
        )
        table = Table(title=Text(title))
        for column in (
            "where",
            "task / data",
            "metric",
            "claimed",
            "measured [95% CI]",
            "n",
            "verdict",
        ):
            table.add_column(column)
        for r in result.claims:
            measured = (
                ""
                if r.measured is None or r.ci is None
                else f"{r.measured:.4f} [{r.ci[0]:.4f}, {r.ci[1]:.4f}]"
            )
            table.add_row(
                rich_text(r.location), rich_text(f"{r.task or '?'} / {r.dataset or '?'}"),
                rich_text(r.metric), "" if r.claimed is None else f"{r.claimed:.4f}", measured,
                str(r.n), r.verdict.value,
            )  # fmt: skip
        console.print(table)
        for r in result.claims:
            if r.verdict in _EXPLAINED:
                console.print(rich_text(f"{r.location}: {r.verdict.value}: {r.reason}"))

    def render(self, result: VerifyResult) -> str:
        """The same view as plain text."""
        return capture(lambda console: self.print(result, console), self.width)
