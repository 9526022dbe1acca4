"""Quality probes: card metadata, checkable claims, a usable config, well-formed weights."""

from __future__ import annotations

import json

import pytest

from ptmscope.audit import audit
from ptmscope.probes.base import Outcome
from ptmscope.probes.quality_card_metadata import KEYS
from tests.conftest import write_safetensors
from tests.probes.conftest import Build, card_with, probe_finding


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


def test_claims_checkable_share_of_claims_naming_their_dataset(build: Build) -> None:
    named = """model-index:
- name: tiny
  results:
  - task: {type: text-classification}
    dataset: {name: IMDB, type: imdb}
    metrics:
    - {type: accuracy, value: 91.3}
"""
    finding = probe_finding(build(card=card_with("", named)), "quality.claims_checkable")
    assert finding.outcome is Outcome.PRESENT and finding.score == 10.0
    assert "1 of 1" in finding.message
    none = probe_finding(build(), "quality.claims_checkable")
    assert none.outcome is Outcome.MISSING and none.score == 0.0


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
