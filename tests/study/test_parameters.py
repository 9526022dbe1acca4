"""Parameter counts estimated from configs, against the published counts of real families."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptmscope.study.parameters import estimate_parameters
from tests.conftest import write_safetensors

BERT_BASE = {"hidden_size": 768, "num_hidden_layers": 12, "intermediate_size": 3072,
             "vocab_size": 30522, "max_position_embeddings": 512}  # fmt: skip
GPT2 = {"n_embd": 768, "n_layer": 12, "n_inner": None, "vocab_size": 50257, "n_positions": 1024}
T5_BASE = {"d_model": 768, "num_layers": 12, "num_decoder_layers": 12, "d_ff": 3072,
           "vocab_size": 32128, "is_encoder_decoder": True}  # fmt: skip


@pytest.mark.parametrize(
    ("config", "published"),
    [(BERT_BASE, 109_482_240), (GPT2, 124_439_808), (T5_BASE, 222_903_552)],
    ids=["bert-base-uncased", "gpt2", "t5-base"],
)
def test_estimates_are_within_a_few_percent_of_published_counts(
    config: dict[str, object], published: int
) -> None:
    estimate = estimate_parameters(config)
    assert estimate is not None
    assert abs(estimate - published) / published < 0.03


def test_size_orders_families_and_unknowns_stay_unknown() -> None:
    large = {**BERT_BASE, "hidden_size": 1024, "num_hidden_layers": 24, "intermediate_size": 4096}
    assert estimate_parameters(large) > estimate_parameters(BERT_BASE)  # type: ignore[operator]
    assert estimate_parameters({"model_type": "bert"}) is None
    assert estimate_parameters({"hidden_size": True, "num_hidden_layers": 12}) is None
    assert estimate_parameters({"hidden_size": 10**9, "num_hidden_layers": 10**6}) is None
    assert estimate_parameters(None) is None
    nested = {"text_config": BERT_BASE, "vision_config": {"hidden_size": 8}}
    assert estimate_parameters(nested) == estimate_parameters(BERT_BASE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This model is a fine-tuned version of the BERT model on reviews.", None),
        ("This model is a fine-tuned version of a large encoder.", None),
        (
            "This model is a fine-tuned version of [distilbert-base-uncased](https://huggingface"
            ".co/distilbert-base-uncased) on the None dataset.",
            "distilbert-base-uncased",
        ),
        ("A fine-tuned version of theory/model-x for sentiment.", "theory/model-x"),
    ],
)
def test_the_trainers_sentence_names_a_model_never_an_article(
    text: str, expected: str | None, tmp_path: Path
) -> None:
    """ "fine-tuned version of the BERT model" named a model "the": a lineage edge in the
    study, and a registry lookup of "the" in an audit. Both readers now skip articles."""
    from ptmscope.audit import collect
    from ptmscope.study.analyze import _FINETUNED

    found = _FINETUNED.search(text)
    assert (found.group("name") if found else None) == expected
    (tmp_path / "README.md").write_text(f"# m\n\n{text}\n")
    write_safetensors(tmp_path / "model.safetensors")
    assert collect(tmp_path).upstream == expected
