"""Select as Markdown: a table of the ranking, the reasons below it, then the baselines."""

from __future__ import annotations

from ptmscope.formats.escape import markdown
from ptmscope.formats.transfer import cells, heading, taus
from ptmscope.results.compare import TaskStage
from ptmscope.results.select import SelectResult


def _tau(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def _transfer(task: TaskStage) -> list[str]:
    """The task stage as a table; a candidate that could not run shows its error."""
    lines = ["## Task stage", "", markdown(heading(task)), "",
             "| model | LogME | probe accuracy | size | downloads |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for c in task.candidates:
        if c.error is not None:
            lines.append(f"| {markdown(c.ref)} | {markdown(c.error)} | | | |")
        else:
            lines.append("| " + " | ".join(markdown(v) for v in (c.ref, *cells(c))) + " |")
    lines += ["", f"Kendall tau with the linear-probe ranking: {taus(task)}."]
    if task.note:
        lines += ["", f"> **{markdown(task.note)}**"]
    return lines


class SelectMarkdown:
    """The ranking as a GitHub-flavoured Markdown table; ids and card text escaped."""

    def render(self, result: SelectResult) -> str:
        """A table of candidates, their reasons, the baselines and the policy."""
        p, w = result.population, result.weights
        lines = [
            f"# Candidates for {markdown(result.task)}",
            "",
            f"{p.eligible:,} eligible of {p.task:,} with the task; sub-scores are percentiles "
            f"of {p.registry:,} models. Weights: quality {w.quality:.2f}, popularity "
            f"{w.popularity:.2f}, maintenance {w.maintenance:.2f}.",
            "",
            "| rank | model | score | quality | popularity | maintenance |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for c in result.candidates:
            s = c.subscores
            lines.append(
                f"| {c.rank} | {markdown(c.id)} | {c.score:.3f} | {s.quality:.2f} | "
                f"{s.popularity:.2f} | {s.maintenance:.2f} |"
            )
        lines += ["", "## Reasons", ""]
        for c in result.candidates:
            lines.append(f"- **{markdown(c.id)}**")
            lines += [f"  - *{r.source.value}*: {markdown(r.text)}" for r in c.reasons]
        lines += ["", "## Baselines", "", "| baseline | Kendall tau-b | known | top 3 |",
                  "|---|---:|---:|---|"]  # fmt: skip
        for b in result.baselines:
            top = ", ".join(markdown(i) for i in b.ids[:3]) or "-"
            lines.append(f"| {b.name} | {_tau(b.tau)} | {b.known:,} | {top} |")
        lines += [f"- {b.name}: {markdown(b.note)}" for b in result.baselines if b.note]
        if result.policy is not None:
            policy = result.policy
            lines += ["", f"## Policy {markdown(policy.origin)}", ""]
            lines.append("Judged from the database: " + (", ".join(policy.judged) or "none"))
            lines += [
                f"- excluded by {markdown(e.rule)}: {e.violated:,} violated, {e.unknown:,} "
                "cannot tell"
                for e in policy.excluded
            ]
            lines += [
                f"- **not judged** {markdown(rule)}: {markdown(why)}"
                for rule, why in policy.not_judged
            ]
        if result.transfer is not None:
            lines += ["", *_transfer(result.transfer)]
        lines += ["", *[f"> {markdown(n)}" for n in result.notes]]
        return "\n".join(lines) + "\n"
