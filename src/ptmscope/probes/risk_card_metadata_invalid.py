"""Risk · card metadata that does not parse."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import (
    Definition,
    Evidence,
    Finding,
    Probe,
    Severity,
    Stride,
    clear,
    detected,
    unknown,
)
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="risk.card_metadata_invalid",
    kind=ProbeKind.RISK,
    short="Card metadata does not parse",
    motivation=(
        "The Hub and its clients silently drop metadata they cannot parse (ModelCard.load raises "
        "or drops every claim), so licence, lineage and results vanish from every tool."
    ),
    implementation="Detected when the README's YAML front matter is not valid YAML or not a mapping.",
    remediation="Fix the YAML front matter (the error and its line are in the evidence) and validate it with a YAML linter.",
    severity=Severity.MEDIUM,
    stride=(Stride.REPUDIATION,),
)


def run(package: Package) -> Finding:
    card = package.card
    if card is None:
        return unknown(DEFINITION, "no model card")
    if card.metadata_error:
        return detected(
            DEFINITION,
            "card front matter does not parse",
            [Evidence(card.path, card.metadata_error)],
        )
    if not card.has_front_matter:
        return clear(DEFINITION, "card has no front matter to parse")
    return clear(DEFINITION, "card front matter parses")


PROBE = Probe(DEFINITION, run)
