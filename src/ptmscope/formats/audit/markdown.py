"""Audit as Markdown: for pull requests, wikis and issue comments."""

from __future__ import annotations

from typing import Any

from ptmscope.formats.escape import markdown as _cell
from ptmscope.formats.escape import markdown_code as _code
from ptmscope.formats.policy.markdown import decision_lines
from ptmscope.results.audit import AuditResult
from ptmscope.results.audit_report import build


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}/10"


CLAIMS = 50
"""Claims listed in the table (the JSON lists them all)."""


def _coverage(summary: dict[str, Any]) -> str:
    """ "; decided from N% of the evidence (no weights, …)" when the coverage is known."""
    if summary["coverage"] is None:
        return ""
    missing = summary["missing_evidence"]
    return f"; decided from {summary['coverage']:.0%} of the evidence" + (
        f" ({', '.join(missing)})" if missing else ""
    )


class AuditMarkdown:
    """The scorecard as GitHub-flavoured Markdown; package text escaped, never obeyed."""

    def render(self, result: AuditResult) -> str:
        """The whole report as one Markdown document."""
        data = build(result)
        pkg, summary = data["package"], data["summary"]
        out = [
            f"# ptmscope audit: {_cell(pkg['name'] or pkg['ref'])}",
            "",
            f"- **Source:** {_cell(pkg['source'])} {_code(pkg['ref'])}"
            + (f" at {_code(pkg['commit'])}" if pkg["commit"] else ""),
            f"- **Overall:** {_score(summary['overall'])} — verdict **{summary['verdict']}**"
            + (f" (capped by a {summary['capped_by']} risk)" if summary["capped_by"] else "")
            + _coverage(summary),
            f"- **Files:** {pkg['files']} ({pkg['bytes']:,} bytes)",
            "",
            *decision_lines(data.get("policy")),
            "## Risks",
            "",
        ]
        risks = [f for f in data["findings"] if f["outcome"] == "detected"]
        if risks:
            out += ["| Severity | Risk | STRIDE | Finding | Evidence |", "|---|---|---|---|---|"]
            for f in risks:
                evidence = "; ".join(e["location"] for e in f["evidence"][:3])
                out.append(
                    f"| {f['severity']} | {_code(f['probe'], table=True)} | {', '.join(f['stride'])} | "
                    f"{_cell(f['message'])} | {_cell(evidence)} |"
                )
        else:
            out.append("No risks detected.")
        for name, attribute in data["attributes"].items():
            out += ["", f"## {name.capitalize()}: {_score(attribute['score'])}", ""]
            out += ["| Factor | Outcome | Evidence |", "|---|---|---|"]
            factor: dict[str, Any]
            for key, factor in attribute["factors"].items():
                evidence = "; ".join(
                    f"{e['location']} {e['detail']}".strip() for e in factor["evidence"][:2]
                )
                out.append(
                    f"| {_cell(factor.get('label') or key)} | {factor['outcome']} | {_cell(evidence or factor['message'])} |"
                )
        out += ["", "## Top remediations", ""]
        out += [
            f"{i}. **{r['probe']}**: {r['text']}" for i, r in enumerate(data["remediations"], 1)
        ]
        claims = data["claims"]
        out += ["", f"## Claims ({len(claims)})", ""]
        if claims:
            out += [
                "| Source | Task | Dataset | Split | Metric | Value | Raw |",
                "|---|---|---|---|---|---|---|",
            ]
            for c in claims[:CLAIMS]:
                value = "" if c["value"] is None else f"{c['value']:.4g}"
                out.append(
                    f"| {_cell(c['source'])} | {_cell(c['task'] or '')} | {_cell(c['dataset'] or '')} | "
                    f"{_cell(c['split'] or '')} | {_cell(c['metric'])} | {value} | {_cell(c['raw'])} |"
                )
        return "\n".join(out) + "\n"
