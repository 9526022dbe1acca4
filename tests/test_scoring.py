"""Scoring: written weights, unknowns left out, risk caps, verdict rules and what to fix first.

Findings are built directly over the real probe definitions, so every number below follows from
the weights in :mod:`ptmscope.scoring` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import FrozenInstanceError, replace

import pytest

from ptmscope.audit import audit, evaluate
from ptmscope.probes import all_probes
from ptmscope.probes.base import Definition, Finding, Outcome, Probe
from ptmscope.scoring import (
    ATTRIBUTE_WEIGHTS,
    ATTRIBUTES,
    DEFAULT_PROBE_WEIGHT,
    PROBE_WEIGHTS,
    REVIEW_BELOW,
    RISK_CAPS,
    score,
)
from ptmscope.severity import Severity
from ptmscope.vocab import ScorecardVerdict

DEFINITIONS: Mapping[str, Definition] = {p.id: p.definition for p in all_probes()}


def present(probe: str, value: float = 10.0) -> Finding:
    return Finding(probe, Outcome.PRESENT, "present", (), value)


def missing(probe: str) -> Finding:
    return Finding(probe, Outcome.MISSING, "missing", (), 0.0)


def unknown(probe: str) -> Finding:
    return Finding(probe, Outcome.UNKNOWN, "unknown")


def risk(probe: str, severity: Severity | None = None) -> Finding:
    definition = DEFINITIONS[probe]
    return Finding(probe, Outcome.DETECTED, "risk", (), None, severity or definition.severity)


FULL_MARKS = [present("popularity.downloads"), present("provenance.dataset_details")]
"""Two attributes at 10: the overall score is 10 until a risk caps it."""


def test_probe_weights_within_an_attribute() -> None:
    heavy, light = "provenance.dataset_details", "provenance.training_logs"
    assert PROBE_WEIGHTS[heavy] == 1.5 and light not in PROBE_WEIGHTS
    card = score([present(heavy), missing(light)], DEFINITIONS)
    assert card.attribute("provenance").score == 6.0  # 10 × 1.5 / (1.5 + 1)
    swapped = score([missing(heavy), present(light)], DEFINITIONS)
    assert swapped.attribute("provenance").score == 4.0
    assert DEFAULT_PROBE_WEIGHT == 1.0


def test_attribute_weights_in_the_overall_score() -> None:
    card = score(
        [present("popularity.downloads"), missing("provenance.dataset_details")], DEFINITIONS
    )
    expected = (
        10
        * ATTRIBUTE_WEIGHTS["popularity"]
        / (ATTRIBUTE_WEIGHTS["popularity"] + ATTRIBUTE_WEIGHTS["provenance"])
    )
    assert card.overall == card.uncapped == pytest.approx(expected, abs=0.01) == 4.0


def test_unknown_is_left_out_never_counted_as_zero() -> None:
    card = score(
        [present("maintenance.commit_activity", 8.0), unknown("maintenance.recent_activity")],
        DEFINITIONS,
    )
    maintenance = card.attribute("maintenance")
    assert maintenance.score == 8.0  # as zero it would be 4.0
    assert maintenance.known == 1 and len(maintenance.findings) == 2


def test_an_attribute_with_nothing_known_has_no_score() -> None:
    card = score(
        [unknown("popularity.downloads"), present("quality.config_valid", 5.0)], DEFINITIONS
    )
    assert card.attribute("popularity").score is None and card.attribute("popularity").known == 0
    assert card.attribute("maintenance").score is None  # no finding at all
    assert card.overall == 5.0  # only quality counts
    assert [a.name for a in card.attributes] == list(ATTRIBUTES)


def test_nothing_known_at_all_is_insufficient_evidence_not_pass() -> None:
    card = score([unknown("popularity.downloads")], DEFINITIONS)
    assert card.overall is None and card.uncapped is None
    assert card.coverage == 0.0 and card.undecided == ("popularity.downloads",)
    assert card.verdict is ScorecardVerdict.INSUFFICIENT_EVIDENCE


def test_coverage_below_the_threshold_is_insufficient_evidence() -> None:
    """Full marks on what is known do not pass when most of the evidence is missing; a
    high risk still asks for review, a critical one still fails."""
    from ptmscope.scoring import MIN_COVERAGE

    few = [present("provenance.dataset_details"), *(unknown(p) for p in UNKNOWABLE)]
    card = score(few, DEFINITIONS)
    assert card.coverage is not None and card.coverage < MIN_COVERAGE
    assert card.overall == 10.0 and card.verdict is ScorecardVerdict.INSUFFICIENT_EVIDENCE
    assert (
        score([*few, risk("risk.pickle_weights")], DEFINITIONS).verdict is ScorecardVerdict.REVIEW
    )
    critical = score([*few, risk("risk.malicious_serialization")], DEFINITIONS)
    assert critical.verdict is ScorecardVerdict.FAIL
    enough = score(FULL_MARKS, DEFINITIONS)
    assert enough.coverage == 1.0 and enough.verdict is ScorecardVerdict.PASS


UNKNOWABLE = (
    "popularity.downloads",
    "popularity.likes",
    "maintenance.recent_activity",
    "maintenance.commit_activity",
    "quality.weights_intact",
)


@pytest.mark.parametrize(
    ("probe", "severity"),
    [
        ("risk.malicious_serialization", Severity.CRITICAL),
        ("risk.pickle_weights", Severity.HIGH),
        ("risk.upstream_unpinned", Severity.MEDIUM),
    ],
)
def test_a_detected_risk_caps_the_overall_score(probe: str, severity: Severity) -> None:
    card = score([*FULL_MARKS, risk(probe)], DEFINITIONS)
    assert card.uncapped == 10.0
    assert card.cap is severity
    assert card.overall == RISK_CAPS[severity] < 10.0
    assert card.risks[0].probe == probe


def test_low_risks_and_cleared_risks_do_not_cap() -> None:
    low = score([*FULL_MARKS, risk("risk.weights_absent")], DEFINITIONS)
    assert low.cap is None and low.overall == 10.0 and low.risks[0].severity is Severity.LOW
    cleared = Finding("risk.pickle_weights", Outcome.CLEAR, "no pickles")
    clear = score([*FULL_MARKS, cleared], DEFINITIONS)
    assert clear.risks == () and clear.overall == 10.0


def test_a_probe_lowered_severity_is_the_one_that_caps() -> None:
    """risk.license is medium by default; with a LICENSE file the probe lowers it to low."""
    lowered = score([*FULL_MARKS, risk("risk.license", Severity.LOW)], DEFINITIONS)
    assert lowered.cap is None and lowered.overall == 10.0


def test_the_worst_risk_sets_the_cap() -> None:
    card = score(
        [*FULL_MARKS, risk("risk.upstream_unpinned"), risk("risk.pickle_weights")], DEFINITIONS
    )
    assert card.cap is Severity.HIGH and card.overall == RISK_CAPS[Severity.HIGH]


def test_verdict_rules() -> None:
    def verdict(*findings: Finding) -> ScorecardVerdict:
        found = score(findings, DEFINITIONS).verdict
        assert isinstance(found, ScorecardVerdict)
        return found

    assert verdict(*FULL_MARKS) is ScorecardVerdict.PASS
    assert verdict(*FULL_MARKS, risk("risk.malicious_serialization")) is ScorecardVerdict.FAIL
    assert verdict(*FULL_MARKS, risk("risk.pickle_weights")) is ScorecardVerdict.REVIEW
    # Medium caps at 8: still a pass on its own.
    assert verdict(*FULL_MARKS, risk("risk.upstream_unpinned")) is ScorecardVerdict.PASS
    # The threshold itself passes; just below it is review.
    assert verdict(present("quality.config_valid", REVIEW_BELOW)) is ScorecardVerdict.PASS
    assert verdict(present("quality.config_valid", REVIEW_BELOW - 0.01)) is ScorecardVerdict.REVIEW


def test_priorities_risks_by_severity_then_missing_factors_by_weight() -> None:
    card = score(
        [
            missing("provenance.training_logs"),
            missing("provenance.dataset_details"),
            missing("quality.card_metadata"),  # a signal, not a factor: not a priority
            present("portability.license"),
            risk("risk.weights_absent"),
            risk("risk.malicious_serialization"),
            risk("risk.pickle_weights"),
        ],
        DEFINITIONS,
    )
    assert card.priorities == (
        "risk.malicious_serialization",
        "risk.pickle_weights",
        "risk.weights_absent",
        "provenance.dataset_details",  # weight 1.5
        "provenance.training_logs",  # weight 1
    )


def test_unknown_outcomes_are_left_out_of_scores(make_package) -> None:  # type: ignore[no-untyped-def]
    package = audit(make_package()).package
    probes = [p for p in all_probes() if p.definition.attribute == "provenance"]
    unknown_first = Probe(probes[0].definition, lambda _: unknown(probes[0].id))
    with_unknown = evaluate(package, [unknown_first, *probes[1:]]).scorecard.attribute("provenance")
    without = evaluate(package, probes[1:]).scorecard.attribute("provenance")
    assert with_unknown.score == without.score and with_unknown.known == without.known
    broken = Probe(probes[0].definition, lambda _: 1 / 0)  # type: ignore[arg-type,return-value]
    assert evaluate(package, [broken]).findings[0].outcome == Outcome.UNKNOWN
    with pytest.raises(FrozenInstanceError):
        package.name = "changed"  # type: ignore[misc]


def test_a_cap_that_does_not_bind_is_not_reported() -> None:
    """A medium risk caps at 8; a package scoring 4 is not "capped by" it."""
    low_scores = [replace(f, score=4.0) if f.score is not None else f for f in FULL_MARKS]
    card = score([*low_scores, risk("risk.upstream_unpinned")], DEFINITIONS)
    assert card.uncapped == 4.0 and card.overall == 4.0
    assert card.cap is None


def test_without_weights_and_history_the_verdict_is_insufficient_evidence() -> None:
    """A card-only folder: both evidence probes unknown, however good the card."""
    card_only = [
        *FULL_MARKS,
        unknown("risk.pickle_weights"),
        unknown("risk.history_unsigned"),
    ]
    assert score(card_only, DEFINITIONS).verdict is ScorecardVerdict.INSUFFICIENT_EVIDENCE
    weights_seen = [*FULL_MARKS, Finding("risk.pickle_weights", Outcome.CLEAR, "safetensors")]
    assert (
        score([*weights_seen, unknown("risk.history_unsigned")], DEFINITIONS).verdict
        is ScorecardVerdict.PASS
    )
