"""Scan as Markdown: a table of files and their verdicts, then what was found and where.

For a pull request or an issue comment. File names, messages and targets come
from the scanned files, so every one is escaped (never a link, an HTML tag or a
broken table).
"""

from __future__ import annotations

from ptmscope.formats.escape import markdown as _cell
from ptmscope.formats.escape import markdown_code as _code
from ptmscope.formats.policy.markdown import decision_lines
from ptmscope.results.scan import FileVerdict, ScanResult


def _summary(result: ScanResult) -> str:
    counts = {v: result.count(v) for v in FileVerdict}
    shown = ", ".join(
        f"{counts[v]} {v.value}" for v in FileVerdict if counts[v] or v is FileVerdict.CLEAN
    )
    return f"{len(result)} file(s): {shown}"


class ScanMarkdown:
    """The scan as GitHub-flavoured Markdown."""

    def render(self, result: ScanResult) -> str:
        """Files, then findings (worst first) and errors, as tables."""
        out = ["# ptmscope scan", "", _summary(result), ""]
        if result.policy is not None:
            out += decision_lines(result.policy.data())
        if result.files:
            out += [
                "| Verdict | File | Format | Bytes | Findings | Errors |",
                "|---|---|---|---:|---:|---:|",
            ]
            out += [
                f"| **{s.verdict.value}** | {_code(s.path, table=True)} | {_cell(s.format)} | "
                f"{s.size:,} | {len(s.findings)} | {len(s.errors)} |"
                for s in result.files
            ]
        findings = [
            (scan.path, f)
            for scan in result.files
            for f in sorted(scan.findings, key=lambda f: -f.severity.rank)
        ]
        if findings:
            out += ["", "## Findings", ""]
            out += ["| Severity | File | Rule | Finding | Where |", "|---|---|---|---|---|"]
            for path, f in findings:
                message = f.message + (
                    f" (and {f.suppressed:,} more of the same)" if f.suppressed else ""
                )
                out.append(
                    f"| {f.severity.label} | {_code(path, table=True)} | {_code(f.rule, table=True)} | "
                    f"{_cell(message)} | {_cell(f.location.describe())} |"
                )
        errors = [(scan.path, e) for scan in result.files for e in scan.errors]
        if errors:
            out += ["", "## Errors (not fully scanned)", ""]
            out += ["| File | Error | Where |", "|---|---|---|"]
            out += [
                f"| {_code(path, table=True)} | {_cell(e.message)} | {_cell(e.location.describe())} |"
                for path, e in errors
            ]
        return "\n".join(out) + "\n"
