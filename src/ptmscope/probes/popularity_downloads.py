"""Popularity · downloads: how many people already pull this model."""

from __future__ import annotations

import math

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence, Finding, Outcome, Probe
from ptmscope.vocab import ProbeKind

SATURATION = 1_000_000
"""Monthly downloads that earn 10/10 (the Hub's top ~0.1% in 2023)."""

DEFINITION = Definition(
    id="popularity.downloads",
    kind=ProbeKind.SIGNAL,
    attribute="popularity",
    short="Downloads",
    motivation=(
        "Practitioners named popularity the most useful signal: widely used models have been "
        "exercised, discussed and fixed by others."
    ),
    implementation=(
        f"Score = 10 × log10(1 + monthly downloads) / log10(1 + {SATURATION:,}), capped at 10. "
        "Unknown without registry metadata (`--metadata`)."
    ),
    remediation="Popularity is earned, not fixed; for private models, attach registry metadata.",
)


def log_score(count: int, saturation: int) -> float:
    return round(min(10.0, 10.0 * math.log10(1 + max(0, count)) / math.log10(1 + saturation)), 2)


def run(package: Package) -> Finding:
    meta = package.metadata
    if meta is None or meta.downloads is None:
        return Finding(DEFINITION.id, Outcome.UNKNOWN, "no registry download count")
    score = log_score(meta.downloads, SATURATION)
    evidence = (Evidence(meta.origin, f"downloads={meta.downloads:,}"),)
    return Finding(DEFINITION.id, Outcome.PRESENT, f"{meta.downloads:,} downloads", evidence, score)


PROBE = Probe(DEFINITION, run)
