"""What ``verify`` is asked to do: data only, so ``audit`` and the CLI can name it
without importing numpy, torch or transformers (the ``[verify]`` extra)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class VerifyOptions:
    """Where claimed datasets are found and how much of them to evaluate."""

    data: Mapping[str, str] = field(default_factory=dict)
    """Dataset name (or ``*``) → local path."""
    columns: Mapping[str, str] = field(default_factory=dict)
    """Role (``text``, ``label``, ``tokens``…) → column name."""
    limit: int | None = None
    """Evaluate at most this many examples per dataset."""
    seed: int = 0
    batch_size: int = 32
    hub_datasets: bool = True
    """Fetch claimed datasets from the Hub when no local data is given."""
