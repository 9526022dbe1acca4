"""From probe outcomes to 0–10 attribute scores, risk caps and a verdict.

Every weight is written here, once. ``unknown`` outcomes are left out of the
average (as Scorecard leaves out inconclusive checks), never counted as zero;
an attribute with nothing known has no score. A detected risk caps the overall
score, as Socket lets a critical alert cap a package's score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ptmscope.results.audit import AttributeScore, Definition, Finding, Outcome, Scorecard
from ptmscope.severity import Severity
from ptmscope.vocab import ProbeKind, ScorecardVerdict

ATTRIBUTES = (
    "popularity",
    "quality",
    "maintenance",
    "provenance",
    "reproducibility",
    "portability",
)

FACTORS: Mapping[str, tuple[str, ...]] = {
    "provenance": ("dataset_details", "performance_table", "architecture_details", "training_logs"),
    "reproducibility": ("hardware_spec", "training_config", "demos", "documentation", "environment_image"),
    "portability": (
        "hardware_spec", "latency", "quantized_model", "environment_image", "framework_support",
        "finetuning_instructions", "license", "cost_estimate",
    ),
}  # fmt: skip
"""Table I of the study: the DL-specific attributes and their factors."""

PROBE_WEIGHTS: Mapping[str, float] = {
    "provenance.dataset_details": 1.5,
    "provenance.performance_table": 1.5,
    "reproducibility.documentation": 1.5,
    "reproducibility.training_config": 1.5,
    "portability.license": 2.0,
    "popularity.downloads": 2.0,
    "quality.claims_checkable": 1.5,
}
"""Weights within an attribute; every other probe weighs :data:`DEFAULT_PROBE_WEIGHT`. The
heavier factors are the ones practitioners in the study named first for that attribute."""

DEFAULT_PROBE_WEIGHT = 1.0
"""The weight of a probe not listed in :data:`PROBE_WEIGHTS`."""

ATTRIBUTE_WEIGHTS: Mapping[str, float] = {
    "popularity": 1.0,
    "quality": 1.0,
    "maintenance": 1.0,
    "provenance": 1.5,
    "reproducibility": 1.5,
    "portability": 1.5,
}
"""Weights of attributes in the overall score: the DL-specific ones, which the study found
missing most often, count more."""

MIN_COVERAGE = 0.6
"""Below this share of attribute probe weight decided, the verdict is
``insufficient-evidence``: a folder without weights, history or registry metadata leaves
most probes ``unknown``, and scoring only what is left would rank it above a full
repository. A critical risk still fails and a high risk still asks for review."""

RISK_CAPS: Mapping[Severity, float] = {
    Severity.CRITICAL: 0.0,
    Severity.HIGH: 5.0,
    Severity.MEDIUM: 8.0,
}
"""The overall score cannot exceed this while a risk of that severity is detected."""

REVIEW_BELOW = 5.0
"""An overall score under this asks for review even without a high risk: half the evidence a
reuser needs is missing."""


def _weighted(pairs: Iterable[tuple[float, float]]) -> float | None:
    total = weight = 0.0
    for value, w in pairs:
        total += value * w
        weight += w
    return None if weight == 0 else round(total / weight, 2)


ESSENTIAL_EVIDENCE = ("risk.pickle_weights", "risk.history_unsigned")
"""Probes that need the model's weights and its history. When every one of them is
``unknown`` (a card-only folder, a registry record), nothing vouches for the bytes a reuser
would load or where they came from: the verdict is ``insufficient-evidence`` whatever the
card scores."""


def score(findings: Iterable[Finding], definitions: Mapping[str, Definition]) -> Scorecard:
    """Findings to attribute scores, the risk cap, the verdict and what to fix first.

    One pure function over data, so an audit, a study row and a stored result rescored later
    all agree. Unknowns drop out instead of counting as zero: a source that cannot see a fact
    (no history offline, no signatures through the Hub API) must not look like a bad package.
    """
    by_attribute: dict[str, list[Finding]] = {name: [] for name in ATTRIBUTES}
    risks: list[Finding] = []
    findings = tuple(findings)
    outcomes = {f.probe: f.outcome for f in findings}
    blind = all(outcomes.get(p) is Outcome.UNKNOWN for p in ESSENTIAL_EVIDENCE)
    for finding in findings:
        definition = definitions[finding.probe]
        if definition.kind is ProbeKind.RISK:
            if finding.outcome is Outcome.DETECTED:
                risks.append(finding)
        elif definition.attribute in by_attribute:
            by_attribute[definition.attribute].append(finding)
    attributes = []
    decided_weight = total_weight = 0.0
    for name in ATTRIBUTES:
        found = by_attribute[name]
        known = [f for f in found if f.outcome is not Outcome.UNKNOWN and f.score is not None]
        value = _weighted(
            (f.score or 0.0, PROBE_WEIGHTS.get(f.probe, DEFAULT_PROBE_WEIGHT)) for f in known
        )
        weight = sum(PROBE_WEIGHTS.get(f.probe, DEFAULT_PROBE_WEIGHT) for f in found)
        decided = sum(PROBE_WEIGHTS.get(f.probe, DEFAULT_PROBE_WEIGHT) for f in known)
        coverage = round(decided / weight, 3) if weight else 1.0
        decided_weight += decided * ATTRIBUTE_WEIGHTS[name]
        total_weight += weight * ATTRIBUTE_WEIGHTS[name]
        attributes.append(AttributeScore(name, value, tuple(found), len(known), coverage))
    overall_coverage = round(decided_weight / total_weight, 3) if total_weight else None
    undecided = tuple(
        f.probe for a in attributes for f in a.findings if f.outcome is Outcome.UNKNOWN
    )
    risks.sort(key=lambda f: -(f.severity or Severity.INFO).weight)
    uncapped = _weighted(
        (a.score, ATTRIBUTE_WEIGHTS[a.name]) for a in attributes if a.score is not None
    )
    worst = next((f.severity for f in risks if f.severity in RISK_CAPS), None)
    overall = uncapped
    cap = None  # reported only when it changed the number ("capped by" that did not bind misleads)
    if overall is not None and worst is not None and overall > RISK_CAPS[worst]:
        overall, cap = RISK_CAPS[worst], worst
    severities = {f.severity for f in risks}
    if Severity.CRITICAL in severities:
        verdict = ScorecardVerdict.FAIL
    elif Severity.HIGH in severities:
        verdict = ScorecardVerdict.REVIEW
    elif blind or (overall_coverage is not None and overall_coverage < MIN_COVERAGE):
        verdict = ScorecardVerdict.INSUFFICIENT_EVIDENCE
    elif overall is None or overall < REVIEW_BELOW:
        verdict = ScorecardVerdict.REVIEW
    else:
        verdict = ScorecardVerdict.PASS
    missing = [
        f
        for a in attributes
        for f in a.findings
        if f.outcome is Outcome.MISSING and definitions[f.probe].kind is ProbeKind.FACTOR
    ]
    missing.sort(key=lambda f: -PROBE_WEIGHTS.get(f.probe, DEFAULT_PROBE_WEIGHT))
    priorities = tuple(dict.fromkeys(f.probe for f in [*risks, *missing]))
    return Scorecard(
        tuple(attributes),
        tuple(risks),
        overall,
        uncapped,
        cap,
        verdict,
        priorities,
        overall_coverage,
        undecided,
    )
