"""Every task's recipe runs end to end on a small model built from a config.

The weights are random, so the verdicts are whatever they are; what is checked
is that each task loads its data, runs its model and measures its metrics with
an interval and a sample size, from every claim form the card may use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ptmscope.cli import main

MEASURED = {"consistent", "over-claimed", "under-claimed", "inconclusive"}


def _tokenizer() -> Any:
    from transformers import BertTokenizerFast

    from ptmscope.demo import demo_model_path

    return BertTokenizerFast.from_pretrained(str(demo_model_path()))


def _bert(cls_name: str, folder: Path, **extra: Any) -> None:
    import torch
    import transformers

    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=512, **extra,
    )  # fmt: skip
    getattr(transformers, cls_name)(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def _seq2seq(folder: Path) -> None:
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=tokenizer.vocab_size, d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=128, pad_token_id=0, bos_token_id=101, eos_token_id=102,
        decoder_start_token_id=101, forced_eos_token_id=102,
    )  # fmt: skip
    BartForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def _speech(folder: Path, data: Path) -> list[dict[str, Any]]:
    import numpy as np
    import torch
    from scipy.io import wavfile
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder.mkdir(parents=True)
    vocab = {
        "<pad>": 0,
        "<unk>": 1,
        "|": 2,
        **{c: i + 3 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")},
    }
    (folder / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(sampling_rate=16_000, return_attention_mask=True)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    torch.manual_seed(0)
    config = Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2, pad_token_id=0,
    )  # fmt: skip
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    rows = []
    rng = np.random.default_rng(0)
    for index in range(6):
        path = data / f"clip{index}.wav"
        wavfile.write(path, 16_000, (rng.standard_normal(8_000) * 3000).astype(np.int16))
        rows.append({"audio": path.name, "text": "hello world"})
    return rows


CASES: dict[str, tuple[str, str, list[str]]] = {
    "text-classification": (
        "BertForSequenceClassification",
        "accuracy",
        ["accuracy", "f1", "f1_macro"],
    ),
    "token-classification": ("BertForTokenClassification", "f1", ["f1", "precision"]),
    "fill-mask": ("BertForMaskedLM", "accuracy", ["accuracy"]),
    "question-answering": ("BertForQuestionAnswering", "exact_match", ["exact_match", "f1"]),
    "summarization": ("seq2seq", "rouge1", ["rouge1", "rougeL"]),
    "translation": ("seq2seq", "bleu", ["bleu", "chrf"]),
    "automatic-speech-recognition": ("speech", "wer", ["wer", "cer"]),
}


def _rows(task: str) -> list[dict[str, Any]]:
    if task == "text-classification":
        return [
            {"text": f"a {'good' if i % 2 else 'bad'} film number {i}", "label": i % 2}
            for i in range(12)
        ]
    if task == "token-classification":
        return [
            {"tokens": ["Ada", "lives", "in", "Paris"], "ner_tags": ["B-PER", "O", "O", "B-LOC"]}
            for _ in range(6)
        ]
    if task == "fill-mask":
        return [{"text": "the capital of france is [MASK] .", "answer": "paris"} for _ in range(6)]
    if task == "question-answering":
        return [
            {
                "question": "where does ada live?",
                "context": "ada lives in paris.",
                "answers": ["paris"],
            }
            for _ in range(6)
        ]
    if task == "summarization":
        return [
            {"document": "the cat sat on the mat all day long .", "summary": "cat sat"}
            for _ in range(4)
        ]
    return [{"source": "the cat sat", "target": "die katze sass"} for _ in range(4)]


@pytest.mark.parametrize("task", sorted(CASES))
def test_task_recipe_runs(task: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    kind, metric, metrics = CASES[task]
    package, data_dir = tmp_path / "model", tmp_path / "data"
    data_dir.mkdir()
    if kind == "seq2seq":
        _seq2seq(package)
        rows = _rows(task)
    elif kind == "speech":
        rows = _speech(package, data_dir)
    elif task == "token-classification":
        labels = ["O", "B-PER", "B-LOC"]
        _bert(
            kind,
            package,
            num_labels=3,
            id2label=dict(enumerate(labels)),
            label2id={v: i for i, v in enumerate(labels)},
        )
        rows = _rows(task)
    else:
        _bert(kind, package, **({"num_labels": 2} if task == "text-classification" else {}))
        rows = _rows(task)
    data = data_dir / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    metrics_yaml = "".join(f"    - {{type: {m}, value: 0.5}}\n" for m in metrics)
    (package / "README.md").write_text(
        f"---\nlicense: mit\npipeline_tag: {task}\nmodel-index:\n- name: tiny\n  results:\n"
        f"  - task: {{type: {task}}}\n    dataset: {{name: toy, type: toy, split: test}}\n    metrics:\n{metrics_yaml}---\n# tiny\n"
    )
    main(["verify", str(package), "--data", f"toy={data}", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert len(report["claims"]) == len(metrics), report
    for claim in report["claims"]:
        assert claim["task"] == task
        assert claim["verdict"] in MEASURED, claim
        assert claim["n"] == len(rows) and claim["measured"] is not None and claim["ci"] is not None
    assert metric in {c["metric"] for c in report["claims"]}


def test_labels_the_model_does_not_have_are_a_mismatch_not_mistakes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Data labelled 'positive'/'negative' for a model whose id2label is LABEL_0/LABEL_1: the
    claim is unverifiable (a naming mismatch), never over-claimed (issue 14)."""
    package, data = tmp_path / "model", tmp_path / "data.jsonl"
    _bert("BertForSequenceClassification", package, num_labels=2)
    rows = [
        {
            "text": f"a {'good' if i % 2 else 'bad'} film {i}",
            "label": "positive" if i % 2 else "negative",
        }
        for i in range(8)
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (package / "README.md").write_text(
        "---\nlicense: mit\npipeline_tag: text-classification\nmodel-index:\n- name: tiny\n  results:\n"
        "  - task: {type: text-classification}\n    dataset: {name: toy, type: toy, split: test}\n"
        "    metrics:\n    - {type: accuracy, value: 0.99}\n---\n# tiny\n"
    )
    main(["verify", str(package), "--data", f"toy={data}", "--format", "json"])
    (claim,) = json.loads(capsys.readouterr().out)["claims"]
    assert claim["verdict"] == "unverifiable", claim
    assert "label mismatch" in claim["reason"] and "'negative'" in claim["reason"]
    assert "'LABEL_0'" in claim["reason"]
