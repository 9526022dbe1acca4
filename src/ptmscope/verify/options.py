"""What ``verify`` is asked to do: data only, so ``audit`` and the CLI can name it
without importing numpy, torch or transformers (the ``[verify]`` extra)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ptmscope.errors import InputError


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
    quiet_libraries: bool = False
    """Silence transformers' and the Hub client's own loading bars and warnings (the CLI
    does: its progress line and report are what a user reads)."""

    def __post_init__(self) -> None:
        """Refuse counts that would evaluate nothing, before any model is loaded."""
        if self.limit is not None and self.limit <= 0:
            raise InputError(f"limit must be positive (got {self.limit})")
        if self.batch_size <= 0:
            raise InputError(f"batch_size must be positive (got {self.batch_size})")
