"""Facts a chooser compares that no single probe owns: how a reference names a revision and
how many parameters a package holds when it ships the same weights in several formats."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path


def split_ref(ref: str) -> tuple[str, str | None]:
    """``path@rev`` → (``path``, ``rev``) when ``path`` is a local folder and ``path@rev`` is
    not; anything else is returned as it is (a Hub id keeps its ``@rev``: the Hub source
    reads it)."""
    if Path(ref).expanduser().exists() or "@" not in ref:
        return ref, None
    path, _, revision = ref.rpartition("@")
    if path and revision and Path(path).expanduser().is_dir():
        return path, revision
    return ref, None


def parameter_count(weights: Iterable[tuple[str, str, int | None]]) -> int | None:
    """Parameters of the model: the largest per-format total of ``(format, role, parameters)``
    weight files, training state left out.

    A package often ships one model as safetensors, a PyTorch pickle and Flax/TF files;
    adding them all would count it three times. ``None`` when no header gave a count.
    """
    totals: dict[str, int] = defaultdict(int)
    for fmt, role, parameters in weights:
        if role == "weights" and parameters:
            totals[fmt] += parameters
    return max(totals.values()) if totals else None
