"""Risk · no or empty model card."""

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
from ptmscope.probes.cues import card_decidable
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="risk.card_missing",
    kind=ProbeKind.RISK,
    short="No or empty model card",
    motivation=(
        "Without a card nobody states what the model is for, what it was trained on or what it "
        "claims: the publisher can later deny any of it (the study found ~80% of packages "
        "missing or inadequately documented)."
    ),
    implementation=(
        "Detected when README.md is absent, or its body has no words once template "
        "boilerplate, placeholders and comments are removed and it has no YAML metadata."
    ),
    remediation="Write a model card (README.md) with YAML metadata and the sections of the Hub template, filled in.",
    severity=Severity.HIGH,
    stride=(Stride.REPUDIATION,),
)


def run(package: Package) -> Finding:
    card = package.card
    if card is None:
        if not card_decidable(package):
            return unknown(DEFINITION, "README.md is present only as an LFS pointer")
        return detected(DEFINITION, "the package has no model card (README.md)")
    if card.words == 0 and not card.metadata:
        evidence = [
            Evidence(card.path, f"{card.boilerplate_lines} template/placeholder lines, no content")
        ]
        return detected(DEFINITION, "the model card is empty or template-only", evidence)
    return clear(DEFINITION, f"model card with {card.words} words of content")


PROBE = Probe(DEFINITION, run)
