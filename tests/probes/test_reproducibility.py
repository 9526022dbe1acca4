"""Reproducibility probes: can someone rebuild or rerun the model (Table I)."""

from __future__ import annotations

import pytest

from ptmscope.probes.base import Outcome
from tests.probes.conftest import Build, assert_documents, card_with, probe_finding

PRESENT: dict[str, dict[str, object]] = {
    "reproducibility.hardware_spec": {
        "card": card_with("## Hardware\n\nTrained on 8 A100 GPUs for a day.\n")
    },
    "reproducibility.training_config": {
        "card": card_with("## Training procedure\n\n- learning_rate: 2e-05\n- batch_size: 16\n")
    },
    "reproducibility.demos": {
        "card": card_with(
            "## How to use\n\n```python\nfrom transformers import AutoModel\n"
            'model = AutoModel.from_pretrained("acme/tiny")\n```\n'
        )
    },
    "reproducibility.documentation": {
        "card": "# tiny\n\n"
        + "".join(
            f"## {topic}\n\n" + "This part explains the model in words. " * 2 + "\n\n"
            for topic in ("Model description", "Training data", "Limitations")
        )
    },
    "reproducibility.environment_image": {"files": {"requirements.txt": "torch==2.3\n"}},
}
"""Per probe: the one addition to the bare package that documents its factor."""


@pytest.mark.parametrize("probe_id", sorted(PRESENT))
def test_factor_present_with_its_evidence_missing_without(build: Build, probe_id: str) -> None:
    assert_documents(build, probe_id, PRESENT[probe_id])


def test_training_config_from_a_file_alone(build: Build) -> None:
    root = build(files={"train.py": "print('train')\n"})
    finding = probe_finding(root, "reproducibility.training_config")
    assert finding.outcome is Outcome.PRESENT
    assert finding.evidence[0].location == "train.py"


def test_documentation_counts_filled_sections_not_headings(build: Build) -> None:
    """Many words in one section, or many empty headings, are still too thin."""
    one_section = build(card="# tiny\n\n" + "word " * 300 + "\n")
    headings = build(
        card="# tiny\n\n" + "".join(f"## S{i}\n\n[More Information Needed]\n" for i in range(9))
    )
    for root in (one_section, headings):
        finding = probe_finding(root, "reproducibility.documentation")
        assert finding.outcome is Outcome.MISSING, finding.message


def test_documentation_without_a_card_is_missing(build: Build) -> None:
    finding = probe_finding(
        build(card=None, config={"model_type": "bert"}), "reproducibility.documentation"
    )
    assert finding.outcome is Outcome.MISSING and "no model card" in finding.message


def test_documentation_is_judged_by_topics_not_length(build: Build) -> None:
    """Three long sections on no reuser topic are thin; three short ones on topics are not,
    and the Trainer's generated sections never count."""
    long_off_topic = build(
        card="# tiny\n\n"
        + "".join(f"## Part {i}\n\n" + "Words about nothing in particular. " * 40 for i in range(3))
    )
    generated = build(
        card="# tiny\n\n## Training hyperparameters\n\n- learning_rate: 2e-05\n- seed: 42\n"
        "- train_batch_size: 8\n- optimizer: Adam\n- num_epochs: 3\n\n"
        "## Training results\n\n| Epoch | Loss |\n|---|---|\n| 1 | 0.5 |\n\n"
        "## Framework versions\n\n- Transformers 4.30.0\n- Pytorch 2.0.1\n- Datasets 2.1.0\n"
    )
    for root in (long_off_topic, generated):
        finding = probe_finding(root, "reproducibility.documentation")
        assert finding.outcome is Outcome.MISSING, finding.message
        assert "not covered" in finding.message
