"""Scan results for a terminal: one line per file, then what was found and where.

The view is built once as lines of styled segments: ``render`` joins the text
(no rich, no wrapping: a CI log or a pre-commit hook pipes it, and a long path
stays on one line for ``grep``), ``print`` draws the same lines with colours.
For a folder of thousands of files, ``show_clean=False`` lists only the files
that need attention; the summary line still counts every file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ptmscope.names import visible
from ptmscope.results.scan import FileScan, FileVerdict, ScanResult

_STYLE = {
    FileVerdict.CLEAN: "green",
    FileVerdict.SUSPICIOUS: "yellow",
    FileVerdict.MALICIOUS: "bold red",
    FileVerdict.ERROR: "magenta",
}
_ORDER = (FileVerdict.MALICIOUS, FileVerdict.SUSPICIOUS, FileVerdict.CLEAN, FileVerdict.ERROR)
"""Verdicts in the summary line, worst first (errors last: they are counted apart)."""

Segment = tuple[str, str]
"""(text, rich style); the text is already safe to show (controls made visible)."""
Line = tuple[Segment, ...]


def _file_lines(scan: FileScan) -> list[Line]:
    verdict = scan.verdict
    lines: list[Line] = [
        (
            (f"{verdict.value:<10}", _STYLE[verdict]),
            (f" {visible(scan.path)} ", ""),
            (f"({visible(scan.format)}, {scan.size:,} bytes)", "dim"),
        )
    ]
    for finding in sorted(scan.findings, key=lambda f: -f.severity.rank):
        where = finding.location.describe()
        more = f" (and {finding.suppressed:,} more of the same)" if finding.suppressed else ""
        lines.append(
            (
                (f"  [{finding.severity.label}] {visible(finding.message)}{more}", ""),
                (f" @ {visible(where)}" if where else "", "dim"),
                (f" {visible(finding.rule)}", "dim"),
            )
        )
    for error in scan.errors:
        where = error.location.describe()
        lines.append(
            (
                ("  ", ""),
                ("error", "magenta"),
                (f" {visible(error.message)}", ""),
                (f" @ {visible(where)}" if where else "", "dim"),
            )
        )
    return lines


def summary(result: ScanResult, *, hidden: int = 0) -> str:
    """``340 file(s), 1,234,567 bytes: 1 malicious, 0 suspicious, 338 clean, 1 error in 2.41 s``.

    The time is the files' scan time added up (what the scanner spent, without
    start-up or listing).
    """
    counts = {v: result.count(v) for v in FileVerdict}
    size = sum(scan.size for scan in result.files)
    seconds = sum(scan.seconds for scan in result.files)
    shown = ", ".join(f"{counts[v]} {v.value}" for v in _ORDER)
    line = f"{len(result)} file(s), {size:,} bytes: {shown} in {seconds:.2f} s"
    if hidden:
        line += f" ({hidden:,} clean file(s) not listed: --show-clean lists them)"
    return line


_DECISION_STYLE = {"allow": "bold green", "warn": "bold yellow", "deny": "bold red"}


def _decision_lines(policy: dict[str, Any]) -> list[Line]:
    """The admission decision after the summary: what a CI gate acts on, then why."""
    lines: list[Line] = [
        (
            ("Policy: ", "bold"),
            (policy["decision"].upper(), _DECISION_STYLE[policy["decision"]]),
            (f"  (policy {policy['policy_digest'][:12]})", "dim"),
        )
    ]
    for violation in policy["violations"]:
        lines.append(
            (
                (
                    f"  [{violation['action']}] {violation['rule']}: {visible(violation['reason'])}",
                    "",
                ),
            )
        )
        lines.extend(((f"      {visible(item)}", "dim"),) for item in violation["evidence"][:5])
    if policy.get("not_judged"):
        names = ", ".join(policy["not_judged"])
        lines.append(((f"  not judged by a scan (they need an audit): {names}", "dim"),))
    return lines


class ScanText:
    """One line per file with its verdict, then its findings (worst first) and errors."""

    def __init__(self, width: int | None = None, *, show_clean: bool = True) -> None:
        self._width = width
        self.show_clean = show_clean
        """List clean files too (``scan --show-clean``); otherwise only files with a
        finding or an error are listed, and the summary says how many were left out."""

    @property
    def width(self) -> int:
        """Columns of a captured console view (:data:`ptmscope.formats.terminal.WIDTH`);
        the plain text is never wrapped."""
        if self._width is not None:
            return self._width
        from ptmscope.formats.terminal import WIDTH  # imports rich: only a console view needs it

        return WIDTH

    def lines(self, result: ScanResult) -> list[Line]:
        """The whole view as styled lines."""
        out: list[Line] = []
        hidden = 0
        for scan in result.files:
            if not self.show_clean and scan.verdict is FileVerdict.CLEAN:
                hidden += 1
                continue
            out.extend(_file_lines(scan))
        out.append((("", ""),))
        out.append(((summary(result, hidden=hidden), ""),))
        if result.policy is not None:
            out.extend(_decision_lines(result.policy.data()))
        return out

    def print(self, result: ScanResult, console: Any) -> None:
        """Draw on ``console`` (a :class:`rich.console.Console`; colours where it has them)."""
        from rich.text import Text

        for line in self.lines(result):
            text = Text()
            for segment, style in line:
                text.append(segment, style=style or None)
            console.print(text, soft_wrap=True)

    def render(self, result: ScanResult) -> str:
        """The same view as plain text (no rich needed)."""
        return "".join("".join(s for s, _ in line) + "\n" for line in self.lines(result))


def print_text(scans: Iterable[FileScan], console: Any) -> None:
    """Deprecated: use :class:`ScanText` (``print``)."""
    ScanText().print(ScanResult(tuple(scans)), console)


def render_text(scans: Iterable[FileScan]) -> str:
    """Deprecated: use :class:`ScanText`."""
    return ScanText().render(ScanResult(tuple(scans)))
