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


DOC = "reproducibility.documentation"


@pytest.mark.parametrize(
    ("card", "outcome"),
    [
        # one description sentence that mentions its data counts once, as the description
        (
            "# tiny\n\n## Model Description\n\nThis is a small encoder pre-trained on web "
            "texts in Latin for tagging.\n\n## How to Use\n\n```python\n"
            'm = AutoModel.from_pretrained("acme/tiny")\n```\n',
            "missing",
        ),
        # a concise card in its own words: description, data, procedure, usage
        (
            "# tiny bot\n\nThis model is a tuned [chat model](https://example.org/"
            + "p" * 60
            + ") (medium size) that imitates a cartoon character.\n\nWe tune it for 3 epochs "
            "on 10K dialogue pairs from the show.\n\n### How to use\n\n```python\n"
            'm = AutoModel.from_pretrained("acme/tiny")\n```\n',
            "present",
        ),
        # unfilled template sections with their example text, and empty headings
        (
            "# tiny\n\n## Overview\n\n<DESCRIBE IN ONE LINE THE MODEL AND ITS USE>\n\n"
            "## Training\n\nInstall the toolkit before you train or tune it on anything.\n\n"
            "## How to use\n\n```python\nm = load('acme/tiny')\n```\n\n## Performance\n\n"
            "<LIST THE SCORES OF THE MODEL>\n\n## Limitations\n\n<DECLARE ANY LIMITATIONS>\n\n"
            "Eg: it was trained on public speech data and may do worse on accents.\n",
            "missing",
        ),
        # a quoted paper abstract is the paper's words, not the card's
        (
            "# tiny\n\n**Abstract**:\n\n*We show strong results; our best model is trained "
            "on a large corpus of images and achieves an FID of 3.17.*\n\n## Inference\n\n"
            "Use the pipeline below to sample new pictures from noise.\n\n```python\n"
            "p = Pipeline.from_pretrained('acme/tiny')\n```\n",
            "missing",
        ),
        # a reuser's fine-tuning pointer is not the model's training procedure
        (
            "# tiny\n\n## Introduction\n\nA long-input encoder-decoder for summarization.\n\n"
            "## Fine-tuning for down-stream tasks\n\n[This notebook](https://x.org) shows how "
            "to tune it on a downstream task.\n",
            "missing",
        ),
        # non-English cards: description, usage and evaluation in their own words
        (
            "# tiny\n\n此模型是通用语义匹配模型的蒸馏版本，适用于语义匹配场景。\n\n## Usage\n\n"
            "```python\nm = SentenceTransformer('acme/tiny')\n```\n\n## Evaluation\n\n"
            "Against the teacher on the dev split: accuracy 84.5 versus 85.1.\n",
            "present",
        ),
        # statements set as headings are text
        (
            "# tiny\n\n#### A contrastive sentence model using paired translations\n\n"
            "##### Training data: 100 million parallel pairs\n\n"
            "##### Training equipment: 4 x RTX 3090\n\n```python\n"
            "m = AutoModel.from_pretrained('acme/tiny')\n```\n",
            "present",
        ),
    ],
)
def test_documentation_by_what_the_card_says(build: Build, card: str, outcome: str) -> None:
    finding = probe_finding(build(card=card), DOC)
    assert str(finding.outcome) == outcome, (finding.message, finding.evidence)


def test_inference_timing_hardware_is_not_training_hardware(build: Build) -> None:
    timing = build(card=card_with("All timing numbers from eager mode on an RTX 3090 w/ AMP.\n"))
    assert probe_finding(timing, "reproducibility.hardware_spec").outcome is Outcome.MISSING
    assert probe_finding(timing, "portability.hardware_spec").outcome is Outcome.PRESENT
    heading = build(card=card_with("##### Training equipment: 4 * 3090\n\n"))
    assert probe_finding(heading, "reproducibility.hardware_spec").outcome is Outcome.PRESENT
