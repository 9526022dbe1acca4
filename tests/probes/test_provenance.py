"""Provenance probes: where the model and its numbers come from (Table I)."""

from __future__ import annotations

import pytest

from ptmscope.audit import audit
from ptmscope.probes.base import Outcome
from tests.probes.conftest import Build, assert_documents, card_with, probe_finding

MODEL_INDEX = """model-index:
- name: tiny
  results:
  - task:
      type: text-classification
    dataset:
      name: IMDB
      type: imdb
    metrics:
    - type: accuracy
      value: 91.3
"""

PRESENT: dict[str, dict[str, object]] = {
    "provenance.dataset_details": {
        "card": card_with("## Training data\n\nFine-tuned on the imdb reviews, 25,000 examples.\n")
    },
    "provenance.performance_table": {"card": card_with("", MODEL_INDEX)},
    "provenance.architecture_details": {"config": {"model_type": "bert"}},
    "provenance.training_logs": {"files": {"trainer_state.json": '{"log_history": []}'}},
}
"""Per probe: the one addition to the bare package that documents its factor."""


@pytest.mark.parametrize("probe_id", sorted(PRESENT))
def test_factor_present_with_its_evidence_missing_without(build: Build, probe_id: str) -> None:
    assert_documents(build, probe_id, PRESENT[probe_id])


def test_dataset_named_only_in_model_index_counts(build: Build) -> None:
    finding = probe_finding(build(card=card_with("", MODEL_INDEX)), "provenance.dataset_details")
    assert finding.outcome is Outcome.PRESENT
    assert any(e.detail.startswith("evaluated on") for e in finding.evidence), finding.evidence


def test_architecture_from_parameter_count_of_real_safetensors(build: Build) -> None:
    from tests.conftest import write_safetensors

    root = build()
    write_safetensors(root / "model.safetensors", tensors=3)
    finding = probe_finding(root, "provenance.architecture_details")
    assert finding.outcome is Outcome.PRESENT
    assert "48 parameters" in finding.evidence[0].detail  # three 4×4 tensors


def test_heading_alone_is_not_training_logs(build: Build) -> None:
    """Template cards carry every heading; an empty section must not count."""
    root = build(card=card_with("## Training results\n\n[More Information Needed]\n"))
    assert probe_finding(root, "provenance.training_logs").outcome is Outcome.MISSING


def test_full_package_documents_most_factors(make_package) -> None:  # type: ignore[no-untyped-def]
    result = audit(make_package())
    outcome = {f.probe: f.outcome for f in result.findings}
    for probe in (
        "provenance.dataset_details",
        "provenance.performance_table",
        "provenance.architecture_details",
        "provenance.training_logs",
        "reproducibility.hardware_spec",
        "reproducibility.training_config",
        "reproducibility.demos",
        "portability.license",
        "portability.latency",
        "portability.cost_estimate",
    ):
        assert outcome[probe] == Outcome.PRESENT, probe
    assert outcome["portability.quantized_model"] == Outcome.MISSING
    assert outcome["portability.environment_image"] == Outcome.MISSING
    assert outcome["risk.pickle_weights"] == Outcome.CLEAR
    assert outcome["risk.claims_unparseable"] == Outcome.CLEAR
    assert outcome["risk.upstream_unpinned"] == Outcome.DETECTED  # bert-base-uncased, imdb
    # Without metadata or history, popularity and maintenance are unknown, not zero.
    assert result.scorecard.attribute("popularity").score is None
    assert result.scorecard.attribute("maintenance").score is None


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("- **Model Stats:**\n  - Params (M): 50.0\n  - GMACs: 8.1\n", "present"),
        ("The checkpoint here is **TinyNet-large** (770M), from our paper.\n", "present"),
        ("Like its family, it has no normalization layers and uses SiLU activations.\n", "present"),
        ("It keeps the same architecture as BERT-base, without the second objective.\n", "present"),
        ("Its position embedding matrix was copied four times for longer inputs.\n", "present"),
        # a name, not a fact
        ("TinyNet is a family of encoder-decoder Transformer models for many tasks.\n", "missing"),
        ("| **Components** | `ner` |\n", "missing"),
        ("| **Components** | `tok2vec`, `tagger`, `ner` |\n", "present"),
        # a heading over an empty section is not a fact
        ("## 12-layer encoder\n\n", "missing"),
    ],
)
def test_architecture_details_need_facts_beyond_a_name(
    build: Build, text: str, outcome: str
) -> None:
    finding = probe_finding(build(card=card_with(text)), "provenance.architecture_details")
    assert str(finding.outcome) == outcome, (finding.message, finding.evidence)
