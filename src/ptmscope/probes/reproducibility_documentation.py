"""Reproducibility · documentation: a card that actually says something."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence, Finding, Outcome, Probe
from ptmscope.probes.cues import card_decidable
from ptmscope.vocab import ProbeKind

MIN_WORDS = 100
MIN_FILLED_SECTIONS = 3

DEFINITION = Definition(
    id="reproducibility.documentation",
    kind=ProbeKind.FACTOR,
    attribute="reproducibility",
    factor="documentation",
    short="Documentation",
    motivation=(
        "11 of 12 practitioners met inadequate documentation; a heading-only template card "
        "looks complete to keyword checks but tells the reader nothing."
    ),
    implementation=(
        f"Present if, after removing template boilerplate, placeholders, comments and code, "
        f"the card body has at least {MIN_WORDS} words and {MIN_FILLED_SECTIONS} filled "
        "sections (5+ words or a code block)."
    ),
    remediation=(
        "Fill in the card: what the model does, intended uses and limits, training data and "
        "procedure, evaluation, how to use it. Delete unfilled template sections."
    ),
)


def run(package: Package) -> Finding:
    card = package.card
    if card is None:
        if not card_decidable(package):
            return Finding(DEFINITION.id, Outcome.UNKNOWN, "the model card text is not available")
        return Finding(DEFINITION.id, Outcome.MISSING, "no model card (README.md)", (), 0.0)
    filled = [s for s in card.sections if s.filled]
    detail = (
        f"{card.words} words, {len(filled)} of {len(card.sections)} sections filled, "
        f"{card.boilerplate_lines} boilerplate lines discounted"
    )
    evidence = (Evidence(card.path, detail),)
    if card.words >= MIN_WORDS and len(filled) >= MIN_FILLED_SECTIONS:
        return Finding(
            DEFINITION.id, Outcome.PRESENT, f"card documents the model: {detail}", evidence, 10.0
        )
    return Finding(DEFINITION.id, Outcome.MISSING, f"card is too thin: {detail}", evidence, 0.0)


PROBE = Probe(DEFINITION, run)
