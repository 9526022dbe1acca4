"""Verify as JSON: one object per claim (``schemas/verify.schema.json``)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ptmscope._version import __version__
from ptmscope.results.verify import ClaimVerdict, VerifyResult

SCHEMA_VERSION = "1.0.0"
"""The version of the JSON shape (``schema_version`` in the output)."""

DIGITS = 6
"""Decimals kept of claimed and measured values (beyond them is sampling noise)."""


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def build(result: VerifyResult) -> dict[str, Any]:
    """The verify report as JSON-ready data."""
    counts = Counter(r.verdict.value for r in result.claims)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ptmscope", "version": __version__},
        "package": {"ref": result.ref, "commit": result.commit},
        "summary": {v.value: counts.get(v.value, 0) for v in ClaimVerdict},
        "claims": [
            {
                "task": r.task,
                "dataset": r.dataset,
                "config": r.config,
                "split": r.split,
                "metric": r.metric,
                "claimed": _round(r.claimed),
                "measured": _round(r.measured),
                "ci": None if r.ci is None else [_round(r.ci[0]), _round(r.ci[1])],
                "n": r.n,
                "verdict": r.verdict.value,
                "reason": r.reason,
                "source": r.source,
                "location": r.location,
            }
            for r in result.claims
        ],
    }


class VerifyJson:
    """Every claim with its claimed and measured value, interval, verdict and reason."""

    def render(self, result: VerifyResult) -> str:
        """Indented JSON."""
        return json.dumps(build(result), indent=2) + "\n"
