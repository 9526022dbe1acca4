"""The reference a transferability score is judged against: k-fold linear-probe accuracy.

A logistic regression on frozen features is the cheapest honest stand-in for fine-tuning
(the LogME paper's own sanity check); stratified folds keep every class in every fold, and
a fixed seed makes two runs on the same features agree exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FOLDS = 5
"""Folds of the cross-validation (``task_stage(k=...)``, ``compare --folds``)."""
MAX_PROBE_ITERATIONS = 1000
"""Solver iterations per probe: enough for standardised features of a few thousand rows."""
SEED = 0


@dataclass(frozen=True)
class ProbeScore:
    """Mean accuracy over the folds, and its spread (how much one split can move it)."""

    accuracy: float
    std: float
    folds: int


def folds_for(labels: Any, k: int) -> int:
    """The folds the labels allow: at most ``k``, at most the size of the smallest class.

    Raises :class:`ValueError` when a class has a single example (no fold could both train
    and test on it) or there is only one class (nothing to tell apart)."""
    import numpy as np

    if k < 2:
        raise ValueError(f"k-fold needs k >= 2 (got {k})")
    _, counts = np.unique(np.asarray(labels), return_counts=True)
    if len(counts) < 2:
        raise ValueError("the labels hold a single class: there is nothing to tell apart")
    if counts.min() < 2:
        raise ValueError("a class has a single example: label at least two per class")
    return int(min(k, counts.min()))


def probe_accuracy(features: Any, labels: Any, k: int = FOLDS, seed: int = SEED) -> ProbeScore:
    """Stratified ``k``-fold accuracy of a logistic regression on standardised ``features``."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels)
    folds = folds_for(y, k)
    scores = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=MAX_PROBE_ITERATIONS))
        model.fit(x[train], y[train])
        scores.append(float((model.predict(x[test]) == y[test]).mean()))
    return ProbeScore(float(np.mean(scores)), float(np.std(scores)), folds)
