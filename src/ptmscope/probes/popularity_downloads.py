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
        "Relative to the registry, as npms does: score = the package's download percentile in "
        "the registry baseline ÷ 10 (the baseline shipped with ptmscope is the Hub listing of "
        "the study's crawl, downloads as of 2023-10; `audit --baseline DB` ranks against a "
        "`study` database instead). Without a baseline: 10 × log10(1 + downloads) / "
        f"log10(1 + {SATURATION:,}). Unknown without registry metadata (`--metadata`)."
    ),
    remediation="Popularity is earned, not fixed; for private models, attach registry metadata.",
)


def log_score(count: int, saturation: int) -> float:
    return round(min(10.0, 10.0 * math.log10(1 + max(0, count)) / math.log10(1 + saturation)), 2)


def run(package: Package) -> Finding:
    meta = package.metadata
    if meta is None or meta.downloads is None:
        return Finding(DEFINITION.id, Outcome.UNKNOWN, "no registry download count")
    return ranked(DEFINITION, package, "downloads", meta.downloads, SATURATION, meta.origin)


def ranked(
    definition: Definition, package: Package, kind: str, count: int, saturation: int, origin: str
) -> Finding:
    """A popularity finding: the count's percentile in the package's registry baseline, or
    the log score when the baseline has no points for ``kind``."""
    percentile = package.baseline.percentile(kind, count) if package.baseline else None
    if percentile is None:
        score = log_score(count, saturation)
        message = f"{count:,} {kind}"
    else:
        score = round(percentile / 10.0, 2)
        message = f"{count:,} {kind}: more than {percentile:.0f}% of the registry baseline"
    detail = f"{kind}={count:,}" + (
        f"; baseline: {package.baseline.source}"
        if percentile is not None and package.baseline
        else ""
    )
    return Finding(definition.id, Outcome.PRESENT, message, (Evidence(origin, detail),), score)


PROBE = Probe(DEFINITION, run)
