"""Claims in sentences, printed reports and metric lines (issue 12's labelled cards), in
our own words and numbers."""

from __future__ import annotations

from ptmscope.card import claims as card_claims
from ptmscope.card import prose
from ptmscope.package import CardLine


def _lines(text: str) -> list[CardLine]:
    return [CardLine(i, line, False) for i, line in enumerate(text.splitlines(), 1)]


def _facts(text: str) -> list[tuple[str, str, str | None]]:
    return [
        (c.metric, c.raw, c.dataset) for c in prose.claims(_lines(text), "README.md", None, set())
    ]


def test_a_number_beside_its_metric_and_the_dataset_the_sentence_names() -> None:
    assert _facts("Tuning reaches **21.5 BLEU** on the [Example-5k test set](https://x.org).") == [
        ("bleu", "21.5", "Example-5k")
    ]
    assert _facts("It has a top1-accuracy of 81.0% on the Pictures evaluation set.") == [
        ("accuracy", "81.0%", "Pictures")
    ]
    assert _facts("F1-Score: **90,50** (SomeNER)") == [("f1", "90,50", "SomeNER")]


def test_numbers_that_are_not_this_models_scores() -> None:
    assert _facts(
        "Ours gets 20.1 BLEU on the Example test set while the baseline achieves 18.0"
    ) == [("bleu", "20.1", "Example")]
    assert _facts("It stays within 1% WER of the teacher on long audio.") == []
    assert _facts("The report gives a macro F1 score of 3 entity classes.") == []
    assert _facts("We kept the top 90% perplexity texts.") == []
    assert _facts("It improves accuracy by 2.5 points.") == []
    assert _facts("| Set | 0.91 | accuracy |") == []


def test_a_printed_classification_report() -> None:
    report = (
        "              precision    recall  f1-score   support\n"
        "\n"
        "         neg       0.90      0.80      0.85       100\n"
        "    accuracy                           0.88       200\n"
        "   macro avg       0.88      0.87      0.87       200\n"
    )
    claims = prose.claims(_lines(report), "README.md", None, set())
    assert [(c.label, c.metric, c.raw) for c in claims] == [
        ("precision (neg)", "precision", "0.90"),
        ("recall (neg)", "recall", "0.80"),
        ("f1-score (neg)", "f1", "0.85"),
        ("accuracy", "accuracy", "0.88"),
        ("precision (macro avg)", "precision", "0.88"),
        ("recall (macro avg)", "recall", "0.87"),
        ("f1-score (macro avg)", "f1", "0.87"),
    ]
    in_a_log_table = (
        "| Loss | Report |\n|---|---|\n| 0.2 | precision    recall  f1-score   support |\n"
    )
    assert prose.claims(_lines(in_a_log_table), "README.md", None, set()) == []


def test_metric_lines_and_autotrain_problem_type() -> None:
    text = (
        "- Problem type: Multi-class Classification\n"
        "\n"
        "## Validation Metrics\n"
        "\n"
        "- Loss: 0.41\n"
        "- Accuracy: 0.83\n"
        "\n"
        "## System Info\n"
        "- bleu: 31.0\n"
        "- brevity_penalty: 0.98\n"
        "recall   :  0.79\n"
    )
    claims, _ = card_claims.extract(
        card_path="README.md",
        metadata={},
        lines=_lines(text),
        eval_results=(),
        default_task=None,
    )
    assert [(c.task, c.metric, c.raw, c.source) for c in claims] == [
        ("text-classification", "loss", "0.41", "metric-list"),
        ("text-classification", "accuracy", "0.83", "metric-list"),
        (None, "bleu", "31.0", "metric-list"),
        (None, "recall", "0.79", "metric-list"),
    ]


def test_model_index_keeps_the_authors_metric_name() -> None:
    index = [
        {
            "name": "x",
            "results": [
                {
                    "task": {"type": "token-classification"},
                    "metrics": [{"name": "NER Precision", "type": "precision", "value": 0.9}],
                }
            ],
        }
    ]
    found, _ = card_claims.from_model_index(index, None, "README.md")
    assert [(c.label, c.metric, c.value) for c in found] == [("NER Precision", "precision", 0.9)]


def test_a_claim_without_a_dataset_takes_the_one_its_card_implies() -> None:
    text = (
        "| testset | BLEU |\n|---|---|\n| Tatoeba-test.x.y | 30.5 |\n\n"
        "## System Info\n- bleu: 30.5\n\n"
        "| split | WER |\n|---|---|\n| dev | 12.0 |\n"
    )
    claims, _ = card_claims.extract(
        card_path="README.md",
        metadata={"datasets": ["acme/speech"]},
        lines=_lines(text),
        eval_results=(),
        default_task=None,
    )
    assert [(c.metric, c.dataset, c.split) for c in claims] == [
        ("bleu", "Tatoeba-test.x.y", None),
        ("wer", "acme/speech", "validation"),
        ("bleu", "Tatoeba-test.x.y", None),  # the System Info line restates the table
    ]
