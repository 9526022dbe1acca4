"""The package's task, as every consumer reads it (audit, verify, registry listing, study)."""

from __future__ import annotations

from typing import Any

import pytest

from ptmscope.package import package_task

BERT_CLASSIFIER = {"model_type": "bert", "architectures": ["BertForSequenceClassification"]}


@pytest.mark.parametrize(
    ("card", "registry", "config", "task"),
    [
        ({"pipeline_tag": "fill-mask", "tags": ["text-classification"]}, "x", None, "fill-mask"),
        ({"tags": ["text-classification"]}, " token-classification ", None, "token-classification"),
        ({"tags": ["transformers", "Text-Classification"]}, None, None, "text-classification"),
        ({"tags": ["transformers", "bert"]}, None, BERT_CLASSIFIER, "text-classification"),
        ({"tags": ["generated_from_trainer"]}, None, {"architectures": ["T5ForConditionalGeneration"]},
         "text2text-generation"),
        ({"tags": ["sentence-transformers", "bert"]}, None, {"architectures": ["BertModel"]},
         "sentence-similarity"),
        ({"library_name": "sentence-transformers"}, None, None, "sentence-similarity"),
        ({}, None, {"architectures": ["Wav2Vec2ForCTC"]}, "automatic-speech-recognition"),
        ({}, None, {"architectures": ["BertModel"]}, None),
        (None, None, None, None),
    ],
    ids=["card-wins", "registry-next", "task-tag", "architecture", "seq2seq-architecture",
         "sentence-transformers-tag", "library-name", "speech", "bare-encoder", "nothing"],
)  # fmt: skip
def test_the_task_is_read_as_the_hub_shows_it(
    card: dict[str, Any] | None,
    registry: str | None,
    config: dict[str, Any] | None,
    task: str | None,
) -> None:
    """A card with only tags gets the task the Hub shows for it (issue 14: it was null)."""
    assert package_task(card, registry, config) == task
