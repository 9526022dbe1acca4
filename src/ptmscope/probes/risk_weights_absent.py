"""Risk · weights present only as Git LFS pointers."""

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
from ptmscope.vocab import ProbeKind, WeightRole

DEFINITION = Definition(
    id="risk.weights_absent",
    kind=ProbeKind.RISK,
    short="Weights absent",
    motivation=(
        "The audited package holds pointers, not weights: whatever is fetched later is "
        "trusted on the pointer's sha256 alone, and its format could not be inspected here."
    ),
    implementation=(
        "Detected when weight files are listed but their bytes are absent: Git LFS pointers "
        "(size and sha256 reported) or names from a registry listing."
    ),
    remediation="Fetch the LFS objects (`git lfs pull`) and audit again, or verify their sha256 against the pointers after download.",
    severity=Severity.LOW,
    stride=(Stride.TAMPERING,),
)


def run(package: Package) -> Finding:
    weights = [w for w in package.weights if w.role is WeightRole.WEIGHTS]
    if not weights:
        return unknown(DEFINITION, "no weight files in the package")
    absent = [w for w in weights if not w.available]
    if not absent:
        return clear(DEFINITION, f"all {len(weights)} weight file(s) present")
    evidence = []
    for weight in absent[:MAX_EVIDENCE]:
        entry = package.file(weight.path)
        pointer = entry.lfs if entry is not None else None
        detail = (
            f"LFS pointer: {pointer.size:,} bytes, sha256 {pointer.oid_sha256}"
            if pointer is not None
            else "listed, content not present"
        )
        evidence.append(Evidence(weight.path, detail))
    message = f"{len(absent)} of {len(weights)} weight file(s) have no content here"
    return detected(DEFINITION, message, evidence)


PROBE = Probe(DEFINITION, run)
