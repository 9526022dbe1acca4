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


def _record(card: str, model_id: str = "acme/tiny-net") -> dict[str, Outcome]:
    """Outcomes for a card read as a registry record (the record names the model)."""
    from ptmscope.audit import evaluate
    from ptmscope.collector import collect_from
    from ptmscope.sources.record import RecordSource

    package = collect_from(RecordSource(model_id, readme=card, config_json=None))
    return {f.probe: f.outcome for f in evaluate(package).findings}


FT = "portability.finetuning_instructions"


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        # what to install is not how to fine-tune
        ("To train or fine-tune the model you need to install the toolkit first.\n", "missing"),
        # the authors' own training scripts, and training a new model from scratch
        ("- **Training scripts**: [repository](https://example.org/train)\n", "missing"),
        ("The complete training script sits in this repository: `train_all.py`.\n", "missing"),
        (
            "To make your own model from scratch, train your own with [a tool](https://x.org).\n",
            "missing",
        ),
        # a training command introduced as the settings the authors used
        (
            "These settings were used in training:\n\n```bash\n./run_mlm.py --lr 1e-4\n```\n",
            "missing",
        ),
        # a command for the reader
        (
            "Adapt it to your data:\n\n```bash\n./run_mlm.py --model acme/tiny-net --lr 1e-4\n```\n",
            "present",
        ),
        # a fine-tuning resource for the reader, also across a long link target
        (
            "An example of multi-node supervised fine-tuning is given [here](https://x.org/a.py).\n",
            "present",
        ),
        ("We ship scripts for fine-tuning and evaluation in the toolkit.\n", "present"),
        (
            "[This notebook](https://colab.research.google.com/drive/" + "x" * 60 + "?usp=1) shows "
            "how the network can be fine-tuned on a new task.\n",
            "present",
        ),
        (
            "Curious? Check out the provided\n[training code](https://x.org/train) to adapt it.\n",
            "present",
        ),
    ],
)
def test_finetuning_instructions_by_meaning(build: Build, text: str, outcome: str) -> None:
    finding = probe_finding(build(card=card_with(text)), FT)
    assert str(finding.outcome) == outcome, (finding.message, finding.evidence)


def test_evidence_quotes_a_window_around_the_match(build: Build) -> None:
    """A long line is quoted where it matched, not from its start."""
    padding = "This sentence is only here to make the line long. " * 4
    finding = probe_finding(
        build(card=card_with(padding + "Fine-tuning notebooks are in the examples folder.\n")), FT
    )
    assert finding.outcome is Outcome.PRESENT
    detail = finding.evidence[0].detail
    assert detail.startswith("…") and "fine-tuning notebooks" in detail.lower(), detail


def test_latency_from_this_models_row_not_other_models_timings() -> None:
    table = (
        "## Comparison\n\n| model | top1 | samples_per_sec |\n|---|---|---|\n"
        "| [other-net-a](https://x.org) | 80.1 | 900.5 |\n"
        "| [tiny-net-large](https://x.org) | 82.3 | 400.2 |\n"
        "| [other-net-b](https://x.org) | 81.0 | 700.0 |\n"
    )
    assert _record("# tiny-net\n\n" + table)["portability.latency"] is Outcome.MISSING
    ours = table + "| [tiny-net](https://x.org) | 79.9 | 1200.7 |\n"
    assert _record("# tiny-net\n\n" + ours)["portability.latency"] is Outcome.PRESENT
    section = "## Throughput (samples / sec)\n\n" + table.split("\n\n", 1)[1]
    assert _record("# tiny-net\n\n" + section)["portability.latency"] is Outcome.MISSING


def test_latency_in_seconds_on_an_accelerator(build: Build) -> None:
    card = card_with("The example draws one picture in about 2 seconds on a V100.\n")
    assert probe_finding(build(card=card), "portability.latency").outcome is Outcome.PRESENT


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        # a deployment section naming a serving product, no hardware
        (
            "## Deployment\n\nServe it with our inference server product for production use.\n",
            "missing",
        ),
        ("With one tensor-parallel rank it should fit on a single NVIDIA GPU.\n", "present"),
        # the device a timing was measured on, whatever the note's language
        (
            "## Speed\n\n| | Latency |\n|---|---|\n| ours | 20ms |\n\n*测试设备：V100，batch 16*\n",
            "present",
        ),
    ],
)
def test_inference_hardware_by_meaning(build: Build, text: str, outcome: str) -> None:
    finding = probe_finding(build(card=card_with(text)), "portability.hardware_spec")
    assert str(finding.outcome) == outcome, (finding.message, finding.evidence)


def test_promised_quantization_is_not_a_variant(build: Build) -> None:
    promise = card_with("### 8-bit and 4-bit quantization\n\nComing soon ...\n")
    assert probe_finding(build(card=promise), "portability.quantized_model").outcome is (
        Outcome.MISSING
    )
    real = card_with("### Quantized weights\n\nLoad the int8 weights with bitsandbytes.\n")
    assert probe_finding(build(card=real), "portability.quantized_model").outcome is (
        Outcome.PRESENT
    )


def test_a_space_counts_when_it_runs_this_model() -> None:
    board = (
        "# tiny-net\n\nCompare it on the [leaderboard](https://huggingface.co/spaces/org/board).\n"
    )
    assert _record(board)["portability.environment_image"] is Outcome.MISSING
    licence = "# tiny-net\n\nSee the [terms](https://huggingface.co/spaces/org/model-license).\n"
    assert _record(licence)["portability.environment_image"] is Outcome.MISSING
    own = "# tiny-net\n\n[Open](https://huggingface.co/spaces/someone/tiny-net)\n"
    assert _record(own)["portability.environment_image"] is Outcome.PRESENT
    demo = "# tiny-net\n\nTry the [web demo](https://huggingface.co/spaces/org/playground).\n"
    assert _record(demo)["portability.environment_image"] is Outcome.PRESENT
