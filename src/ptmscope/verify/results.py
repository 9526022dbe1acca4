"""What ``verify`` says about each claim."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    CONSISTENT = "consistent"
    OVER_CLAIMED = "over-claimed"
    """The claim is better than every value the measurement allows."""
    UNDER_CLAIMED = "under-claimed"
    INCONCLUSIVE = "inconclusive"
    """The interval is too wide to decide (too few examples)."""
    UNVERIFIABLE = "unverifiable"
    """No recipe, no data, or a model that cannot be run safely: the reason says which."""


@dataclass(frozen=True)
class ClaimResult:
    task: str | None
    dataset: str | None
    config: str | None
    split: str | None
    metric: str
    claimed: float | None
    measured: float | None
    ci: tuple[float, float] | None
    n: int
    verdict: Verdict
    reason: str
    source: str
    """Where the claim came from: ``model-index``, ``eval_results``, ``prose``, ``table``."""
    location: str
