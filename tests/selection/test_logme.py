"""LogME on cases whose order is known in closed form, and on a synthetic model zoo where it
must agree with the linear probe it stands in for."""

from __future__ import annotations

import time

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytest.importorskip("scipy")

from ptmscope.selection.logme import logme  # noqa: E402
from ptmscope.selection.probe import probe_accuracy  # noqa: E402
from ptmscope.selection.transfer import kendall_tau  # noqa: E402

ZOO_NOISE = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
"""Noise added to each zoo member's features: more noise, a worse model."""
ZOO_SECONDS = 30.0
"""A bound a correct LogME cannot reach on the zoo (it takes about 0.05 s; an SVD per class
on 2 shared cores took 6 s): the benchmark measures the time, the test only catches a blow-up."""


def _labels(n: int = 300, classes: int = 5, seed: int = 0) -> object:
    return np.random.default_rng(seed).integers(0, classes, n)


def test_one_hot_labels_rank_first_and_noise_last() -> None:
    y = _labels()
    rng = np.random.default_rng(1)
    one_hot = np.eye(5)[y]
    informative = one_hot @ rng.normal(size=(5, 32)) + 0.5 * rng.normal(size=(len(y), 32))
    noise = rng.normal(size=(len(y), 32))
    scores = [logme(f, y) for f in (one_hot, informative, noise)]
    assert scores[0] > scores[1] > scores[2], scores


def test_the_score_does_not_depend_on_the_order_of_samples() -> None:
    y = _labels()
    f = np.random.default_rng(2).normal(size=(len(y), 16)) + np.eye(5)[y] @ np.ones((5, 16))
    order = np.random.default_rng(3).permutation(len(y))
    assert logme(f, y) == pytest.approx(logme(f[order], y[order]), rel=1e-9)


def test_fewer_samples_than_features_takes_the_other_gram_matrix() -> None:
    """n < d decomposes F F^T instead of F^T F: the same spectrum, so the ranking holds."""
    y = _labels(n=40, classes=4)
    rng = np.random.default_rng(4)
    good = np.eye(4)[y] @ rng.normal(size=(4, 100)) + 0.1 * rng.normal(size=(40, 100))
    bad = rng.normal(size=(40, 100))
    assert np.isfinite(logme(good, y)) and logme(good, y) > logme(bad, y)


@pytest.mark.parametrize(
    ("features", "labels", "message"),
    [
        ([[0.0, 1.0]], [0], "two samples"),
        ([[0.0, 1.0], [1.0, float("nan")]], [0, 1], "NaN"),
        ([[0.0, 1.0], [1.0, 0.0]], [0, 1, 1], "do not match"),
    ],
)
def test_unusable_features_are_refused(features: object, labels: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        logme(np.asarray(features), np.asarray(labels))


ZOO_SAMPLES = 600
"""Digits used by the test (the benchmark uses all 1,797): the probes dominate its time."""


def zoo(seed: int = 0) -> tuple[list[object], object]:
    """Random projections of scikit-learn's digits with rising noise: one feature matrix
    per model, and the labels."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x, y = x[:ZOO_SAMPLES], y[:ZOO_SAMPLES]
    rng = np.random.default_rng(seed)
    models = [
        (x / 16.0) @ rng.normal(size=(64, 96)) + noise * rng.normal(size=(len(y), 96))
        for noise in ZOO_NOISE
    ]
    return models, y


def test_on_the_zoo_logme_ranks_as_the_linear_probe_does() -> None:
    models, y = zoo()
    start = time.perf_counter()
    scores = [logme(f, y) for f in models]
    seconds = time.perf_counter() - start
    accuracies = [probe_accuracy(f, y, k=3).accuracy for f in models]
    tau = kendall_tau(scores, accuracies)
    assert tau is not None and tau >= 0.8, (scores, accuracies)
    assert scores == sorted(scores, reverse=True)  # noise added: evidence falls every time
    assert seconds < ZOO_SECONDS
