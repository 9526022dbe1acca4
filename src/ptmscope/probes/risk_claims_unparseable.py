"""Risk · no machine-parseable performance claim."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import (
    MAX_EXAMPLES,
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
    id="risk.claims_unparseable",
    kind=ProbeKind.RISK,
    short="No machine-parseable claims",
    motivation=(
        "Claims only in prose cannot be indexed, compared or checked by a registry; the study "
        "found 4.2% of packages with a machine-parseable claim (Fig. 7)."
    ),
    implementation=(
        "Detected when no `.eval_results` or `model-index` entry holds a numeric metric value "
        "(prose and table claims are reported, but do not clear the risk)."
    ),
    remediation="Publish results as `model-index` in the card YAML or as `.eval_results/*.yaml`.",
    severity=Severity.LOW,
    stride=(Stride.REPUDIATION,),
)


def run(package: Package) -> Finding:
    parseable = [c for c in package.claims if c.machine_parseable]
    if parseable:
        return clear(
            DEFINITION,
            f"{len(parseable)} machine-parseable claim(s)",
            [Evidence(parseable[0].location)],
        )
    prose = [c for c in package.claims if c.value is not None]
    if prose:
        return detected(
            DEFINITION,
            f"{len(prose)} claim(s) only in prose or tables, none machine-parseable",
            [Evidence(c.location, f"{c.label}: {c.raw}") for c in prose[:MAX_EXAMPLES]],
        )
    return detected(DEFINITION, "no performance claims at all")


PROBE = Probe(DEFINITION, run)
