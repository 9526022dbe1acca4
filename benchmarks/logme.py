"""LogME against the linear probes it stands in for, on a synthetic model zoo.

The zoo: random projections of scikit-learn's digits (1,797 images, 10 classes) with rising
noise, one feature matrix per "model". For each round, all models are scored by LogME and
by a k-fold logistic-regression probe (what ``compare --data`` and ``select --data`` run);
the medians and the probe/LogME time ratio are printed, with the Kendall tau of the two
rankings. One command: ``make bench-logme`` (or ``python benchmarks/logme.py``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.datasets import load_digits

from ptmscope.selection.logme import logme
from ptmscope.selection.probe import probe_accuracy
from ptmscope.selection.transfer import kendall_tau

NOISE = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
DIMENSIONS = 128
ROUNDS = 3


def zoo(seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    models = [
        (x / 16.0) @ rng.normal(size=(64, DIMENSIONS))
        + noise * rng.normal(size=(len(y), DIMENSIONS))
        for noise in NOISE
    ]
    return models, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    logme_times, probe_times, taus = [], [], []
    for seed in range(args.rounds):
        models, y = zoo(seed)
        start = time.perf_counter()
        scores = [logme(f, y) for f in models]
        logme_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        accuracies = [probe_accuracy(f, y, k=args.folds).accuracy for f in models]
        probe_times.append(time.perf_counter() - start)
        taus.append(kendall_tau(scores, accuracies))
    logme_s, probe_s = statistics.median(logme_times), statistics.median(probe_times)
    print(f"zoo: {len(NOISE)} models, {len(y)} samples x {DIMENSIONS} features, 10 classes")
    print(f"LogME, all models:            median {logme_s:.4f} s over {args.rounds} rounds")
    print(f"{args.folds}-fold linear probes, all:   median {probe_s:.4f} s (the baseline)")
    print(f"ratio probe / LogME:          {probe_s / logme_s:.1f}x")
    print(f"Kendall tau LogME vs probe:   median {statistics.median(t or 0.0 for t in taus):.3f}")


if __name__ == "__main__":
    main()
