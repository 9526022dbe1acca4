"""Audit for a terminal (rich): risks first, a table per attribute, top remediations."""

from __future__ import annotations

import os
import re
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ptmscope.formats.escape import markup, rich_text, visible
from ptmscope.formats.terminal import WIDTH, capture
from ptmscope.results.audit import AuditResult
from ptmscope.results.audit_report import build

_OUTCOME_STYLE = {
    "present": "green",
    "missing": "red",
    "unknown": "dim",
    "detected": "red",
    "clear": "green",
}
_SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
_VERDICT_STYLE = {
    "pass": "bold green",
    "review": "bold yellow",
    "fail": "bold red",
    "insufficient-evidence": "bold magenta",
}


def _outcome_style(outcome: str, score: float | None) -> str:
    """Colour by meaning: a measured signal is coloured by its score (0.0 is never green)."""
    if score is not None and outcome == "present":
        return "green" if score >= 7 else "yellow" if score >= 4 else "red"
    return _OUTCOME_STYLE.get(outcome, "")


def _score(value: float | None) -> Text:
    if value is None:
        return Text("n/a", style="dim")
    style = "green" if value >= 7 else "yellow" if value >= 4 else "red"
    return Text(f"{value:.1f}/10", style=style)


EVIDENCE_SHOWN = 2
"""Evidence items per row in the terminal view (``--show-details``: all of them)."""
LONG_TOKEN = 32
"""URLs and hex digests longer than this are shortened in the middle, never wrapped (paths
and identifiers are shown whole)."""
_TOKEN = re.compile(rf"\bhttps?://\S{{{LONG_TOKEN - 7},}}|\b[0-9a-f]{{{LONG_TOKEN + 1},}}\b")


def _shorten(text: str) -> str:
    """Long unbroken tokens cut in the middle (``https://hug…/config.json``), so a narrow
    terminal never folds a hash or URL across lines or splits an identifier."""
    keep = (LONG_TOKEN - 1) // 2
    return _TOKEN.sub(lambda m: f"{m.group(0)[:keep]}…{m.group(0)[-keep:]}", text)


def _evidence(items: list[dict[str, str]], limit: int | None = EVIDENCE_SHOWN) -> Text:
    """One line per item (own line breaks and escapes shown, not obeyed), and "+N more"
    when the report holds more than the terminal shows."""
    shown = items if limit is None else items[:limit]
    lines = [_shorten(visible(f"{e['location']} {e['detail']}".strip())) for e in shown]
    if len(items) > len(shown):
        lines.append(f"+{len(items) - len(shown)} more (--show-details)")
    return Text("\n".join(lines))


def _display_ref(ref: str) -> str:
    """A path under the working directory shown relative to it (the header stays short)."""
    if not os.path.isabs(ref):
        return ref
    try:
        relative = os.path.relpath(ref)
    except ValueError:  # another drive
        return ref
    return relative if not relative.startswith("..") else ref


class AuditText:
    """The scorecard as a person reads it: the verdict and risks first, then why."""

    def __init__(self, width: int = WIDTH, show_details: bool = False) -> None:
        self.width = width
        self.limit = None if show_details else EVIDENCE_SHOWN

    def print(self, result: AuditResult, console: Console) -> None:
        """Draw on ``console`` (colours where it has them)."""
        data = build(result)
        pkg, summary = data["package"], data["summary"]
        head = Text()
        head.append(f"{visible(pkg['name'] or pkg['ref'])}\n", style="bold")
        head.append(f"{visible(pkg['source'])} {visible(_display_ref(pkg['ref']))}")
        if pkg["commit"]:
            head.append(f" @ {visible(pkg['commit'][:12])}")
        head.append(f"\n{pkg['files']} files, {pkg['bytes']:,} bytes; ")
        head.append(f"{len(data['claims'])} claims\n")
        head.append("Overall ")
        head.append_text(_score(summary["overall"]))
        head.append("  verdict ")
        head.append(summary["verdict"].upper(), style=_VERDICT_STYLE[summary["verdict"]])
        if summary["capped_by"]:
            head.append(
                f"  (capped by a {summary['capped_by']} risk; uncapped {summary['uncapped']})"
            )
        if summary["coverage"] is not None:
            head.append(f"\ndecided from {summary['coverage']:.0%} of the evidence")
            if summary["missing_evidence"]:
                head.append(f" ({', '.join(summary['missing_evidence'])})")
        console.print(Panel(head, title="ptmscope audit", expand=False))
        if "policy" in data:
            self._policy(data["policy"], console)

        risks = [f for f in data["findings"] if f["outcome"] == "detected"]
        console.print(Text("Risks", style="italic"))
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True, min_width=8)
        table.add_column()
        for f in risks:
            table.add_row(
                Text(f["severity"] or "", style=_SEVERITY_STYLE.get(f["severity"] or "", "")),
                self._risk(f),
            )
        if not risks:
            table.add_row("", Text("none detected", style="dim"))
        console.print(table)

        summary_table = Table(title="Attributes", title_justify="left")
        summary_table.add_column("Attribute")
        summary_table.add_column("Score")
        summary_table.add_column("Known")
        for name, attribute in data["attributes"].items():
            known = sum(1 for f in attribute["factors"].values() if f["outcome"] != "unknown")
            summary_table.add_row(
                name, _score(attribute["score"]), f"{known}/{len(attribute['factors'])}"
            )
        console.print(summary_table)

        for name, attribute in data["attributes"].items():
            table = Table(title=f"{name.capitalize()}  ", title_justify="left", expand=False)
            table.caption = None
            table.add_column("Factor", no_wrap=True)
            table.add_column("Outcome")
            table.add_column("Evidence")
            factor: dict[str, Any]
            for key, factor in attribute["factors"].items():
                outcome = factor["outcome"]
                shown = (
                    outcome
                    if factor["kind"] == "factor"
                    else f"{outcome} {factor['score'] if factor['score'] is not None else ''}".strip()
                )
                evidence = _evidence(factor["evidence"], self.limit)
                table.add_row(
                    rich_text(factor.get("label") or key),
                    Text(shown, style=_outcome_style(outcome, factor["score"])),
                    evidence if evidence.plain else rich_text(factor["message"]),
                )
            console.print(table)

        if data["remediations"]:
            console.print(Text("Top remediations", style="bold"))
            for i, item in enumerate(data["remediations"], 1):
                console.print(
                    f" {i}. [bold]{markup(item['probe'])}[/bold]: {markup(item['text'])}",
                    highlight=False,
                    emoji=False,
                )

    def _policy(self, policy: dict[str, Any], console: Console) -> None:
        """The admission decision first: it is what a gate acts on."""
        style = {"allow": "bold green", "warn": "bold yellow", "deny": "bold red"}
        line = Text("Policy: ", style="bold")
        line.append(policy["decision"].upper(), style=style[policy["decision"]])
        line.append(f"  (policy {policy['policy_digest'][:12]})", style="dim")
        console.print(line)
        for violation in policy["violations"]:
            text = Text(f"  [{violation['action']}] {violation['rule']}: ")
            text.append(rich_text(violation["reason"]))
            console.print(text)
            for item in violation["evidence"][:EVIDENCE_SHOWN]:
                console.print(Text("      ") + rich_text(item))
        console.print()

    def _risk(self, finding: dict[str, Any]) -> Text:
        """One risk as a block, not table columns: its id and finding, the STRIDE threats,
        then its evidence a line each (a narrow terminal wraps words, never identifiers)."""
        body = Text()
        body.append(visible(finding["probe"].removeprefix("risk.")), style="bold")
        body.append(f" {visible(finding['message'])}")
        if finding["stride"]:
            body.append(f"\nSTRIDE: {visible(', '.join(finding['stride']))}", style="dim")
        evidence = _evidence(finding["evidence"], self.limit)
        if evidence.plain:
            body.append("\n")
            body.append_text(evidence)
        return body

    def render(self, result: AuditResult) -> str:
        """The same view as plain text, ``width`` columns wide."""
        return capture(lambda console: self.print(result, console), self.width)
