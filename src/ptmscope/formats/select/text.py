"""Select as plain text: the ranked list with reasons, then the baselines and the policy."""

from __future__ import annotations

from ptmscope.formats.transfer import cells, heading, taus
from ptmscope.names import visible
from ptmscope.results.compare import TaskStage
from ptmscope.results.select import SelectResult


def _tau(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def _transfer(task: TaskStage) -> list[str]:
    """The task stage: one line per fetched candidate, then the taus and the warning."""
    lines = [visible(heading(task)) + ":"]
    for c in task.candidates:
        if c.error is not None:
            lines.append(f"  {visible(c.ref)}: {visible(c.error)}")
            continue
        logme, probe, size, downloads = cells(c)
        lines.append(
            f"  {visible(c.ref)}: LogME {logme}, probe accuracy {probe}, size {size}, "
            f"downloads {downloads}"
        )
    lines.append(f"  Kendall tau with the probe ranking: {taus(task)}")
    if task.note:
        lines.append(f"  NOTE: {visible(task.note)}")
    return lines


class SelectText:
    """A ranked list a reader can check: each candidate's sub-scores and where each fact
    came from, then how far a plain baseline agrees."""

    def render(self, result: SelectResult) -> str:
        """The whole report as lines of text (ids and card text escaped for a terminal)."""
        p, w = result.population, result.weights
        lines = [
            f"Candidates for {visible(result.task)} ({p.eligible:,} eligible of {p.task:,} with "
            f"the task; scores relative to {p.registry:,} models in {visible(result.db)})",
            f"score = {w.quality:.2f} quality + {w.popularity:.2f} popularity + "
            f"{w.maintenance:.2f} maintenance (each a percentile of the registry, 0-1)",
            "",
        ]
        for c in result.candidates:
            s = c.subscores
            lines.append(
                f"{c.rank:>3}. {visible(c.id)}  score {c.score:.3f}  (quality {s.quality:.2f}, "
                f"popularity {s.popularity:.2f}, maintenance {s.maintenance:.2f})"
            )
            lines += [f"       [{r.source.value}] {visible(r.text)}" for r in c.reasons]
        lines += ["", "Baselines (Kendall tau-b against our order, over all eligible candidates):"]
        for b in result.baselines:
            shown = ", ".join(visible(i) for i in b.ids[:5]) or "-"
            lines.append(f"  {b.name}: tau {_tau(b.tau)} over {b.known:,}; top: {shown}")
            if b.note:
                lines.append(f"    note: {visible(b.note)}")
        if result.policy is not None:
            policy = result.policy
            lines += ["", f"Policy {visible(policy.origin)} (sha256 {policy.digest[:12]}):"]
            lines.append("  judged from the database: " + (", ".join(policy.judged) or "none"))
            for e in policy.excluded:
                lines.append(
                    f"  excluded by {e.rule}: {e.violated:,} violated, {e.unknown:,} cannot tell"
                )
            for rule, why in policy.not_judged:
                lines.append(f"  NOT judged: {visible(rule)}: {why} (audit the candidates)")
        if result.transfer is not None:
            lines += ["", *_transfer(result.transfer)]
        lines += ["", *[f"note: {visible(n)}" for n in result.notes]]
        return "\n".join(lines) + "\n"
