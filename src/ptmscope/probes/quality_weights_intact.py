"""Quality · weights intact: serialized files whose headers are well-formed."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import (
    MAX_EVIDENCE,
    MAX_EXAMPLES,
    Definition,
    Evidence,
    Finding,
    Outcome,
    Probe,
)
from ptmscope.vocab import ProbeKind, WeightRole

DEFINITION = Definition(
    id="quality.weights_intact",
    kind=ProbeKind.SIGNAL,
    attribute="quality",
    short="Weights well-formed",
    motivation=(
        "Truncated uploads and corrupt headers fail at load time, or worse, load partially; "
        "they are also how tampering shows."
    ),
    implementation=(
        "10 × the share of present weight files whose header parses (safetensors offsets in "
        "range, no overlap, known dtypes; recognised magic bytes). Unknown when no weight "
        "bytes are present."
    ),
    remediation="Re-upload the broken files; prefer safetensors, whose header ptmscope validates fully.",
)


def run(package: Package) -> Finding:
    present = [w for w in package.weights if w.available and w.role is WeightRole.WEIGHTS]
    if not present:
        return Finding(DEFINITION.id, Outcome.UNKNOWN, "no weight bytes present to check")
    broken = [w for w in present if w.error is not None or w.format == "unknown"]
    evidence = tuple(
        Evidence(w.path, w.error or "format not recognised") for w in broken[:MAX_EVIDENCE]
    )
    score = 10.0 * (len(present) - len(broken)) / len(present)
    message = f"{len(present) - len(broken)} of {len(present)} weight files well-formed"
    if not broken:
        evidence = tuple(Evidence(w.path, w.format) for w in present[:MAX_EXAMPLES])
    outcome = Outcome.PRESENT if not broken else Outcome.MISSING
    return Finding(DEFINITION.id, outcome, message, evidence, round(score, 2))


PROBE = Probe(DEFINITION, run)
