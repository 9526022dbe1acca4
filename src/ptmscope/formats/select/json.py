"""Select as JSON (``schemas/select.schema.json``): the ranking, its baselines and policy."""

from __future__ import annotations

import json
from typing import Any

from ptmscope._version import __version__
from ptmscope.results.select import SelectResult

SCHEMA_VERSION = "1.1.0"
"""The version of the JSON shape (``schema_version`` in the output)."""


def build(result: SelectResult) -> dict[str, Any]:
    """The ranking as JSON-ready data (the renderers' one reading of the result)."""
    population = result.population
    policy = result.policy
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ptmscope", "version": __version__},
        "task": result.task,
        "db": result.db,
        "population": {
            "registry": population.registry,
            "task": population.task,
            "eligible": population.eligible,
            "with_downloads": population.with_downloads,
            "with_likes": population.with_likes,
            "with_card_factors": population.with_card_factors,
            "with_created": population.with_created,
            "with_modified": population.with_modified,
            "with_activity": population.with_activity,
        },
        "weights": {
            "quality": result.weights.quality,
            "popularity": result.weights.popularity,
            "maintenance": result.weights.maintenance,
        },
        "candidates": [
            {
                "rank": c.rank,
                "id": c.id,
                "score": c.score,
                "subscores": {
                    "quality": c.subscores.quality,
                    "popularity": c.subscores.popularity,
                    "maintenance": c.subscores.maintenance,
                },
                "downloads": c.downloads,
                "size": c.size,
                "reasons": [{"source": r.source.value, "text": r.text} for r in c.reasons],
            }
            for c in result.candidates
        ],
        "baselines": {
            b.name: {"ids": list(b.ids), "tau": b.tau, "known": b.known, "note": b.note}
            for b in result.baselines
        },
        "policy": None
        if policy is None
        else {
            "origin": policy.origin,
            "sha256": policy.digest,
            "judged": list(policy.judged),
            "not_judged": [{"rule": rule, "why": why} for rule, why in policy.not_judged],
            "excluded": [
                {"rule": e.rule, "violated": e.violated, "unknown": e.unknown}
                for e in policy.excluded
            ],
        },
        "notes": list(result.notes),
        "transfer": None if result.transfer is None else result.transfer.data_dict(),
    }


class SelectJson:
    """The ranking with every sub-score, reason, baseline and the policy as used."""

    def render(self, result: SelectResult) -> str:
        """Indented JSON."""
        return json.dumps(build(result), indent=2) + "\n"
