"""LogME: how well a model's features explain the labels, without fitting a classifier.

Implemented from You et al., "LogME: Practical Assessment of Pre-trained Models for
Transfer Learning" (ICML 2021). Each class column of the one-hot labels is a Bayesian
linear regression on the features (weights ~ N(0, 1/alpha), noise ~ N(0, 1/beta)); the
marginal likelihood (evidence) of the labels is maximised over alpha and beta by the
MacKay fixed point, and the per-sample log evidence averaged over classes is the score.
One eigendecomposition of the features' Gram matrix is shared by every class, so the cost is one decomposition plus a
few vector operations per iteration: that is why it is cheaper than fitting probes.
"""

from __future__ import annotations

import math
from typing import Any

MAX_ITERATIONS = 100
"""Fixed-point steps per class before giving up on convergence (the paper converges in
fewer than ten on real features)."""
TOLERANCE = 1e-4
"""Relative change of alpha / beta under which the fixed point has converged."""
_FLOOR = 1e-12
"""Keeps divisions and logarithms finite for degenerate features (all zero, rank one)."""
_RANK = 1e-10
"""Eigenvalues below this fraction of the largest are numerical zeros (rank-deficient
features, such as one-hot labels padded with constant columns)."""


def logme(features: Any, labels: Any) -> float:
    """The LogME score of ``features`` (n x d) for integer class ``labels`` (n): the mean
    over classes of the maximised log evidence per sample. Higher is better; the scale is
    comparable across models on the same labels only.

    Raises :class:`ValueError` for shapes that disagree, fewer than two samples, or
    non-finite features (a model that produced NaNs is not a candidate, it is a failure).
    """
    import numpy as np

    f = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels)
    if f.ndim != 2 or y.ndim != 1 or f.shape[0] != y.shape[0]:
        raise ValueError(f"features {f.shape} and labels {y.shape} do not match")
    if f.shape[0] < 2:
        raise ValueError("LogME needs at least two samples")
    if not np.isfinite(f).all():
        raise ValueError("features hold NaN or infinite values")
    n, d = f.shape
    classes = np.unique(y)
    onehot = (y[:, None] == classes[None, :]).astype(np.float64)
    sigma, z2 = _spectrum(f, onehot)
    norms = (onehot**2).sum(axis=0)
    scores = [_evidence(sigma, z2[:, c], float(norms[c]), n, d) for c in range(len(classes))]
    return float(np.mean(scores))


def _spectrum(f: Any, targets: Any) -> tuple[Any, Any]:
    """The eigenvalues of the features' Gram matrix and each target's squared projection
    on its eigenvectors (``z**2`` with ``z = U.T @ y`` of the thin SVD ``F = U S V.T``).

    An eigendecomposition of the smaller Gram matrix (d x d, or n x n when there are fewer
    samples than features) gives the same spectrum as the SVD at a fraction of the cost.
    """
    import numpy as np

    n, d = f.shape
    if n >= d:
        sigma, v = np.linalg.eigh(f.T @ f)
        sigma = np.clip(sigma, 0.0, None)
        w = v.T @ (f.T @ targets)  # = S z
        kept = sigma > _RANK * max(float(sigma.max()), _FLOOR)
        z2 = np.zeros_like(w)
        z2[kept] = w[kept] ** 2 / sigma[kept, None]
        return sigma, z2
    sigma, u = np.linalg.eigh(f @ f.T)
    sigma = np.clip(sigma, 0.0, None)
    kept = sigma > _RANK * max(float(sigma.max()), _FLOOR)
    z2 = (u.T @ targets) ** 2
    z2[~kept] = 0.0
    return sigma, z2


def _evidence(sigma: Any, z2: Any, norm: float, n: int, d: int) -> float:
    """The maximised log evidence per sample of one class column (``norm`` = its ``y @ y``)."""
    import numpy as np

    outside = max(norm - float(z2.sum()), 0.0)  # the part of y no weight vector can explain
    alpha, beta = 1.0, 1.0
    for _ in range(MAX_ITERATIONS):
        denominator = alpha + beta * sigma
        gamma = float((beta * sigma / denominator).sum())
        m2 = float((beta**2 * sigma * z2 / denominator**2).sum())
        residual = float((alpha**2 * z2 / denominator**2).sum()) + outside
        new_alpha = gamma / max(m2, _FLOOR)
        new_beta = max(n - gamma, _FLOOR) / max(residual, _FLOOR)
        converged = (
            abs(new_alpha - alpha) <= TOLERANCE * alpha and abs(new_beta - beta) <= TOLERANCE * beta
        )
        alpha, beta = max(new_alpha, _FLOOR), max(new_beta, _FLOOR)
        if converged:
            break
    denominator = alpha + beta * sigma
    m2 = float((beta**2 * sigma * z2 / denominator**2).sum())
    residual = float((alpha**2 * z2 / denominator**2).sum()) + outside
    log_det = float(np.log(denominator).sum()) + (d - len(sigma)) * math.log(alpha)
    evidence = (
        n / 2 * math.log(beta)
        + d / 2 * math.log(alpha)
        - n / 2 * math.log(2 * math.pi)
        - beta / 2 * residual
        - alpha / 2 * m2
        - log_det / 2
    )
    return evidence / n
