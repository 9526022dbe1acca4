"""Quality · checkable claims: results someone could re-measure."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import MAX_EXAMPLES, Definition, Evidence, Finding, Outcome, Probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="quality.claims_checkable",
    kind=ProbeKind.SIGNAL,
    attribute="quality",
    short="Checkable claims",
    motivation=(
        "9 of 12 practitioners met claims that did not hold; a claim is checkable only if it "
        "names the dataset, the metric and a number."
    ),
    implementation=(
        "10 × the share of numeric claims that name their dataset (split and revision add "
        "nothing to the score but are reported). Missing (0) when no numeric claim exists."
    ),
    remediation="For every reported number, name the dataset (Hub id), config, split and metric.",
)


def run(package: Package) -> Finding:
    numeric = [c for c in package.claims if c.value is not None]
    if not numeric:
        return Finding(DEFINITION.id, Outcome.MISSING, "no numeric performance claims", (), 0.0)
    named = [c for c in numeric if c.dataset]
    score = 10.0 * len(named) / len(numeric)
    message = f"{len(named)} of {len(numeric)} numeric claims name their dataset"
    evidence = tuple(
        Evidence(c.location, f"{c.metric}={c.raw} on {c.dataset or '?'}")
        for c in numeric[:MAX_EXAMPLES]
    )
    return Finding(DEFINITION.id, Outcome.PRESENT, message, evidence, round(score, 2))


PROBE = Probe(DEFINITION, run)
