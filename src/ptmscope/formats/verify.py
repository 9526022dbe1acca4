"""``ptmscope verify`` reports: JSON (one object per claim), text and Markdown tables."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ptmscope._version import __version__
from ptmscope.formats.escape import markdown, rich_text, visible
from ptmscope.results.verify import ClaimResult, ClaimVerdict

SCHEMA_VERSION = "1.0.0"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def build(ref: str, commit: str | None, results: Sequence[ClaimResult]) -> dict[str, Any]:
    counts = Counter(r.verdict.value for r in results)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ptmscope", "version": __version__},
        "package": {"ref": ref, "commit": commit},
        "summary": {v.value: counts.get(v.value, 0) for v in ClaimVerdict},
        "claims": [
            {
                "task": r.task,
                "dataset": r.dataset,
                "config": r.config,
                "split": r.split,
                "metric": r.metric,
                "claimed": _round(r.claimed),
                "measured": _round(r.measured),
                "ci": None if r.ci is None else [_round(r.ci[0]), _round(r.ci[1])],
                "n": r.n,
                "verdict": r.verdict.value,
                "reason": r.reason,
                "source": r.source,
                "location": r.location,
            }
            for r in results
        ],
    }


def render(fmt: str, ref: str, commit: str | None, results: Sequence[ClaimResult]) -> str:
    if fmt == "json":
        return json.dumps(build(ref, commit, results), indent=2) + "\n"
    if fmt == "markdown":
        lines = [
            f"# Claims of {markdown(ref)}",
            "",
            "| source | task | dataset | metric | claimed | measured | 95% CI | n | verdict |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results:
            ci = "" if r.ci is None else f"[{r.ci[0]:.4f}, {r.ci[1]:.4f}]"
            lines.append(
                f"| {markdown(r.source)} ({markdown(r.location)}) | {markdown(r.task or '')} | "
                f"{markdown(r.dataset or '')} | {markdown(r.metric)} | "
                f"{'' if r.claimed is None else f'{r.claimed:.4f}'} | {'' if r.measured is None else f'{r.measured:.4f}'} | "
                f"{ci} | {r.n} | **{r.verdict.value}** |"
            )
        lines += ["", *[f"- {markdown(r.location)}: {markdown(r.reason)}" for r in results], ""]
        return "\n".join(lines)
    buffer = io.StringIO()
    console = Console(file=buffer, width=140, highlight=False, no_color=True)
    table = Table(
        title=Text(f"Claims of {visible(ref)}" + (f" @ {visible(commit[:12])}" if commit else ""))
    )
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
    for r in results:
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
    for r in results:
        if r.verdict in (
            ClaimVerdict.UNVERIFIABLE,
            ClaimVerdict.OVER_CLAIMED,
            ClaimVerdict.UNDER_CLAIMED,
        ):
            console.print(rich_text(f"{r.location}: {r.verdict.value}: {r.reason}"))
    return buffer.getvalue()
