"""Quality · card metadata: structured facts a registry and tools can read."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence, Finding, Outcome, Probe
from ptmscope.vocab import ProbeKind

KEYS = (
    "license",
    "pipeline_tag",
    "library_name",
    "tags",
    "datasets",
    "language",
    "base_model",
    "model-index",
)

DEFINITION = Definition(
    id="quality.card_metadata",
    kind=ProbeKind.SIGNAL,
    attribute="quality",
    short="Card metadata",
    motivation=(
        "Search, filters, licence checks and lineage on the Hub all read the card's YAML; a "
        "card without valid metadata is invisible to them."
    ),
    implementation=(
        f"0 if there is no front matter or it does not parse; otherwise 10 × the share of "
        f"{len(KEYS)} key fields present ({', '.join(KEYS)}), at least 1."
    ),
    remediation="Add YAML front matter with license, pipeline_tag, library_name, datasets, language and base_model.",
)


def run(package: Package) -> Finding:
    card = package.card
    if card is None:
        return Finding(DEFINITION.id, Outcome.MISSING, "no model card", (), 0.0)
    if card.metadata_error:
        evidence = (Evidence(card.path, card.metadata_error),)
        return Finding(DEFINITION.id, Outcome.MISSING, "front matter does not parse", evidence, 0.0)
    if not card.metadata:
        return Finding(DEFINITION.id, Outcome.MISSING, "card has no YAML front matter", (), 0.0)
    present = [k for k in KEYS if card.metadata.get(k) not in (None, "", [], {})]
    score = max(1.0, 10.0 * len(present) / len(KEYS))
    message = f"{len(present)} of {len(KEYS)} key fields: {', '.join(present) or 'none'}"
    return Finding(
        DEFINITION.id, Outcome.PRESENT, message, (Evidence(card.path, message),), round(score, 2)
    )


PROBE = Probe(DEFINITION, run)
