"""Words that cross module boundaries, as string enums.

Each value is what the JSON outputs carry, so a schema's ``enum`` and the Python
enum can be compared by a test (tests/test_vocab.py) and never drift apart.
They compare equal to their plain strings, so ``package.source == "git"`` keeps
working for callers that hold strings.
"""

from __future__ import annotations

from enum import StrEnum


class SourceKind(StrEnum):
    """Where a package was read from."""

    LOCAL = "local"
    """A folder on disk (a Hub cache snapshot included)."""
    GIT = "git"
    """A git repository at a revision (its history and signatures are known)."""
    HUB = "hub"
    """A Hub-compatible endpoint read over HTTP (``huggingface_hub``)."""
    RECORD = "record"
    """A registry record only: card, config and file names, no weights."""


class ProbeKind(StrEnum):
    """What a probe answers."""

    FACTOR = "factor"
    """A Table I documentation factor: present or missing."""
    SIGNAL = "signal"
    """A measured 0–10 value (downloads, commit activity…)."""
    RISK = "risk"
    """A risk: detected or clear, with a severity and STRIDE categories."""


class ScorecardVerdict(StrEnum):
    """What the scorecard advises a reuser."""

    PASS = "pass"
    REVIEW = "review"
    """A high risk, or an overall score under 5 (or none at all)."""
    FAIL = "fail"
    """A critical risk."""


class WeightRole(StrEnum):
    """What a serialized file is for."""

    WEIGHTS = "weights"
    TRAINING_STATE = "training-state"
    """Optimizer, scheduler, ``training_args.bin``: pickles, not the model."""
