"""Provenance · performance table: what the model claims to achieve, and where."""

from __future__ import annotations

from dataclasses import replace

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence, Finding, Outcome, Probe
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.results.verify import ClaimVerdict
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="provenance.performance_table",
    kind=ProbeKind.FACTOR,
    attribute="provenance",
    factor="performance_table",
    short="Performance table",
    motivation=(
        "Model selection compares claimed performance; without numbers a reuser must "
        "evaluate every candidate from scratch."
    ),
    implementation=(
        "Present if at least one numeric claim was extracted (`.eval_results`, `model-index`, "
        "Trainer results list, AutoTrain metric list, Markdown metric table) or evaluation "
        "result files ship. A table that `verify` found over-claimed is present but scores 0: "
        "it documents numbers that do not hold."
    ),
    remediation=(
        "Publish results as `model-index` in the card YAML (or `.eval_results/*.yaml`) with "
        "task, dataset, split, metric and value."
    ),
)

CUES = Cues(files=(r"^\.eval_results/.*\.ya?ml$", r"^(all|eval|test|predict)_results\.json$"))


def _claims(package: Package) -> list[Evidence]:
    numeric = [c for c in package.claims if c.value is not None]
    if not numeric:
        return []
    sources = sorted({c.source for c in numeric})
    first = numeric[0]
    detail = f"{len(numeric)} numeric claim(s) from {', '.join(sources)}"
    return [Evidence(first.location, detail)]


_DOCUMENTED = factor_probe(DEFINITION, CUES, _claims)


def run(package: Package) -> Finding:
    finding = _DOCUMENTED.run(package)
    over = [r for r in package.verifications or () if r.verdict is ClaimVerdict.OVER_CLAIMED]
    if finding.outcome is Outcome.PRESENT and over:
        return replace(
            finding,
            score=0.0,
            message=f"{finding.message}, but {len(over)} claim(s) over-claimed when re-measured",
        )
    return finding


PROBE = Probe(DEFINITION, run)
