"""What ``ptmscope select`` returns: a task's candidates ranked from a study database.

Every number here was computed by :mod:`ptmscope.selection.select`; renderers only
show it. Sub-scores are shares of the registry population (0 to 1), so a
candidate's 0.9 popularity means its downloads, likes and dependents beat those of
about 90% of the models the database holds, not a fixed threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ptmscope.results.compare import TaskStage


class Source(StrEnum):
    """Where a reason's fact came from, so a reader can weigh it."""

    LISTING = "listing"
    """The registry's listing (downloads, likes, dates, author, the listed licence)."""
    CARD = "card"
    """The model card as its author wrote it (claims, datasets, licence, base models)."""
    STUDY = "study"
    """What ptmscope's probes and the study found in the card and file list (factors,
    serialization, dependents counted over the database)."""
    POLICY = "policy"
    """A policy rule's warning (enforced rules remove candidates instead)."""


@dataclass(frozen=True)
class Reason:
    """One fact behind a candidate's place, marked by where it came from."""

    source: Source
    text: str


@dataclass(frozen=True)
class Subscores:
    """npms-style sub-scores, each a share of the registry population (0 to 1)."""

    quality: float
    popularity: float
    maintenance: float


@dataclass(frozen=True)
class Weights:
    """How the sub-scores are combined (they sum to 1; npms uses 0.30/0.35/0.35)."""

    quality: float
    popularity: float
    maintenance: float


@dataclass(frozen=True)
class Candidate:
    """One ranked candidate: its place, score, sub-scores and the facts behind them."""

    rank: int
    id: str
    score: float
    subscores: Subscores
    reasons: tuple[Reason, ...]
    downloads: int | None = None
    size: int | None = None
    """Parameters, when the database knows them (it does not yet: see the size baseline)."""


@dataclass(frozen=True)
class Baseline:
    """A plain ranking of the same eligible candidates, and how far ours agrees with it."""

    name: str
    """``by_downloads`` or ``by_size``."""
    ids: tuple[str, ...]
    """The baseline's top candidates (as many as ours shows)."""
    tau: float | None
    """Kendall's tau-b between our order and the baseline's, over the candidates whose
    baseline value is known; ``None`` when fewer than two are."""
    known: int
    """Eligible candidates whose baseline value is known."""
    note: str | None = None
    """Why the comparison is weak or missing (most values unknown)."""


@dataclass(frozen=True)
class RuleCount:
    """A policy rule or check that removed candidates, and how many (violated or unknown)."""

    rule: str
    violated: int
    unknown: int


@dataclass(frozen=True)
class PolicyUse:
    """What a policy did to the candidates: what it could judge from the database, and not."""

    origin: str
    digest: str
    judged: tuple[str, ...]
    """Rules and checks applied (enforced ones as hard filters, warnings as reasons)."""
    not_judged: tuple[tuple[str, str], ...]
    """``(rule, why)`` for each rule the database's facts cannot decide: it was not applied,
    and the candidates still need an audit for it."""
    excluded: tuple[RuleCount, ...]


@dataclass(frozen=True)
class Population:
    """Sizes of the populations the sub-scores were normalised against."""

    registry: int
    """Models in the database (listing and cards together)."""
    task: int
    """Models with the task."""
    eligible: int
    """Task models left after the policy's hard filters."""
    with_downloads: int
    with_likes: int
    with_card_factors: int
    with_created: int
    with_modified: int = 0
    """Models whose last change is known (``model_info``'s ``lastModified``)."""
    with_activity: int = 0
    """Models with any date (last change or creation): maintenance's population."""


@dataclass(frozen=True)
class SelectResult:
    """What ``ptmscope select`` (or :func:`ptmscope.api.select`) returns."""

    task: str
    db: str
    population: Population
    weights: Weights
    candidates: tuple[Candidate, ...]
    baselines: tuple[Baseline, ...]
    policy: PolicyUse | None = None
    notes: tuple[str, ...] = ()
    """What the database could not say for this ranking (likes, last-modified dates…)."""
    transfer: TaskStage | None = None
    """The task stage on the user's labelled data (``--data``): LogME and linear-probe
    accuracy of the top candidates that could be fetched (local or through a mirror), with
    each ranking's Kendall tau against the probe; ``None`` without data."""
