"""Risk · a model file that would run code or touch the system when loaded (``ptmscope scan``)."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import (
    MAX_EVIDENCE,
    Definition,
    Evidence,
    Finding,
    Probe,
    Severity,
    Stride,
    clear,
    detected,
    unknown,
)
from ptmscope.results.scan import FileScan, FileVerdict
from ptmscope.vocab import ProbeKind

FINDINGS_PER_FILE = 2
"""The worst findings (or errors) quoted for each malicious file."""

DEFINITION = Definition(
    id="risk.malicious_serialization",
    kind=ProbeKind.RISK,
    short="Model file runs code when loaded",
    motivation=(
        "Pickles, Keras Lambda layers, ONNX external data and chat templates can execute "
        "commands, read files or open connections on the machine that loads them; the study's "
        "practitioners named poisoned and tampered models among the risks of reuse."
    ),
    implementation=(
        "Each model file present is scanned statically by content (the `ptmscope scan` engine: "
        "symbolic pickle interpreter, container readers, policy). Detected when a file's verdict "
        "is malicious: a critical or high finding such as os.system, a dynamic import, a Lambda "
        "with bytecode or zip tampering."
    ),
    remediation="Do not load the file. Report it to the registry; prefer a safetensors copy from a trusted publisher.",
    severity=Severity.CRITICAL,
    stride=(Stride.TAMPERING, Stride.ELEVATION_OF_PRIVILEGE),
)


def evidence(scans: list[FileScan]) -> list[Evidence]:
    items = []
    for scan in scans[:MAX_EVIDENCE]:
        worst = sorted(scan.findings, key=lambda f: -f.severity.rank)[:FINDINGS_PER_FILE]
        detail = "; ".join(f"[{f.severity.label}] {f.message}" for f in worst) or "; ".join(
            e.message for e in scan.errors[:FINDINGS_PER_FILE]
        )
        items.append(Evidence(scan.path, f"{scan.format}: {detail}"))
    return items


def run(package: Package) -> Finding:
    if not package.scans:
        return unknown(DEFINITION, "no model file with its bytes present to scan")
    bad = [s for s in package.scans if s.verdict is FileVerdict.MALICIOUS]
    if bad:
        return detected(
            DEFINITION,
            f"{len(bad)} of {len(package.scans)} scanned file(s) are malicious",
            evidence(bad),
        )
    return clear(DEFINITION, f"{len(package.scans)} file(s) scanned, none malicious")


PROBE = Probe(DEFINITION, run)
