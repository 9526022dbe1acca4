from __future__ import annotations

import pytest

from ptmscope.card.values import metric_id, parse_value


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Accuracy", "accuracy"),
        ("Top-1 Acc", "accuracy"),
        ("top-1", "accuracy"),
        ("eval_accuracy", "accuracy"),
        ("Test WER", "wer"),
        ("F1 (macro)", "f1"),
        ("ROUGE-L", "rougeL"),
        ("Validation Loss", "loss"),
        ("Epoch", None),
    ],
)
def test_metric_ids(label: str, expected: str | None) -> None:
    assert metric_id(label) == expected


def test_percent_and_fraction_meet_on_one_scale() -> None:
    a, b = parse_value(0.91, "accuracy"), parse_value(91.0, "accuracy")
    assert a.value == pytest.approx(b.value or 0) == pytest.approx(0.91)
    assert (a.scale, b.scale) == ("fraction", "percent")
    wer = parse_value("6.92", "wer")
    assert wer.value == pytest.approx(0.0692) and wer.scale == "percent"
    assert parse_value("85%", "f1").value == pytest.approx(0.85)


def test_uncertainty_qualifiers_and_non_numeric() -> None:
    v = parse_value("20.0 ± 1.2", "bleu")
    assert v.value == pytest.approx(0.2) and v.uncertainty == pytest.approx(0.012)
    assert parse_value("0.95+", "accuracy").qualifier == ">="
    tbd = parse_value("TBD", "accuracy")
    assert tbd.value is None and tbd.scale == "non-numeric"
    loss = parse_value("2.5", "loss")
    assert loss.value == 2.5 and loss.scale == "absolute"
    assert parse_value(True, "accuracy").value is None
    assert parse_value("**88.1**", "accuracy").value == pytest.approx(0.881)
