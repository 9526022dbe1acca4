"""Card accuracy (``make bench-cards``): factor and claim detection against labelled real cards.

The labels (``tests/data/card_labels/``, see ``GUIDE.md`` there) were made by reading
each card whole; this prints, per Table I factor, precision, recall and F1 of the
audit's probes against them, the macro-F1 and the agreement over all factors, and
claim extraction precision/recall/F1 (a claim matches on task, dataset, metric and
value; see ``tests/card_accuracy.py``). Targets (issue 12): macro-F1 >= 0.90, no
factor below 0.80, claim F1 >= 0.90.

    python benchmarks/card_accuracy.py [--errors] [--family]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.card_accuracy import (  # noqa: E402
    CARDS,
    FACTORS,
    evaluate_labels,
    load_labels,
    load_rows,
)

MACRO_F1_TARGET = 0.90
FACTOR_F1_TARGET = 0.80
CLAIM_F1_TARGET = 0.90


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list the cards of each error")
    parser.add_argument("--family", action="store_true", help="also score each card family")
    parser.add_argument(
        "--batches",
        default="batch_*.json",
        metavar="GLOB",
        help="label files to score (e.g. batch_7.json for a held-out batch)",
    )
    args = parser.parse_args()
    if not CARDS.is_file():
        print(f"skipped: {CARDS} not available")
        return 0
    cards = load_labels(pattern=args.batches)
    rows = load_rows(c.model_id for c in cards)
    report = evaluate_labels(cards, rows)
    claims_labelled = sum(len(c.claims) for c in cards)
    print(f"{report.cards} labelled real cards, {claims_labelled} labelled claims")
    print(f"{'factor':40s} {'P':>6s} {'R':>6s} {'F1':>6s}   tp  fp  fn  tn")
    for factor in FACTORS:
        c = report.factors[factor]
        flag = "" if c.f1 >= FACTOR_F1_TARGET else "  < target"
        print(
            f"{factor:40s} {c.precision:6.2f} {c.recall:6.2f} {c.f1:6.2f} "
            f"{c.tp:4d}{c.fp:4d}{c.fn:4d}{c.tn:4d}{flag}"
        )
        if args.errors and (c.misses or c.false_alarms):
            print(f"    missed: {', '.join(c.misses)}")
            print(f"    false:  {', '.join(c.false_alarms)}")
    print(
        f"macro-F1 {report.macro_f1:.3f} (target {MACRO_F1_TARGET}); agreement "
        f"{report.agreement:.3f}; unknown outcomes {report.unknown}"
    )
    c = report.claims
    print(
        f"claims: P {c.precision:.3f} R {c.recall:.3f} F1 {c.f1:.3f} (target {CLAIM_F1_TARGET}); "
        f"matched {c.tp} of {c.tp + c.fn} labelled, {c.fp} extracted without a match"
    )
    if args.errors:
        print("  claims missed:", "; ".join(c.misses))
        print("  claims extra: ", "; ".join(c.false_alarms))
    if args.family:
        for family in sorted({card.family for card in cards}):
            subset = [card for card in cards if card.family == family]
            sub = evaluate_labels(subset, rows)
            print(
                f"  {family:22s} cards {sub.cards:3d}  macro-F1 {sub.macro_f1:.2f}  "
                f"agreement {sub.agreement:.2f}  claims F1 {sub.claims.f1:.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
