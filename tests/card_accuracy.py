"""Factor and claim detection measured against cards labelled by reading them.

The labels (``tests/data/card_labels/batch_*.json``, made by following
``GUIDE.md`` there) say, for real cards of ``../shared/data/registry/cards.parquet``,
which Table I factors a reader finds and every numeric claim. This module runs the
audit's probes and claim extraction over the same records and scores them against
the labels; ``benchmarks/card_accuracy.py`` prints the figures and
``tests/test_card_accuracy.py`` holds their floor.

Claim matching is written here, independently of ptmscope's own normalisation: a
predicted claim matches a labelled one when the value agrees (as written, or scaled
by 100 either way), the metric names agree after an alias table, the datasets agree
(equal or one naming the other, after lower-casing and dropping punctuation) and the
tasks agree (the claim's task, else the card's task; a label without a task accepts any).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import SHARED_DATA

LABELS = Path(__file__).resolve().parent / "data" / "card_labels"
CARDS = SHARED_DATA / "cards.parquet"

_ATTRIBUTES = ("provenance", "reproducibility", "portability")


def _factor_ids() -> tuple[str, ...]:
    """The Table I factors, as the probes define them (the probes own the ids)."""
    from ptmscope.probes import all_probes
    from ptmscope.vocab import ProbeKind

    ids = [p.definition.id for p in all_probes() if p.definition.kind is ProbeKind.FACTOR]
    return tuple(sorted(ids, key=lambda i: (_ATTRIBUTES.index(i.split(".")[0]), i)))


FACTORS = _factor_ids()


@dataclass(frozen=True)
class LabelledCard:
    """One card as a reader labelled it."""

    model_id: str
    family: str
    factors: Mapping[str, bool]
    claims: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Predicted:
    """What ptmscope found on the same card."""

    factors: Mapping[str, bool]
    claims: tuple[Mapping[str, Any], ...]
    unknown: tuple[str, ...] = ()


@dataclass
class Counts:
    """A confusion matrix for one factor (or for claims: tn unused)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def agreement(self) -> float:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else 1.0


def load_labels(folder: Path = LABELS, pattern: str = "batch_*.json") -> list[LabelledCard]:
    cards: list[LabelledCard] = []
    for path in sorted(folder.glob(pattern)):
        for item in json.loads(path.read_text(encoding="utf-8")):
            factors = {f: bool(item["factors"][f]["present"]) for f in FACTORS}
            cards.append(
                LabelledCard(
                    item["model_id"], item.get("family", ""), factors, tuple(item["claims"])
                )
            )
    return cards


def load_rows(ids: Iterable[str], path: Path = CARDS) -> dict[str, dict[str, Any]]:
    import pyarrow.parquet as pq

    wanted = set(ids)
    table = pq.read_table(path, columns=["model_id", "readme", "config_json", "siblings_json"])
    return {row["model_id"]: row for row in table.to_pylist() if row["model_id"] in wanted}


def _siblings(raw: str | None) -> list[str]:
    try:
        return [s["rfilename"] for s in json.loads(raw or "[]") if isinstance(s, dict)]
    except (ValueError, KeyError, TypeError):
        return []


def predict(row: Mapping[str, Any]) -> Predicted:
    """The audit's view of one record: factor outcomes and the claims it extracted."""
    from ptmscope.audit import evaluate
    from ptmscope.collector import collect_from
    from ptmscope.sources.record import RecordSource

    source = RecordSource(
        row["model_id"],
        readme=row["readme"],
        config_json=row["config_json"],
        siblings=_siblings(row["siblings_json"]),
    )
    package = collect_from(source)
    result = evaluate(package)
    outcomes = {f.probe: str(f.outcome) for f in result.findings}
    factors = {f: outcomes.get(f) == "present" for f in FACTORS}
    unknown = tuple(f for f in FACTORS if outcomes.get(f) == "unknown")
    claims = tuple(
        {
            "task": c.task or package.task,
            "dataset": c.dataset,
            "split": c.split,
            "metric": c.metric,
            "label": c.label,
            "value": c.value,
            "raw": c.raw,
            "location": c.location,
        }
        for c in package.claims
    )
    return Predicted(factors, claims, unknown)


_ALIASES = {
    "acc": "accuracy",
    "accuracy": "accuracy",
    "f1score": "f1",
    "f": "f1",
    "fmeasure": "f1",
    "em": "exactmatch",
    "exact": "exactmatch",
    "worderrorrate": "wer",
    "charactererrorrate": "cer",
    "sacrebleu": "bleu",
    "chrf2": "chrf",
    "chrf": "chrf",
    "evalloss": "loss",
    "validationloss": "loss",
    "valloss": "loss",
    "prec": "precision",
    "rec": "recall",
    "meanreward": "meanreward",
    "ppl": "perplexity",
}
_NOISE = {"score", "eval", "validation", "test", "set", "the", "on", "val", "dev", "avg"}


def metric_key(name: str | None) -> str:
    """A metric name reduced to its core: ``F1 (macro)`` and ``f1_macro`` both give ``f1macro``."""
    if not name:
        return ""
    tokens = [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t and t not in _NOISE]
    joined = "".join(tokens)
    if joined in _ALIASES:
        return _ALIASES[joined]
    return "".join(sorted(_ALIASES.get(t, t) for t in tokens))


def _text_key(value: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(value).lower()) if value is not None else ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = re.search(r"[-+]?\d+(?:[.,]\d+)?", str(value or ""))
    return float(match.group(0).replace(",", ".")) if match else None


def _values_agree(label: Any, claim: Mapping[str, Any]) -> bool:
    wanted = _number(label)
    if wanted is None:
        return False
    found = [_number(claim.get("raw")), _number(claim.get("value"))]
    for value in found:
        if value is None:
            continue
        for scaled in (value, value * 100, value / 100):
            if math.isclose(scaled, wanted, rel_tol=1e-6, abs_tol=1e-9):
                return True
    return False


def _datasets_agree(label: Any, claim: Any) -> bool:
    a, b = _text_key(label), _text_key(claim)
    if not a:
        return True  # the reader found no dataset named: any answer is acceptable
    return bool(b) and (a == b or a in b or b in a)


def _tasks_agree(label: Any, claim: Any) -> bool:
    a, b = _text_key(label), _text_key(claim)
    return not a or a == b


def claims_match(label: Mapping[str, Any], claim: Mapping[str, Any]) -> bool:
    """The issue's rule: a claim matches on task, dataset, metric and value."""
    wanted = metric_key(label.get("metric"))
    # A reader who saw no metric name (a table of benchmark columns) accepts any metric.
    metric_ok = not wanted or wanted in (
        metric_key(claim.get("metric")),
        metric_key(claim.get("label")),
    )
    return (
        metric_ok
        and _values_agree(label.get("value"), claim)
        and _datasets_agree(label.get("dataset"), claim.get("dataset"))
        and _tasks_agree(label.get("task"), claim.get("task"))
    )


def match_claims(
    labels: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]]
) -> tuple[int, list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Greedy one-to-one matching: (matched, labelled claims missed, predicted claims unmatched)."""
    free = list(predicted)
    missed: list[Mapping[str, Any]] = []
    matched = 0
    for label in labels:
        index = next((i for i, claim in enumerate(free) if claims_match(label, claim)), None)
        if index is None:
            missed.append(label)
        else:
            free.pop(index)
            matched += 1
    return matched, missed, free


@dataclass
class Report:
    """Per-factor counts, claim counts and the cards they came from."""

    factors: dict[str, Counts]
    claims: Counts
    cards: int
    unknown: int

    @property
    def macro_f1(self) -> float:
        return sum(c.f1 for c in self.factors.values()) / len(self.factors)

    @property
    def agreement(self) -> float:
        tp = sum(c.tp + c.tn for c in self.factors.values())
        total = sum(c.tp + c.fp + c.fn + c.tn for c in self.factors.values())
        return tp / total if total else 1.0


def evaluate_labels(cards: Sequence[LabelledCard], rows: Mapping[str, Mapping[str, Any]]) -> Report:
    factors = {f: Counts() for f in FACTORS}
    claims = Counts()
    unknown = 0
    scored = 0
    for card in cards:
        row = rows.get(card.model_id)
        if row is None:
            continue
        scored += 1
        predicted = predict(row)
        unknown += len(predicted.unknown)
        for factor in FACTORS:
            truth, found = card.factors[factor], predicted.factors[factor]
            counts = factors[factor]
            if truth and found:
                counts.tp += 1
            elif truth:
                counts.fn += 1
                counts.misses.append(card.model_id)
            elif found:
                counts.fp += 1
                counts.false_alarms.append(card.model_id)
            else:
                counts.tn += 1
        matched, missed, extra = match_claims(card.claims, predicted.claims)
        claims.tp += matched
        claims.fn += len(missed)
        claims.fp += len(extra)
        if missed:
            claims.misses.append(f"{card.model_id}: {len(missed)} missed")
        if extra:
            claims.false_alarms.append(f"{card.model_id}: {len(extra)} extra")
    return Report(factors, claims, scored, unknown)
