"""The accuracy floor on labelled real cards (``tests/data/card_labels``; issue 12).

Scores the audit's factor probes and claim extraction against cards labelled by
reading them (see ``tests/card_accuracy.py`` and ``GUIDE.md``), and fails when a
figure falls below the floor kept in ``floors.json``. The floor is the last measured
figure less a small margin, raised as detectors improve; the issue's targets are
printed by ``benchmarks/card_accuracy.py``. Skips without ``../shared``.
"""

from __future__ import annotations

import json

import pytest

from tests.card_accuracy import (
    CARDS,
    FACTORS,
    LABELS,
    Report,
    evaluate_labels,
    load_labels,
    load_rows,
)

FLOORS = json.loads((LABELS / "floors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report() -> Report:
    if not CARDS.is_file():
        pytest.skip("shared/data/registry/cards.parquet not available")
    cards = load_labels()
    return evaluate_labels(cards, load_rows(c.model_id for c in cards))


def test_the_labelled_set_is_large_and_complete() -> None:
    cards = load_labels()
    assert len(cards) >= FLOORS["cards"]
    assert len({c.model_id for c in cards}) == len(cards), "a card is labelled twice"
    assert all(set(c.factors) == set(FACTORS) for c in cards)


def test_every_labelled_card_is_scored(report: Report) -> None:
    assert report.cards == len(load_labels())


def test_macro_f1_holds_its_floor(report: Report) -> None:
    assert report.macro_f1 >= FLOORS["macro_f1"], f"macro-F1 {report.macro_f1:.3f}"


@pytest.mark.parametrize("factor", FACTORS)
def test_factor_f1_holds_its_floor(report: Report, factor: str) -> None:
    counts = report.factors[factor]
    assert counts.f1 >= FLOORS["factors"][factor], (
        f"{factor}: F1 {counts.f1:.3f} (P {counts.precision:.2f} R {counts.recall:.2f}); "
        f"missed {counts.misses[:5]}, false {counts.false_alarms[:5]}"
    )


def test_claim_extraction_holds_its_floor(report: Report) -> None:
    c = report.claims
    assert c.precision >= FLOORS["claims"]["precision"], f"claim precision {c.precision:.3f}"
    assert c.recall >= FLOORS["claims"]["recall"], f"claim recall {c.recall:.3f}"
