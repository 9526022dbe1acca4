"""Scan results for a terminal: one line per file, then what was found and where."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console

from ptmscope.formats.escape import markup as escape
from ptmscope.formats.terminal import WIDTH, capture
from ptmscope.results.scan import FileScan, FileVerdict, ScanResult

_STYLE = {
    FileVerdict.CLEAN: "green",
    FileVerdict.SUSPICIOUS: "yellow",
    FileVerdict.MALICIOUS: "bold red",
    FileVerdict.ERROR: "magenta",
}


def print_text(scans: Iterable[FileScan], console: Console) -> None:
    """Deprecated: use :class:`ScanText` (``print``)."""
    scans = tuple(scans)
    for scan in scans:
        verdict = scan.verdict
        console.print(
            f"[{_STYLE[verdict]}]{verdict.value:<10}[/] {escape(scan.path)} "
            f"[dim]({escape(scan.format)}, {scan.size:,} bytes)[/dim]",
            emoji=False,
        )
        for finding in sorted(scan.findings, key=lambda f: -f.severity.rank):
            where = finding.location.describe()
            console.print(
                f"  {escape('[' + finding.severity.label + ']')} {escape(finding.message)}"
                + (f" (and {finding.suppressed:,} more of the same)" if finding.suppressed else "")
                + (f" [dim]@ {escape(where)}[/dim]" if where else "")
                + f" [dim]{escape(finding.rule)}[/dim]",
                emoji=False,
            )
        for error in scan.errors:
            where = error.location.describe()
            console.print(
                f"  [magenta]error[/magenta] {escape(error.message)}"
                + (f" [dim]@ {escape(where)}[/dim]" if where else ""),
                emoji=False,
            )
    counts = {v: sum(1 for s in scans if s.verdict is v) for v in FileVerdict}
    console.print(
        f"\n{len(scans)} file(s): "
        + ", ".join(
            f"{counts[v]} {v.value}" for v in FileVerdict if counts[v] or v is FileVerdict.CLEAN
        )
    )


class ScanText:
    """One line per file with its verdict, then its findings (worst first) and errors."""

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width

    def print(self, result: ScanResult, console: Console) -> None:
        """Draw on ``console`` (colours where it has them)."""
        print_text(result.files, console)

    def render(self, result: ScanResult) -> str:
        """The same view as plain text."""
        return capture(lambda console: self.print(result, console), self.width)


def render_text(scans: Iterable[FileScan]) -> str:
    """Deprecated: use :class:`ScanText`."""
    return ScanText().render(ScanResult(tuple(scans)))
