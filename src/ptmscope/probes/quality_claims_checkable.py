"""Quality · checkable claims: results someone could re-measure."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import MAX_EXAMPLES, Definition, Evidence, Finding, Outcome, Probe
from ptmscope.results.verify import ClaimVerdict
from ptmscope.vocab import ProbeKind

UNVERIFIED_CREDIT = 0.7
"""A checkable claim nobody re-measured earns 70% of the credit; re-measured and consistent,
all of it. One unverified model-index line must not lift a scorecard as far as a verified
table."""

DEFINITION = Definition(
    id="quality.claims_checkable",
    kind=ProbeKind.SIGNAL,
    attribute="quality",
    short="Checkable claims",
    motivation=(
        "9 of 12 practitioners met claims that did not hold; a claim is checkable only if it "
        "names the task, the dataset, the split, the metric and a number."
    ),
    implementation=(
        "Credit only for checkable claims: 10 × the share of numeric claims that name their "
        f"task (or the package's), dataset, split and metric, × {UNVERIFIED_CREDIT} unless "
        "`verify` re-measured them consistently. 0 when `verify` found a claim over-claimed "
        "(which `risk.claims_discrepant` also reports as a high risk, so an over-claim costs "
        "more than no claim at all). Missing (0) when no numeric claim exists."
    ),
    remediation=(
        "For every reported number, name the task, dataset (Hub id), config, split and metric "
        "(model-index or .eval_results), and re-measure it with `ptmscope verify`."
    ),
)


def run(package: Package) -> Finding:
    """Credit for checkable claims, less until re-measured, none once over-claimed."""
    numeric = [c for c in package.claims if c.value is not None]
    if not numeric:
        return Finding(DEFINITION.id, Outcome.MISSING, "no numeric performance claims", (), 0.0)
    checkable = [
        c for c in numeric if c.dataset and c.split and c.metric and (c.task or package.task)
    ]
    verified = package.verifications or ()
    over = [r for r in verified if r.verdict is ClaimVerdict.OVER_CLAIMED]
    verdicts = {r.verdict for r in verified}
    # Full credit once re-measured: some claim held, none fell short or was inconclusive.
    consistent = ClaimVerdict.CONSISTENT in verdicts and not verdicts & {
        ClaimVerdict.OVER_CLAIMED,
        ClaimVerdict.INCONCLUSIVE,
    }
    share = len(checkable) / len(numeric)
    score = 0.0 if over else 10.0 * share * (1.0 if consistent else UNVERIFIED_CREDIT)
    message = (
        f"{len(checkable)} of {len(numeric)} numeric claims name task, dataset, split and metric"
        + (f"; {len(over)} over-claimed when re-measured" if over else "")
        + ("; re-measured consistently" if consistent and not over else "")
        + ("; not re-measured" if not verified else "")
    )
    evidence = tuple(
        Evidence(c.location, f"{c.metric}={c.raw} on {c.dataset or '?'} ({c.split or 'split ?'})")
        for c in numeric[:MAX_EXAMPLES]
    )
    return Finding(DEFINITION.id, Outcome.PRESENT, message, evidence, round(score, 2))


PROBE = Probe(DEFINITION, run)
