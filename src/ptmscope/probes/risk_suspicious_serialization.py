"""Risk · a model file that imports code beyond what loading a model needs."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import (
    Definition,
    Finding,
    Probe,
    Severity,
    Stride,
    clear,
    detected,
    unknown,
)
from ptmscope.probes.risk_malicious_serialization import evidence
from ptmscope.results.scan import FileVerdict
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="risk.suspicious_serialization",
    kind=ProbeKind.RISK,
    short="Model file imports unusual code",
    motivation=(
        "A checkpoint that instantiates classes outside torch/numpy (custom modules, "
        "framework objects) runs library code on load and breaks when that code changes."
    ),
    implementation=(
        "Detected when a scanned file's verdict is suspicious (only low or medium findings). "
        "A file that could not be scanned fully is risk.unreadable_content."
    ),
    remediation="Re-save the weights as safetensors (state dict only); keep configuration in JSON, not pickles.",
    severity=Severity.MEDIUM,
    stride=(Stride.TAMPERING,),
)


def run(package: Package) -> Finding:
    if not package.scans:
        return unknown(DEFINITION, "no model file with its bytes present to scan")
    odd = [s for s in package.scans if s.verdict is FileVerdict.SUSPICIOUS]
    if odd:
        return detected(DEFINITION, f"{len(odd)} file(s) suspicious", evidence(odd))
    return clear(DEFINITION, f"{len(package.scans)} file(s) scanned")


PROBE = Probe(DEFINITION, run)
