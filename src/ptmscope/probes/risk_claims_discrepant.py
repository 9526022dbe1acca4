"""Risk · claimed performance that re-measurement contradicts (``verify``)."""

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
from ptmscope.results.verify import ClaimVerdict
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="risk.claims_discrepant",
    kind=ProbeKind.RISK,
    short="Claimed performance not reproduced",
    motivation=(
        "Nine of the twelve practitioners in the ICSE 2023 study named discrepancies between "
        "claimed and actual performance as a main obstacle; a performance table that cannot be "
        "reproduced misleads model selection (provenance · performance table)."
    ),
    implementation=(
        "Only with `audit --verify` (or from `ptmscope verify`): each claim is re-measured on "
        "its dataset with a 95% interval. Detected when a claim is better than the whole "
        "interval (over-claimed); under-claimed claims are listed as evidence too."
    ),
    remediation="Re-run the evaluation and publish the measured value, with the dataset split, its revision and the evaluation code.",
    severity=Severity.HIGH,
    stride=(Stride.REPUDIATION,),
    attribute="provenance",
)


def run(package: Package) -> Finding:
    results = package.verifications
    if results is None:
        return unknown(
            DEFINITION, "claims not re-measured (run `ptmscope verify` or `audit --verify`)"
        )
    checked = [r for r in results if r.verdict not in (ClaimVerdict.UNVERIFIABLE,)]
    if not checked:
        return unknown(DEFINITION, f"none of {len(results)} claim(s) could be re-measured")
    over = [r for r in checked if r.verdict is ClaimVerdict.OVER_CLAIMED]
    odd = over + [r for r in checked if r.verdict is ClaimVerdict.UNDER_CLAIMED]
    evidence = [
        Evidence(r.location, f"{r.metric} on {r.dataset}: {r.reason}") for r in odd[:MAX_EVIDENCE]
    ]
    if over:
        return detected(
            DEFINITION, f"{len(over)} of {len(checked)} re-measured claim(s) over-claimed", evidence
        )
    return clear(DEFINITION, f"{len(checked)} claim(s) re-measured, none over-claimed", evidence)


PROBE = Probe(DEFINITION, run)
