"""What ``compare`` returns (models side by side) and what the task stage measures on the
user's data (``compare --data``, ``select --data``).

Rows hold values already computed from each model's audit report; renderers only lay them
out (and mark the rows whose values differ), so text, Markdown and JSON never disagree.
The JSON shape is ``schemas/compare.schema.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

SCHEMA_VERSION = "1.0.0"
"""The version of the JSON shape (``schema_version`` in the output)."""

Value: TypeAlias = "str | int | float | bool | tuple[str, ...] | None"
"""One cell: a number, a word, a list of words, or ``None`` (unknown, not "none")."""


@dataclass(frozen=True)
class TransferScore:
    """One candidate measured on the user's labelled sample."""

    ref: str
    parameters: int | None
    """The size baseline's key (largest per-format total of the weight headers)."""
    downloads: int | None
    """The popularity baseline's key (registry metadata, when there is any)."""
    logme: float | None
    """Mean log evidence per sample (higher is better); ``None`` when the model failed."""
    probe_accuracy: float | None
    """Mean k-fold linear-probe accuracy: the reference ranking."""
    probe_std: float | None
    error: str | None = None
    """Why the model could not be embedded (it is then ranked by nothing: fail closed)."""


@dataclass(frozen=True)
class TaskStage:
    """LogME and linear probes on the user's data, beside the static baselines.

    ``correlations`` maps ``logme``, ``size`` and ``downloads`` to the Kendall tau of that
    ranking with the probe ranking (``None``: fewer than two candidates have both values,
    or one of the rankings is constant).
    """

    data: str
    examples: int
    classes: int
    folds: int
    candidates: tuple[TransferScore, ...]
    correlations: Mapping[str, float | None]
    note: str | None
    """A plain sentence when LogME is not better than the size baseline on this data (or
    cannot be judged); ``None`` when it is better."""
    logme_seconds: float = 0.0
    probe_seconds: float = 0.0

    def data_dict(self) -> dict[str, Any]:
        """The task stage as JSON-ready data."""
        return {
            "data": self.data,
            "examples": self.examples,
            "classes": self.classes,
            "folds": self.folds,
            "candidates": [
                {
                    "ref": c.ref,
                    "parameters": c.parameters,
                    "downloads": c.downloads,
                    "logme": c.logme,
                    "probe_accuracy": c.probe_accuracy,
                    "probe_std": c.probe_std,
                    "error": c.error,
                }
                for c in self.candidates
            ],
            "kendall_tau_with_probe": dict(self.correlations),
            "note": self.note,
            "seconds": {"logme": self.logme_seconds, "probe": self.probe_seconds},
        }


@dataclass(frozen=True)
class ModelColumn:
    """One compared package: how it was named and what was read."""

    ref: str
    revision: str | None
    commit: str | None
    name: str | None


@dataclass(frozen=True)
class Row:
    """One fact for every model, in column order."""

    key: str
    """Stable id (``summary.overall``, ``attribute.quality``, ``license``…)."""
    label: str
    values: tuple[Value, ...]

    @property
    def differs(self) -> bool:
        """Whether the models disagree on this fact (what text and Markdown highlight)."""
        return len(set(self.values)) > 1


@dataclass(frozen=True)
class CompareResult:
    """Models side by side: one column per model, one row per fact."""

    models: tuple[ModelColumn, ...]
    rows: tuple[Row, ...]
    task: TaskStage | None = None
    failing: tuple[str, ...] = field(default=())
    """Refs whose audit verdict fails, or whose policy denies: the CLI exits 1 when any."""

    def fails(self) -> bool:
        """The compare gate: a model fails its audit or the policy."""
        return bool(self.failing)

    def row(self, key: str) -> Row:
        """The row called ``key`` (:class:`KeyError` when there is none)."""
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)

    def data(self) -> dict[str, Any]:
        """JSON-ready data: ``{models: [...], rows: [...]}`` (``schemas/compare.schema.json``)."""
        from ptmscope._version import __version__

        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "ptmscope", "version": __version__},
            "models": [
                {"ref": m.ref, "revision": m.revision, "commit": m.commit, "name": m.name}
                for m in self.models
            ],
            "rows": [
                {
                    "key": r.key,
                    "label": r.label,
                    "values": [list(v) if isinstance(v, tuple) else v for v in r.values],
                    "differs": r.differs,
                }
                for r in self.rows
            ],
            "task": None if self.task is None else self.task.data_dict(),
            "failing": list(self.failing),
        }
