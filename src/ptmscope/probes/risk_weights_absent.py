"""Risk · weights present only as Git LFS pointers."""

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
    unknown,
)

DEFINITION = Definition(
    id="risk.weights_absent",
    kind="risk",
    short="Weights only as LFS pointers",
    motivation=(
        "The audited package holds pointers, not weights: whatever is fetched later is "
        "trusted on the pointer's sha256 alone, and its format could not be inspected here."
    ),
    implementation="Detected when weight files are LFS pointers whose content is absent; the pointer's size and sha256 are reported.",
    remediation="Fetch the LFS objects (`git lfs pull`) and audit again, or verify their sha256 against the pointers after download.",
    severity=Severity.LOW,
    stride=(Stride.TAMPERING,),
)


def run(package: Package) -> Finding:
    weights = [w for w in package.weights if w.role == "weights"]
    if not weights:
        return unknown(DEFINITION, "no weight files in the package")
    absent = [w for w in weights if not w.available]
    if not absent:
        return clear(DEFINITION, f"all {len(weights)} weight file(s) present")
    sha = {f.path: f.sha256 for f in package.files}
    evidence = [
        Evidence(w.path, f"pointer: {w.size:,} bytes, sha256 {sha.get(w.path)}") for w in absent[:5]
    ]
    return detected(
        DEFINITION,
        f"{len(absent)} of {len(weights)} weight file(s) are LFS pointers only",
        evidence,
    )


PROBE = Probe(DEFINITION, run)
