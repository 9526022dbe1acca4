"""Verify as Markdown: one table row per claim, then the reason of each verdict."""

from __future__ import annotations

from ptmscope.formats.escape import markdown
from ptmscope.results.verify import VerifyResult


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


class VerifyMarkdown:
    """The claims as a GitHub-flavoured Markdown table; card text escaped."""

    def render(self, result: VerifyResult) -> str:
        """A table of claims, then one line per claim saying why."""
        lines = [
            f"# Claims of {markdown(result.ref)}",
            "",
            "| source | task | dataset | metric | claimed | measured | 95% CI | n | verdict |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in result.claims:
            ci = "" if r.ci is None else f"[{r.ci[0]:.4f}, {r.ci[1]:.4f}]"
            lines.append(
                f"| {markdown(r.source)} ({markdown(r.location)}) | {markdown(r.task or '')} | "
                f"{markdown(r.dataset or '')} | {markdown(r.metric)} | "
                f"{_number(r.claimed)} | {_number(r.measured)} | "
                f"{ci} | {r.n} | **{r.verdict.value}** |"
            )
        lines += ["", *[f"- {markdown(r.location)}: {markdown(r.reason)}" for r in result.claims]]
        return "\n".join(lines) + "\n"
