"""Popularity · likes: how many people vouch for this model."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Finding, Outcome, Probe
from ptmscope.probes.popularity_downloads import ranked
from ptmscope.vocab import ProbeKind

SATURATION = 1_000

DEFINITION = Definition(
    id="popularity.likes",
    kind=ProbeKind.SIGNAL,
    attribute="popularity",
    short="Likes",
    motivation="Likes are a deliberate endorsement, harder to inflate by CI pulls than downloads.",
    implementation=(
        "The like percentile in the registry baseline ÷ 10 when the baseline counts likes "
        "(a `study` database via `audit --baseline`); else 10 × log10(1 + likes) / "
        f"log10(1 + {SATURATION:,}), capped at 10. Unknown without registry metadata."
    ),
    remediation="Popularity is earned, not fixed; for private models, attach registry metadata.",
)


def run(package: Package) -> Finding:
    meta = package.metadata
    if meta is None or meta.likes is None:
        return Finding(DEFINITION.id, Outcome.UNKNOWN, "no registry like count")
    return ranked(DEFINITION, package, "likes", meta.likes, SATURATION, meta.origin)


PROBE = Probe(DEFINITION, run)
