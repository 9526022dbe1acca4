"""Portability probes: can the model move to another machine, framework or budget (Table I)."""

from __future__ import annotations

import pytest

from ptmscope.audit import audit
from ptmscope.probes.base import Outcome
from tests.probes.conftest import Build, assert_documents, card_with, probe_finding

PRESENT: dict[str, dict[str, object]] = {
    "portability.hardware_spec": {
        "card": card_with("## Requirements\n\nIt needs 6 GB of GPU memory in fp16.\n")
    },
    "portability.latency": {
        "card": card_with("## Speed\n\nInference takes 12 ms per sentence on CPU.\n")
    },
    "portability.quantized_model": {"config": {"quantization_config": {"bits": 4}}},
    "portability.environment_image": {"files": {"Dockerfile": "FROM python:3.11\n"}},
    "portability.framework_support": {"card": card_with("", "library_name: transformers\n")},
    "portability.finetuning_instructions": {
        "card": card_with(
            "## Fine-tuning\n\nAdapt it to your data:\n\n```python\n"
            "trainer = Trainer(model=model, train_dataset=data)\ntrainer.train()\n```\n"
        )
    },
    "portability.license": {"card": card_with("", "license: apache-2.0\n")},
    "portability.cost_estimate": {
        "card": card_with("## Environmental impact\n\nTraining took 40 GPU hours in total.\n")
    },
}
"""Per probe: the one addition to the bare package that documents its factor."""


@pytest.mark.parametrize("probe_id", sorted(PRESENT))
def test_factor_present_with_its_evidence_missing_without(build: Build, probe_id: str) -> None:
    assert_documents(build, probe_id, PRESENT[probe_id])


def test_license_file_alone_documents_the_license(build: Build) -> None:
    finding = probe_finding(build(files={"LICENSE": "MIT License\n"}), "portability.license")
    assert finding.outcome is Outcome.PRESENT and finding.evidence[0].location == "LICENSE"


def test_framework_support_lists_every_framework_found(build: Build) -> None:
    from tests.conftest import write_safetensors

    root = build(files={"rust_model.ot": b"\x00" * 8})
    write_safetensors(root / "model.safetensors")
    finding = probe_finding(root, "portability.framework_support")
    details = {e.detail for e in finding.evidence}
    assert {"framework: PyTorch", "framework: safetensors", "framework: Rust (tch)"} <= details


def test_quantized_and_container_evidence(make_package) -> None:  # type: ignore[no-untyped-def]
    root = make_package(
        config={"quantization_config": {"bits": 4}},
        files={
            "Dockerfile": "FROM python:3.11\n",
            "model-q4_k_m.gguf": b"GGUF\x03\x00\x00\x00" + b"\x00" * 64,
        },
    )
    result = audit(root)
    found = {f.probe: f for f in result.findings}
    assert found["portability.quantized_model"].outcome == Outcome.PRESENT
    assert found["portability.environment_image"].outcome == Outcome.PRESENT
    weights = {w.path: w.format for w in result.package.weights}
    assert weights["model-q4_k_m.gguf"] == "gguf"


def test_training_hardware_is_not_inference_hardware(build: Build) -> None:
    """Two factors, one Table I name: the portability one asks what it takes to run it."""
    root = build(card=card_with("## Training\n\nTrained for 3 days on 64 TPU v3 chips.\n"))
    assert probe_finding(root, "portability.hardware_spec").outcome is Outcome.MISSING
    assert probe_finding(root, "reproducibility.hardware_spec").outcome is Outcome.PRESENT
    serving = build(card=card_with("## Use\n\nInference runs on a single T4 GPU at 40 ms.\n"))
    assert probe_finding(serving, "portability.hardware_spec").outcome is Outcome.PRESENT


def test_a_mention_of_fine_tuning_is_not_instructions(build: Build) -> None:
    mention = build(
        card=card_with(
            "This model is a fine-tuned version of bert-base on imdb. You can fine-tune "
            "it on a downstream task.\n\n## Fine-tuning details\n\nWe trained for three "
            "epochs with a small learning rate on one machine.\n"
        )
    )
    finding = probe_finding(mention, "portability.finetuning_instructions")
    assert finding.outcome is Outcome.MISSING, finding.evidence
    pointer = build(card=card_with("See our fine-tuning notebook for your own data.\n"))
    found = probe_finding(pointer, "portability.finetuning_instructions")
    assert found.outcome is Outcome.PRESENT
