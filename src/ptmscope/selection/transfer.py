"""The task stage: embed the user's labelled sample with each candidate, score the features
with LogME and with k-fold linear probes, and show both next to the static baselines.

A transferability ranking that does not show its baseline misleads: on some benchmarks
ranking by model size alone agrees better with fine-tuned accuracy than LogME does. So each
ranking (LogME, size, downloads) gets its Kendall tau with the probe ranking, and when LogME
is no better than size on this data the result says so in a plain sentence.

Models are run the way ``verify`` runs them (:class:`ptmscope.verify.run.Runner`: local
files only, no remote code, safetensors preferred); a model that cannot be run is kept as a
candidate with its error and ranked by nothing, never dropped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ptmscope.errors import InputError
from ptmscope.results.compare import TaskStage, TransferScore
from ptmscope.selection.facts import parameter_count, split_ref
from ptmscope.selection.probe import FOLDS, folds_for

__all__ = [
    "MAX_EXAMPLES",
    "Embedded",
    "TaskStage",
    "TransferScore",
    "kendall_tau",
    "load_sample",
    "rank",
    "task_stage",
]

MAX_EXAMPLES = 2000
"""Rows of the user's file embedded per model (a seeded sample beyond it; ``--limit``)."""
TASK = "text-classification"
"""The task whose column conventions the data file follows (``text``, ``label``…)."""


@dataclass(frozen=True)
class Embedded:
    """One candidate's features on the sample (or why there are none)."""

    ref: str
    features: Any
    """n x d array; ``None`` when the model failed."""
    parameters: int | None
    downloads: int | None
    error: str | None = None


@dataclass(frozen=True)
class Sample:
    """The user's labelled sample: texts and integer labels (indices into ``classes``)."""

    texts: tuple[str, ...]
    labels: Any
    classes: tuple[str, ...]
    origin: str


def load_sample(
    data: Path,
    columns: Mapping[str, str] | None = None,
    limit: int | None = MAX_EXAMPLES,
    seed: int = 0,
) -> Sample:
    """The labelled texts of ``data`` (CSV, TSV, JSON Lines, JSON, Parquet; columns found as
    ``verify`` finds them); a file that cannot be used is an :class:`InputError`."""
    import numpy as np

    from ptmscope.verify.data import DataUnavailable, load_file, resolve_columns, sample

    if limit is not None and limit <= 0:
        raise InputError(f"limit must be positive (got {limit})")
    try:
        table = load_file(Path(data))
        chosen = resolve_columns(TASK, table, dict(columns or {}))
    except DataUnavailable as exc:
        raise InputError(str(exc)) from None
    rows = sample(table.rows, limit, seed)
    texts: list[str] = []
    names: list[str] = []
    for row in rows:
        text, label = row.get(chosen["text"]), row.get(chosen["label"])
        if text is None or label is None or str(label).strip() == "":
            continue
        pair = row.get(chosen["text_pair"]) if "text_pair" in chosen else None
        texts.append(str(text) if pair is None else f"{text} {pair}")
        names.append(str(label))
    classes = tuple(sorted(set(names)))
    labels = np.asarray([classes.index(n) for n in names])
    try:
        folds_for(labels, 2)
    except ValueError as exc:
        raise InputError(f"{data}: {exc}") from None
    return Sample(tuple(texts), labels, classes, table.origin)


def kendall_tau(first: Sequence[float | None], second: Sequence[float | None]) -> float | None:
    """Kendall's tau-b over the positions where both are known; ``None`` when fewer than two
    such positions, or when either ranking is constant there (no order to agree with)."""
    from scipy.stats import kendalltau

    pairs = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    if len(pairs) < 2:
        return None
    tau = kendalltau([a for a, _ in pairs], [b for _, b in pairs]).statistic
    return None if tau is None or math.isnan(tau) else round(float(tau), 4)


def _note(correlations: Mapping[str, float | None]) -> str | None:
    """The plain sentence a reader needs when LogME's ranking should not be trusted here."""
    ours, size = correlations.get("logme"), correlations.get("size")
    if ours is None:
        return (
            "LogME cannot be judged on this data: fewer than two candidates have both a "
            "LogME score and a probe accuracy that differ."
        )
    if size is None:
        return (
            f"LogME agrees with the linear probe at tau {ours:.2f}, but the size baseline is "
            "unknown here (no parameter counts), so it is not shown to beat it."
        )
    if ours <= size:
        return (
            f"On this data LogME ranks the candidates no better than their size does "
            f"(Kendall tau with the linear probe: LogME {ours:.2f}, size {size:.2f}); "
            "trust the probe accuracy, not the LogME ranking."
        )
    return None


def rank(candidates: Sequence[Embedded], labels: Any, origin: str, k: int = FOLDS) -> TaskStage:
    """LogME and probe accuracy of every candidate's features, and each ranking's Kendall
    tau with the probe ranking (the pure half of :func:`task_stage`: no model is run)."""
    from ptmscope.selection.logme import logme
    from ptmscope.selection.probe import probe_accuracy

    try:
        folds = folds_for(labels, k)
    except ValueError as exc:
        raise InputError(f"{origin}: {exc}") from None
    scores: list[TransferScore] = []
    logme_seconds = probe_seconds = 0.0
    for c in candidates:
        if c.features is None:
            scores.append(
                TransferScore(c.ref, c.parameters, c.downloads, None, None, None, c.error)
            )
            continue
        try:
            start = time.perf_counter()
            evidence = logme(c.features, labels)
            logme_seconds += time.perf_counter() - start
            start = time.perf_counter()
            probe = probe_accuracy(c.features, labels, folds)
            probe_seconds += time.perf_counter() - start
        except ValueError as exc:
            scores.append(
                TransferScore(c.ref, c.parameters, c.downloads, None, None, None, str(exc))
            )
            continue
        scores.append(
            TransferScore(
                c.ref, c.parameters, c.downloads, round(evidence, 6),
                round(probe.accuracy, 6), round(probe.std, 6),
            )
        )  # fmt: skip
    ranked = [s for s in scores if s.error is None]
    probe_scores = [s.probe_accuracy for s in ranked]

    def tau(values: Sequence[float | None]) -> float | None:
        return kendall_tau(values, probe_scores)

    correlations = {
        "logme": tau([s.logme for s in ranked]),
        "size": tau([None if s.parameters is None else float(s.parameters) for s in ranked]),
        "downloads": tau([None if s.downloads is None else float(s.downloads) for s in ranked]),
    }
    return TaskStage(
        data=origin,
        examples=len(labels),
        classes=len(set(int(v) for v in labels)),
        folds=folds,
        candidates=tuple(scores),
        correlations=correlations,
        note=_note(correlations),
        logme_seconds=round(logme_seconds, 4),
        probe_seconds=round(probe_seconds, 4),
    )


def embed(
    ref: str, texts: Sequence[str], *, token: str | None = None, batch_size: int = 32
) -> Embedded:
    """``texts`` embedded by the model ``ref`` (``path@rev`` for a git revision), the way
    ``verify`` runs models; a model that cannot be run is an :class:`Embedded` with its
    error. A reference that names nothing is an :class:`InputError` (raised)."""
    from ptmscope.collector import collect_from
    from ptmscope.sources import open_source
    from ptmscope.verify.materialize import model_folder
    from ptmscope.verify.run import ModelUnavailable, Runner, quiet_libraries

    path, revision = split_ref(ref)
    with open_source(path, revision=revision, token=token) as source:
        package = collect_from(source)
        parameters = parameter_count(
            (str(w.format), str(w.role), w.parameters) for w in package.weights
        )
        downloads = package.metadata.downloads if package.metadata is not None else None
        try:
            quiet_libraries()
            with model_folder(source, package) as folder:
                features = Runner(folder, batch_size=batch_size).embed(list(texts))
        except (ModelUnavailable, OSError, ValueError, RuntimeError, KeyError) as exc:
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            return Embedded(ref, None, parameters, downloads, f"cannot embed: {reason}")
    return Embedded(ref, features, parameters, downloads)


def task_stage(
    refs: Sequence[str],
    data: Path,
    *,
    k: int = FOLDS,
    columns: Mapping[str, str] | None = None,
    limit: int | None = MAX_EXAMPLES,
    seed: int = 0,
    token: str | None = None,
    batch_size: int = 32,
    known: Mapping[str, tuple[int | None, int | None]] | None = None,
    fetch_errors: bool = False,
) -> TaskStage:
    """Each candidate of ``refs`` measured on the labelled sample in ``data``: LogME, k-fold
    linear-probe accuracy, and the Kendall tau of LogME, size and downloads with the probe
    ranking (``compare --data``; ``select --data`` calls this with its top candidates).

    ``known`` maps a ref to ``(parameters, downloads)`` a registry already knows (a study
    database), so the baselines rank what ``select`` ranked: its downloads win over what
    the source reports (a mirror counts only its own serves), while parameters counted
    from the weights win over the database's estimate from a config. With
    ``fetch_errors`` a ref that cannot be fetched (not in the mirror, no network) stays a
    candidate with its error, as ``select`` needs; otherwise it is the user's input error.

    Needs the ``verify`` extra (numpy, torch, transformers, scikit-learn, scipy); the data
    file is read, and its labels checked, before any model is loaded.
    """
    from ptmscope.extras import require

    require("verify", "the task stage (--data)")
    if k < 2:
        raise InputError(f"k-fold needs k >= 2 (got {k})")
    sample = load_sample(data, columns, limit, seed)
    embedded: list[Embedded] = []
    for ref in refs:
        try:
            one = embed(ref, sample.texts, token=token, batch_size=batch_size)
        except InputError as exc:
            if not fetch_errors:
                raise
            one = Embedded(ref, None, None, None, f"cannot fetch: {exc}".splitlines()[0])
        embedded.append(_fill(one, known))
    return rank(embedded, sample.labels, sample.origin, k)


def _fill(
    embedded: Embedded, known: Mapping[str, tuple[int | None, int | None]] | None
) -> Embedded:
    """``embedded`` with the registry's downloads, and its parameter count where the weights
    gave none."""
    parameters, downloads = (known or {}).get(embedded.ref, (None, None))
    return replace(
        embedded,
        parameters=embedded.parameters if embedded.parameters is not None else parameters,
        downloads=downloads if downloads is not None else embedded.downloads,
    )
