"""Metrics, their direction and scale, and their confidence intervals.

Every metric comes from a maintained library (scikit-learn, seqeval, jiwer,
sacrebleu, rouge-score, scipy), never from ``evaluate.load``, which needs the Hub.
Proportions (accuracy, exact match, top-k) get a Wilson interval; everything
else a percentile bootstrap over examples with a fixed seed, so a rerun gives
the same interval.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

BOOTSTRAP = 1000
"""Resamples for a bootstrap interval: the usual count for 95% percentile bounds."""
Z95 = 1.959963984540054
"""The standard normal quantile for a two-sided 95% interval."""
CI_PERCENTILES = (2.5, 97.5)
"""Bootstrap percentiles of a two-sided 95% interval."""


@dataclass(frozen=True)
class Estimate:
    """A re-measured value with its 95% interval (not a study measurement)."""

    value: float
    low: float
    high: float
    n: int
    method: str
    """``wilson`` or ``bootstrap``."""


@dataclass(frozen=True)
class Metric:
    """A metric computed locally (no ``evaluate.load``, which needs the Hub) with its interval.

    ``higher_is_better`` decides which side of the interval is over-claiming; ``scale`` brings
    metrics reported in points back to fractions before judging.
    """

    id: str
    higher_is_better: bool
    scale: float
    """1.0 for fractions, 100.0 for metrics reported in points (BLEU, chrF)."""
    compute: Callable[[Sequence[Any], Sequence[Any]], Estimate]


def wilson(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(correct: Sequence[bool]) -> Estimate:
    n = len(correct)
    hits = int(sum(bool(c) for c in correct))
    low, high = wilson(hits, n)
    return Estimate(hits / n if n else 0.0, low, high, n, "wilson")


def bootstrap(
    preds: Sequence[Any],
    refs: Sequence[Any],
    score: Callable[[list[Any], list[Any]], float],
    seed: int = 0,
) -> Estimate:
    n = len(refs)
    value = float(score(list(preds), list(refs)))
    if n < 2:
        return Estimate(value, value, value, n, "bootstrap")
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(BOOTSTRAP):
        index = rng.integers(0, n, n)
        samples.append(float(score([preds[i] for i in index], [refs[i] for i in index])))
    low, high = np.percentile(samples, CI_PERCENTILES)
    return Estimate(value, float(min(low, value)), float(max(high, value)), n, "bootstrap")


def mean_bootstrap(values: Sequence[float], seed: int = 0) -> Estimate:
    """Bootstrap of a mean of per-example scores (fast: resampled with numpy)."""
    array = np.asarray(values, dtype=float)
    n = len(array)
    value = float(array.mean()) if n else 0.0
    if n < 2:
        return Estimate(value, value, value, n, "bootstrap")
    rng = np.random.default_rng(seed)
    means = array[rng.integers(0, n, (BOOTSTRAP, n))].mean(axis=1)
    low, high = np.percentile(means, CI_PERCENTILES)
    return Estimate(value, float(low), float(high), n, "bootstrap")


# ---------------------------------------------------------------- classification
def _accuracy(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
    return proportion([p == r for p, r in zip(preds, refs, strict=True)])


def _topk(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
    """``preds`` are ranked candidate lists; a hit when the reference is among them."""
    return proportion([r in p for p, r in zip(preds, refs, strict=True)])


def _sk(name: str, average: str) -> Callable[[Sequence[Any], Sequence[Any]], Estimate]:
    def compute(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
        from sklearn import metrics as sk

        labels = sorted({*map(str, refs), *map(str, preds)})
        chosen = average
        if average == "binary" and len(labels) != 2:
            chosen = "macro"

        def score(p: list[Any], r: list[Any]) -> float:
            function = getattr(sk, f"{name}_score")
            kwargs: dict[str, Any] = {"average": chosen, "zero_division": 0}
            if chosen == "binary":
                kwargs["pos_label"] = labels[-1]
            return float(function([str(x) for x in r], [str(x) for x in p], **kwargs))

        return bootstrap(preds, refs, score)

    return compute


# ---------------------------------------------------------------- sequences
def _seqeval(name: str) -> Callable[[Sequence[Any], Sequence[Any]], Estimate]:
    def compute(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
        from seqeval import metrics as sq

        def score(p: list[Any], r: list[Any]) -> float:
            return float(getattr(sq, f"{name}_score")(r, p))

        return bootstrap(preds, refs, score)

    return compute


def _jiwer(name: str) -> Callable[[Sequence[Any], Sequence[Any]], Estimate]:
    def compute(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
        import jiwer

        def score(p: list[Any], r: list[Any]) -> float:
            return float(
                getattr(jiwer, name)([str(x) or " " for x in r], [str(x) or " " for x in p])
            )

        return bootstrap(preds, refs, score)

    return compute


def _rouge(kind: str) -> Callable[[Sequence[Any], Sequence[Any]], Estimate]:
    def compute(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
        from rouge_score import rouge_scorer

        scorer = rouge_scorer.RougeScorer([kind], use_stemmer=True)
        values = [
            scorer.score(str(r), str(p))[kind].fmeasure for p, r in zip(preds, refs, strict=True)
        ]
        return mean_bootstrap(values)

    return compute


def _sacrebleu(name: str) -> Callable[[Sequence[Any], Sequence[Any]], Estimate]:
    def compute(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
        import sacrebleu

        def score(p: list[Any], r: list[Any]) -> float:
            function = sacrebleu.corpus_bleu if name == "bleu" else sacrebleu.corpus_chrf
            return float(function([str(x) for x in p], [[str(x) for x in r]]).score)

        return bootstrap(preds, refs, score)

    return compute


# ---------------------------------------------------------------- question answering (SQuAD)
def _normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _qa_f1(prediction: str, truth: str) -> float:
    pred, gold = _normalize_answer(prediction).split(), _normalize_answer(truth).split()
    common = Counter(pred) & Counter(gold)
    same = sum(common.values())
    if not pred or not gold:
        return float(pred == gold)
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def _answers(ref: Any) -> list[str]:
    return [str(a) for a in ref] if isinstance(ref, list | tuple) else [str(ref)]


def _exact_match(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
    return proportion(
        [
            any(_normalize_answer(str(p)) == _normalize_answer(a) for a in _answers(r))
            for p, r in zip(preds, refs, strict=True)
        ]
    )


def _squad_f1(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
    return mean_bootstrap(
        [max(_qa_f1(str(p), a) for a in _answers(r)) for p, r in zip(preds, refs, strict=True)]
    )


# ---------------------------------------------------------------- similarity
def _correlation(kind: str) -> Callable[[Sequence[Any], Sequence[Any]], Estimate]:
    def compute(preds: Sequence[Any], refs: Sequence[Any]) -> Estimate:
        from scipy import stats

        def score(p: list[Any], r: list[Any]) -> float:
            if len(set(p)) < 2 or len(set(r)) < 2:
                return 0.0
            result = stats.spearmanr(p, r) if kind == "spearman" else stats.pearsonr(p, r)
            return float(result[0])

        return bootstrap([float(x) for x in preds], [float(x) for x in refs], score)

    return compute


def _metrics() -> dict[str, Metric]:
    table = [
        Metric("accuracy", True, 1.0, _accuracy),
        Metric("top_k_accuracy", True, 1.0, _topk),
        Metric("f1", True, 1.0, _sk("f1", "binary")),
        Metric("f1_macro", True, 1.0, _sk("f1", "macro")),
        Metric("f1_micro", True, 1.0, _sk("f1", "micro")),
        Metric("f1_weighted", True, 1.0, _sk("f1", "weighted")),
        Metric("precision", True, 1.0, _sk("precision", "binary")),
        Metric("recall", True, 1.0, _sk("recall", "binary")),
        Metric("seqeval_f1", True, 1.0, _seqeval("f1")),
        Metric("seqeval_precision", True, 1.0, _seqeval("precision")),
        Metric("seqeval_recall", True, 1.0, _seqeval("recall")),
        Metric("seqeval_accuracy", True, 1.0, _seqeval("accuracy")),
        Metric("wer", False, 1.0, _jiwer("wer")),
        Metric("cer", False, 1.0, _jiwer("cer")),
        Metric("rouge1", True, 1.0, _rouge("rouge1")),
        Metric("rouge2", True, 1.0, _rouge("rouge2")),
        Metric("rougeL", True, 1.0, _rouge("rougeL")),
        Metric("rougeLsum", True, 1.0, _rouge("rougeLsum")),
        Metric("bleu", True, 100.0, _sacrebleu("bleu")),
        Metric("chrf", True, 100.0, _sacrebleu("chrf")),
        Metric("exact_match", True, 1.0, _exact_match),
        Metric("squad_f1", True, 1.0, _squad_f1),
        Metric("spearman", True, 1.0, _correlation("spearman")),
        Metric("pearson", True, 1.0, _correlation("pearson")),
    ]
    return {m.id: m for m in table}


METRICS = _metrics()
