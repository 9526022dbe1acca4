"""Risk · pickle-based weights with no safetensors alternative."""

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
from ptmscope.vocab import FileFormat, ProbeKind, WeightRole

DEFINITION = Definition(
    id="risk.pickle_weights",
    kind=ProbeKind.RISK,
    short="Pickle-only weights",
    motivation=(
        "Loading a pickle runs code chosen by whoever wrote the file; a tampered checkpoint "
        "executes on the reuser's machine. safetensors holds only tensors."
    ),
    implementation=(
        "Format read from the first bytes (torch zip, legacy torch, raw pickle, joblib…); LFS "
        "pointers are judged by name. Detected when pickle-based weights ship and no "
        "safetensors weights do. Trainer state pickles (`training_args.bin`, optimizer) are "
        "listed but do not trigger it alone. `ptmscope scan` inspects the pickles themselves."
    ),
    remediation="Convert the weights to safetensors (e.g. the Hub's convert Space or `save_pretrained(safe_serialization=True)`).",
    severity=Severity.HIGH,
    stride=(Stride.TAMPERING, Stride.ELEVATION_OF_PRIVILEGE),
)


def run(package: Package) -> Finding:
    weights = [w for w in package.weights if w.role is WeightRole.WEIGHTS]
    if not weights:
        return unknown(DEFINITION, "no weight files in the package")
    pickles = [w for w in weights if w.pickle_based]
    safe = [w for w in weights if w.format is FileFormat.SAFETENSORS]
    if pickles and not safe:
        evidence = [
            Evidence(w.path, f"{w.format}, {w.size:,} bytes") for w in pickles[:MAX_EVIDENCE]
        ]
        return detected(
            DEFINITION, f"{len(pickles)} pickle-based weight file(s), no safetensors", evidence
        )
    if pickles:
        return clear(
            DEFINITION,
            f"safetensors available beside {len(pickles)} pickle file(s)",
            [Evidence(safe[0].path, "safetensors")],
        )
    return clear(DEFINITION, "no pickle-based weights")


PROBE = Probe(DEFINITION, run)
