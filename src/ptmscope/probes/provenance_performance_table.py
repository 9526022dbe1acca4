"""Provenance · performance table: what the model claims to achieve, and where."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import Cues, factor_probe
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
        "Trainer results list, Markdown metric table) or evaluation result files ship."
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


PROBE = factor_probe(DEFINITION, CUES, _claims)
