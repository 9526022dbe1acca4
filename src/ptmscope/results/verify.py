"""What ``verify`` says about each claim, and the result the command returns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum


class ClaimVerdict(StrEnum):
    """How a re-measured value compares with the claimed one."""

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
    """One claim, re-measured (or why it could not be)."""

    task: str | None
    dataset: str | None
    config: str | None
    split: str | None
    metric: str
    claimed: float | None
    measured: float | None
    ci: tuple[float, float] | None
    n: int
    verdict: ClaimVerdict
    reason: str
    source: str
    """Where the claim came from: ``model-index``, ``eval_results``, ``prose``, ``table``."""
    location: str


@dataclass(frozen=True)
class VerifyResult:
    """What ``ptmscope verify`` (or :func:`ptmscope.verify`) returns for one package."""

    ref: str
    commit: str | None
    claims: tuple[ClaimResult, ...]

    def __iter__(self) -> Iterator[ClaimResult]:
        return iter(self.claims)

    def __len__(self) -> int:
        return len(self.claims)

    @property
    def over_claimed(self) -> tuple[ClaimResult, ...]:
        return tuple(c for c in self.claims if c.verdict is ClaimVerdict.OVER_CLAIMED)

    def fails(self, threshold: ClaimVerdict = ClaimVerdict.OVER_CLAIMED) -> bool:
        """The verify gate: a claim the measurement contradicts (over-claimed by default;
        ``UNDER_CLAIMED`` also fails on under-claims, as any discrepancy)."""
        failing = {ClaimVerdict.OVER_CLAIMED}
        if threshold is ClaimVerdict.UNDER_CLAIMED:
            failing.add(ClaimVerdict.UNDER_CLAIMED)
        return any(c.verdict in failing for c in self.claims)
