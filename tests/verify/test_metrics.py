"""Recipes, metrics against their libraries, intervals, verdicts and data loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.package import Claim
from ptmscope.results.verify import ClaimVerdict
from ptmscope.verify.data import DataUnavailable, load_file, resolve_columns, sample
from ptmscope.verify.engine import RECIPES, judge, normalize_task
from ptmscope.verify.metrics import METRICS, Estimate, wilson


def test_every_recipe_names_a_metric() -> None:
    assert set(RECIPES) == {
        "text-classification", "token-classification", "image-classification", "automatic-speech-recognition",
        "summarization", "translation", "question-answering", "sentence-similarity", "fill-mask",
    }  # fmt: skip
    for table in RECIPES.values():
        assert set(table.values()) <= set(METRICS)
    assert normalize_task("sentiment-analysis") == "text-classification"
    assert normalize_task("translation_en_to_de") == "translation"


def test_metrics_agree_with_their_libraries() -> None:
    import jiwer
    import sacrebleu
    from seqeval.metrics import f1_score as seq_f1
    from sklearn.metrics import f1_score

    preds, refs = ["a", "b", "a", "c"], ["a", "b", "b", "c"]
    assert METRICS["accuracy"].compute(preds, refs).value == 0.75
    assert METRICS["f1_macro"].compute(preds, refs).value == pytest.approx(
        f1_score(refs, preds, average="macro")
    )
    tags_p, tags_r = [["B-PER", "O", "B-LOC"]], [["B-PER", "O", "B-ORG"]]
    assert METRICS["seqeval_f1"].compute(tags_p, tags_r).value == pytest.approx(
        seq_f1(tags_r, tags_p)
    )
    hyp, ref = ["the cat sat", "a dog"], ["the cat sat down", "a dog"]
    assert METRICS["wer"].compute(hyp, ref).value == pytest.approx(jiwer.wer(ref, hyp))
    assert METRICS["bleu"].compute(hyp, ref).value == pytest.approx(
        sacrebleu.corpus_bleu(hyp, [ref]).score
    )
    assert METRICS["exact_match"].compute(["The Cat!"], [["cat", "dog"]]).value == 1.0
    assert METRICS["squad_f1"].compute(["big red cat"], [["red cat"]]).value == pytest.approx(0.8)
    assert METRICS["spearman"].compute([0.1, 0.2, 0.3, 0.4], [1, 2, 3, 5]).value == pytest.approx(
        1.0
    )
    assert METRICS["top_k_accuracy"].compute([["x", "y"], ["z"]], ["y", "q"]).value == 0.5
    rouge = METRICS["rouge1"].compute(["the cat sat"], ["the cat"])
    assert 0 < rouge.value < 1 and rouge.method == "bootstrap"


def test_wilson_interval_known_values() -> None:
    low, high = wilson(90, 100)
    assert low == pytest.approx(0.8256, abs=1e-3) and high == pytest.approx(0.9448, abs=1e-3)
    assert wilson(0, 0) == (0.0, 1.0)


def _claim(metric: str, value: float, raw: str = "") -> Claim:
    return Claim(
        "automatic-speech-recognition",
        "ds",
        None,
        "test",
        metric,
        value,
        "fraction",
        "model-index",
        "README.md:1",
        raw or str(value),
    )


def test_verdicts_for_lower_is_better_and_scale() -> None:
    wer = METRICS["wer"]
    measured = Estimate(0.20, 0.18, 0.22, 500, "bootstrap")
    assert (
        judge(_claim("wer", 0.10), "asr", wer, measured, "x").verdict is ClaimVerdict.OVER_CLAIMED
    )
    assert (
        judge(_claim("wer", 0.30), "asr", wer, measured, "x").verdict is ClaimVerdict.UNDER_CLAIMED
    )
    assert judge(_claim("wer", 0.20), "asr", wer, measured, "x").verdict is ClaimVerdict.CONSISTENT
    wide = Estimate(0.5, 0.2, 0.8, 10, "bootstrap")
    assert judge(_claim("wer", 0.5), "asr", wer, wide, "x").verdict is ClaimVerdict.INCONCLUSIVE
    spearman = METRICS["spearman"]
    result = judge(
        _claim("spearman", 82.0, "82.0"),
        "s",
        spearman,
        Estimate(0.82, 0.80, 0.84, 300, "bootstrap"),
        "x",
    )
    assert result.verdict is ClaimVerdict.CONSISTENT and "0–100 scale" in result.reason
    bleu = METRICS["bleu"]
    in_points = judge(
        _claim("bleu", 0.28), "t", bleu, Estimate(28.0, 26.0, 30.0, 300, "bootstrap"), "x"
    )
    assert in_points.verdict is ClaimVerdict.CONSISTENT and in_points.measured == pytest.approx(
        0.28
    )


def test_data_files_and_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"review": f"text {i}", "stars": i % 2} for i in range(10)]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (tmp_path / "d.csv").write_text(
        "review,stars\n" + "\n".join(f"{r['review']},{r['stars']}" for r in rows)
    )
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "d.parquet")
    for name in ("d.jsonl", "d.csv", "d.parquet"):
        table = load_file(tmp_path / name)
        assert len(table.rows) == 10
        with pytest.raises(DataUnavailable, match="--columns label=COLUMN"):
            resolve_columns("text-classification", table, {})
        assert resolve_columns("text-classification", table, {"label": "stars"}) == {
            "text": "review",
            "label": "stars",
        }
    assert sample(list(range(10)), 3, 0) == sample(list(range(10)), 3, 0)  # type: ignore[arg-type]
    for bad in (tmp_path / "missing.csv", tmp_path / "d.xyz"):
        bad.touch() if bad.suffix == ".xyz" else None
        with pytest.raises(DataUnavailable):
            load_file(bad)


def test_sentence_transformers_modules_must_come_from_the_library(tmp_path: Path) -> None:
    from ptmscope.verify.run import _library_modules_only

    path = tmp_path / "modules.json"
    path.write_text(
        json.dumps([{"idx": 0, "path": "", "type": "sentence_transformers.models.Transformer"}])
    )
    assert _library_modules_only(path)
    path.write_text(json.dumps([{"idx": 0, "path": "", "type": "evil_package.Module"}]))
    assert not _library_modules_only(path)
    path.write_text("not json")
    assert not _library_modules_only(path)
