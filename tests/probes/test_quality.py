"""Quality probes: card metadata, checkable claims, a usable config, well-formed weights."""

from __future__ import annotations

import json

import pytest

from ptmscope.audit import audit
from ptmscope.probes.base import Outcome
from ptmscope.probes.quality_card_metadata import KEYS
from tests.conftest import write_safetensors
from tests.probes.conftest import Build, card_with, probe_finding

CHECKABLE_CLAIM = """model-index:
- name: tiny
  results:
  - task: {type: text-classification}
    dataset: {name: IMDB, type: imdb, split: test}
    metrics:
    - {type: accuracy, value: 91.3}
"""
"""A claim naming task, dataset, split and metric: one a reuser could re-measure."""


def test_card_metadata_scores_the_share_of_key_fields(build: Build) -> None:
    two = probe_finding(
        build(card=card_with("", "license: mit\npipeline_tag: text-classification\n")),
        "quality.card_metadata",
    )
    assert two.outcome is Outcome.PRESENT
    assert two.score == pytest.approx(10.0 * 2 / len(KEYS), abs=0.01)
    every = "".join(f"{key}: x\n" for key in KEYS)
    full = probe_finding(build(card=card_with("", every)), "quality.card_metadata")
    assert full.score == 10.0


def test_card_metadata_missing_without_or_with_broken_front_matter(build: Build) -> None:
    bare = probe_finding(build(), "quality.card_metadata")
    assert bare.outcome is Outcome.MISSING and bare.score == 0.0
    broken = probe_finding(build(card=card_with("", "license: [mit\n")), "quality.card_metadata")
    assert broken.outcome is Outcome.MISSING and "does not parse" in broken.message


def test_claims_earn_credit_only_when_checkable(build: Build) -> None:
    """Task, dataset, split and metric named: credit (70% until re-measured); without the
    split, none."""
    from ptmscope.probes.quality_claims_checkable import UNVERIFIED_CREDIT

    named = CHECKABLE_CLAIM
    finding = probe_finding(build(card=card_with("", named)), "quality.claims_checkable")
    assert finding.outcome is Outcome.PRESENT
    assert finding.score == 10.0 * UNVERIFIED_CREDIT and "not re-measured" in finding.message
    assert "1 of 1" in finding.message
    no_split = named.replace(", split: test", "")
    unsplit = probe_finding(build(card=card_with("", no_split)), "quality.claims_checkable")
    assert unsplit.score == 0.0 and "0 of 1" in unsplit.message
    none = probe_finding(build(), "quality.claims_checkable")
    assert none.outcome is Outcome.MISSING and none.score == 0.0


def test_an_over_claim_earns_nothing_and_costs_a_high_risk(build: Build) -> None:
    from dataclasses import replace

    from ptmscope.audit import collect, evaluate
    from ptmscope.results.verify import ClaimResult, ClaimVerdict
    from ptmscope.vocab import ScorecardVerdict

    named = CHECKABLE_CLAIM
    package = collect(build(card=card_with("", named)))

    def remeasured(verdict: ClaimVerdict) -> ClaimResult:
        return ClaimResult(
            "text-classification", "imdb", None, "test", "accuracy", 0.913, 0.80,
            (0.78, 0.82), 500, verdict, "re-measured", "model-index", "README.md:1",
        )  # fmt: skip

    over = evaluate(replace(package, verifications=(remeasured(ClaimVerdict.OVER_CLAIMED),)))
    fair = evaluate(replace(package, verifications=(remeasured(ClaimVerdict.CONSISTENT),)))
    none = evaluate(replace(package, claims=()))
    scores = {
        name: next(f for f in r.findings if f.probe == "quality.claims_checkable").score
        for name, r in (("over", over), ("fair", fair), ("none", none))
    }
    assert scores == {"over": 0.0, "fair": 10.0, "none": 0.0}
    table = next(f for f in over.findings if f.probe == "provenance.performance_table")
    assert table.score == 0.0 and "over-claimed" in table.message
    assert any(f.probe == "risk.claims_discrepant" for f in over.scorecard.risks)
    assert over.scorecard.verdict is ScorecardVerdict.REVIEW
    # What the claims earn: nothing when over-claimed (as with no claim), plus a high risk
    # that no claim never costs; a consistent re-measurement earns the most.
    credit = {
        name: sum(
            f.score or 0.0
            for f in r.findings
            if f.probe in ("quality.claims_checkable", "provenance.performance_table")
        )
        for name, r in (("over", over), ("fair", fair), ("none", none))
    }
    assert credit["over"] == credit["none"] == 0.0 < credit["fair"]
    assert not any(f.probe == "risk.claims_discrepant" for f in none.scorecard.risks)


def test_config_valid_named_unnamed_broken_absent(build: Build) -> None:
    named = probe_finding(build(config={"model_type": "bert"}), "quality.config_valid")
    assert named.outcome is Outcome.PRESENT and named.score == 10.0
    unnamed = probe_finding(build(), "quality.config_valid")
    assert unnamed.outcome is Outcome.PRESENT and unnamed.score == 5.0
    broken = probe_finding(build(files={"config.json": "{not json"}), "quality.config_valid")
    assert broken.outcome is Outcome.MISSING and broken.score == 0.0
    root = build()
    (root / "config.json").unlink()
    assert probe_finding(root, "quality.config_valid").outcome is Outcome.UNKNOWN


def test_weights_intact_for_real_safetensors(build: Build) -> None:
    root = build()
    write_safetensors(root / "model.safetensors")
    finding = probe_finding(root, "quality.weights_intact")
    assert finding.outcome is Outcome.PRESENT and finding.score == 10.0
    assert probe_finding(build(), "quality.weights_intact").outcome is Outcome.UNKNOWN


def test_corrupt_safetensors_header_is_reported(make_package) -> None:  # type: ignore[no-untyped-def]
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 9999]}}
    ).encode()
    blob = len(header).to_bytes(8, "little") + header + b"\x00" * 64
    result = audit(make_package(safetensors=False, files={"model.safetensors": blob}))
    quality = {f.probe: f for f in result.findings}["quality.weights_intact"]
    assert quality.outcome == Outcome.MISSING and "outside the file" in quality.evidence[0].detail


@pytest.mark.parametrize("truncate", [4, 100])
def test_truncated_weights_do_not_crash(make_package, truncate: int) -> None:  # type: ignore[no-untyped-def]
    root = make_package()
    data = (root / "model.safetensors").read_bytes()
    (root / "model.safetensors").write_bytes(data[:truncate])
    result = audit(root)
    weight = result.package.weights[0]
    assert weight.error is not None
    quality = {f.probe: f for f in result.findings}["quality.weights_intact"]
    assert quality.outcome is Outcome.MISSING and quality.score == 0.0
