"""Scan results for a terminal: one line per file, then what was found and where."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console

from ptmscope.formats.escape import markup as escape
from ptmscope.results.scan import FileScan, FileVerdict

_STYLE = {
    FileVerdict.CLEAN: "green",
    FileVerdict.SUSPICIOUS: "yellow",
    FileVerdict.MALICIOUS: "bold red",
    FileVerdict.ERROR: "magenta",
}


def print_text(scans: Sequence[FileScan], console: Console) -> None:
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


def render_text(scans: Sequence[FileScan]) -> str:
    buffer = io.StringIO()
    print_text(scans, Console(file=buffer, width=120, highlight=False, no_color=True))
    return buffer.getvalue()
