"""Risk · part of the package could not be read, parsed or scanned (fail closed)."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import (
    Definition,
    Evidence,
    Finding,
    Probe,
    Severity,
    Stride,
    clear,
    detected,
)
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="risk.unreadable_content",
    kind=ProbeKind.RISK,
    short="Part of the package could not be checked",
    motivation=(
        "What cannot be read cannot be vouched for: a card with a NUL byte, a file over a size "
        "limit, a truncated archive, an unreadable folder or a symlink loop can each hide a "
        "payload from every other check. An attacker who controls the package's content chooses "
        "exactly such bytes, so a gate must treat them as a failure, never as a pass."
    ),
    implementation=(
        "Detected when collecting the package recorded an unreadable part (a card or config "
        "that is binary, not UTF-8 or over its size limit; a folder that cannot be listed; a "
        "symlink that loops or leaves the package; a file that is not a regular file) or when "
        "the scanner could not finish a file (verdict error: truncated, corrupt, over a time, "
        "memory or decompression limit)."
    ),
    remediation=(
        "Do not load the package until every part is readable: fix or remove the file named in "
        "the evidence (re-save it, shrink it under the limit, replace symlinks by files), then "
        "audit again."
    ),
    severity=Severity.HIGH,
    stride=(Stride.TAMPERING, Stride.DENIAL_OF_SERVICE),
)

_SHOWN = 8


def run(package: Package) -> Finding:
    evidence = [
        Evidence(problem.path, problem.message)
        for problem in package.problems
        if problem.unreadable
    ]
    for scan in package.scans:
        if scan.errors:  # beside findings too: what was not read may hold worse
            evidence.append(Evidence(scan.path, f"scan incomplete: {scan.errors[0].message}"))
    if evidence:
        more = len(evidence) - _SHOWN
        suffix = f" (first {_SHOWN} shown)" if more > 0 else ""
        return detected(
            DEFINITION,
            f"{len(evidence)} part(s) of the package could not be read or scanned{suffix}",
            evidence[:_SHOWN],
        )
    return clear(DEFINITION, f"every file was read; {len(package.scans)} file(s) scanned")


PROBE = Probe(DEFINITION, run)
