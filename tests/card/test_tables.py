"""Results tables by shape: each test is one layout found on the labelled real cards of
issue 12, written here in our own words and numbers."""

from __future__ import annotations

from ptmscope.card import tables
from ptmscope.package import CardLine


def _lines(text: str) -> list[CardLine]:
    return [CardLine(i, line, False) for i, line in enumerate(text.splitlines(), 1)]


def _read(text: str, model: str | None = "acme/tiny-base", task: str | None = None):  # type: ignore[no-untyped-def]
    return tables.claims(_lines(text), "README.md", task, model)


def test_this_models_column_with_benchmarks_as_rows() -> None:
    table = (
        "| Benchmark | Metric | Tiny-7B | Other-7B |\n"
        "|---|---|---|---|\n"
        "| MMLU | 5-shot | 64.3 | 60.1 |\n"
        "| HellaSwag | 0-shot | 81.2 | 79.0 |\n"
    )
    claims = _read(table, "acme/tiny-7b", "text-generation")
    assert [(c.dataset, c.label, c.raw) for c in claims] == [
        ("MMLU", "5-shot", "64.3"),
        ("HellaSwag", "0-shot", "81.2"),
    ]


def test_size_columns_pick_this_models_size_and_links_read_as_their_text() -> None:
    table = (
        "| Benchmark | Metric | 2B Params | 7B Params |\n"
        "|---|---|---|---|\n"
        "| [Quiz](https://example.org/quiz) | 5-shot | 42.0 | 61.5 |\n"
        "| ------ | ------ | ------ | ------ |\n"
        "| **Average** | | **40.0** | **58.0** |\n"
    )
    claims = _read(table, "acme/widget-7b")
    assert [(c.dataset, c.label, c.raw) for c in claims] == [
        ("Quiz", "5-shot", "61.5"),
        ("Average", "score", "58.0"),
    ]
    assert _read(table, "acme/widget-13b") == []


def test_this_models_row_with_benchmarks_as_columns() -> None:
    table = (
        "| Model | MNLI | SST-2 |\n"
        "|---|---|---|\n"
        "| Tiny base | 84.6 | 92.9 |\n"
        "| Other base | 81.0 | 90.0 |\n"
    )
    assert [(c.dataset, c.raw) for c in _read(table)] == [("MNLI", "84.6"), ("SST-2", "92.9")]
    assert _read(table, "acme/unrelated") == []


def test_grouped_rows_choose_the_group_this_models_name_carries() -> None:
    table = (
        "|            | Average | QA set | NLI |\n"
        "|---|---|---|---|\n"
        "|V2          |\n"
        "|Tiny-base   | 82.0 | 90.1/83.0 | 84.0 |\n"
        "|V1          |\n"
        "|Tiny-base   | 80.0 | 89.0/82.0 | 81.5 |\n"
    )
    claims = _read(table, "acme/tiny-base-v1")
    assert [(c.dataset, c.label, c.raw) for c in claims] == [
        (None, "score (Average)", "80.0"),
        ("QA set", "score", "89.0"),
        ("QA set", "score", "82.0"),
        ("NLI", "score", "81.5"),
    ]


def test_continuation_rows_belong_to_the_model_above() -> None:
    table = (
        "| Method | k | Micro F1 |\n"
        "|---|---|---|\n"
        "| Other | 1 | 0.10 |\n"
        "| Tiny-base | 1 | 0.30 |\n"
        "|  | 3 | 0.25 |\n"
    )
    assert [c.raw for c in _read(table)] == ["0.30", "0.25"]


def test_metric_columns_with_the_row_naming_the_test_set_and_its_split() -> None:
    table = "| testset | BLEU | chr-F |\n|---|---|---|\n| newstest2019-dev | 31.2 | 0.58 |\n"
    claims = _read(table, task="translation")
    assert [(c.dataset, c.split, c.metric, c.raw) for c in claims] == [
        ("newstest2019", "validation", "bleu", "31.2"),
        ("newstest2019", "validation", "chrf", "0.58"),
    ]


def test_sclite_tables_take_their_metric_from_the_heading_and_skip_counts() -> None:
    text = (
        "### WER\n"
        "\n"
        "|dataset|Snt|Wrd|Corr|Sub|Del|Ins|Err|S.Err|\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "|decode_asr_model/dev_clean|100|2000|95.0|4.0|1.0|0.5|5.5|40.0|\n"
        "|decode_asr_model/test_gn|100|2000|90.0|8.0|2.0|1.0|11.0|50.0|\n"
    )
    claims = _read(text)
    assert [(c.dataset, c.split, c.label, c.metric, c.raw) for c in claims[:6]] == [
        ("clean", "validation", "WER Corr", "wer corr", "95.0"),
        ("clean", "validation", "WER Sub", "wer sub", "4.0"),
        ("clean", "validation", "WER Del", "wer del", "1.0"),
        ("clean", "validation", "WER Ins", "wer ins", "0.5"),
        ("clean", "validation", "WER Err", "wer", "5.5"),
        ("clean", "validation", "WER S.Err", "wer s.err", "40.0"),
    ]
    # a language code beside the split is a subset, not a dataset: the card's dataset applies
    assert {(c.dataset, c.split) for c in claims[6:]} == {(None, "test")}


def test_metric_rows_under_a_type_column_keep_any_metric_name() -> None:
    table = "| Type | Score |\n| --- | --- |\n| `TOKEN_ACC` | 99.50 |\n| `ENTS_F` | 85.10 |\n"
    assert [(c.label, c.raw, c.dataset) for c in _read(table)] == [
        ("TOKEN_ACC", "99.50", None),
        ("ENTS_F", "85.10", None),
    ]


def test_metric_rows_with_entity_classes_as_columns() -> None:
    table = "| | PER | LOC | Micro-Avg |\n|---|---|---|---|\n| Precision | 80.1 | 70.2 | 75.0 |\n"
    claims = _read(table)
    assert [(c.label, c.metric, c.dataset) for c in claims] == [
        ("Precision (PER)", "precision", None),
        ("Precision (LOC)", "precision", None),
        ("Precision (Micro-Avg)", "precision", None),
    ]


def test_columns_describing_the_model_are_not_results() -> None:
    table = (
        "| Model | Params / M | Rel. Latency | Short-Form WER ↓ |\n"
        "|---|---|---|---|\n"
        "| tiny-base | 756 | 5.8 | 10.1 |\n"
    )
    claims = _read(table)
    assert [(c.label, c.metric, c.raw) for c in claims] == [
        ("Short-Form WER", "short-form wer", "10.1")
    ]
    sizes = "| Params | Layers | Model Dim | Heads |\n|---|---|---|---|\n| 160M | 12 | 768 | 12 |\n"
    assert _read(sizes, "acme/tiny-160m") == []


def test_a_single_row_under_a_sentence_naming_the_metric() -> None:
    text = (
        "Results are reported as word error rate (WER%) with greedy decoding.\n"
        "\n"
        "| Version | Vocabulary Size | Set A Dev | Set A Test |\n"
        "|---|---|---|---|\n"
        "| 1.2.0 | 128 | 6.6 | 7.2 |\n"
    )
    claims = _read(text)
    assert [(c.dataset, c.split, c.metric, c.raw) for c in claims] == [
        ("Set A", "validation", "wer", "6.6"),
        ("Set A", "test", "wer", "7.2"),
    ]


def test_a_caption_line_names_the_metric_of_a_comparison() -> None:
    text = "*Scores:*\n\n| | set_a | set_b |\n|---|---|---|\n| **Tiny-base** | 83.1% | 79.9% |\n"
    claims = _read(text)
    assert [(c.label, c.dataset, c.raw) for c in claims] == [
        ("Scores", "set_a", "83.1%"),
        ("Scores", "set_b", "79.9%"),
    ]


def test_other_versions_in_a_version_table_are_not_this_models_claims() -> None:
    table = "| Model version | Pearson |\n|---|---|\n| v1.0 | 0.91 |\n| v2.0 | 0.93 |\n"
    assert _read(table, "acme/tiny-base") == []


def test_training_logs_are_not_claims() -> None:
    table = (
        "| Epoch | Step | Validation Loss | Accuracy |\n|---|---|---|---|\n| 1 | 10 | 0.5 | 0.8 |\n"
    )
    assert _read(table) == []


def test_a_row_of_metrics_under_dataset_columns() -> None:
    table = (
        "| Dataset  | SetA  | SetA  | SetB  |\n"
        "|:--------:|:-----:|:-----:|:-----:|\n"
        "| (metric) | (PPL) | (ACC) | (BPB) |\n"
        "|          | 9.10  | 60.5  | 0.91  |\n"
    )
    assert [(c.dataset, c.label, c.metric, c.raw) for c in _read(table)] == [
        ("SetA", "PPL", "perplexity", "9.10"),
        ("SetA", "ACC", "accuracy", "60.5"),
        ("SetB", "BPB", "bpb", "0.91"),
    ]
