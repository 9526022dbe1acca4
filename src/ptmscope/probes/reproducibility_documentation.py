"""Reproducibility · documentation: a card that covers what a reuser needs, in its own words."""

from __future__ import annotations

import re

from ptmscope.package import Card, Package
from ptmscope.probes.base import Definition, Evidence, Finding, Outcome, Probe
from ptmscope.probes.cues import card_decidable
from ptmscope.vocab import ProbeKind

MIN_TOPICS = 3
"""Topics a card must cover to count as documentation (of the seven below)."""

TOPICS: tuple[tuple[str, str, str | None], ...] = (
    ("what the model is", r"model (description|details|summary|card)|overview|about|introduction|^description|^summary", None),
    ("intended use", r"intended|\buses?\b|use[- ]cases?|applications?|out[- ]of[- ]scope|direct use", None),
    ("training data", r"\bdata(sets?)?\b|corp(us|ora)", r"^\W*(training )?datasets?\s*:\s*\S"),
    ("training procedure", r"training|pre-?training|fine-?tuning|\bmethod|pre-?processing|procedure", r"^\W*(pre-?processing|model|training)\s*:\s*\S"),
    ("evaluation", r"evaluat|results?\b|performance|benchmarks?|metrics|scores?\b|accuracy", None),
    ("limitations", r"limitations?|\bbias|risks?\b|ethic|caveats?|considerations|warning", None),
    ("how to use", r"how to|usage|\buse (the|this|it)|getting started|quick ?start|examples?|inference|demo", None),
)  # fmt: skip
"""(topic, heading pattern, line pattern): a filled section under a matching heading, or a
``label: value`` line, covers the topic."""

GENERATED_SECTIONS = re.compile(
    r"^(training hyper-?parameters|training results|framework versions)$", re.IGNORECASE
)
"""Sections the Trainer writes by itself: they document the run, not the model, so they
never make a card "documented" (they count for training config, logs and environment)."""

DEFINITION = Definition(
    id="reproducibility.documentation",
    kind=ProbeKind.FACTOR,
    attribute="reproducibility",
    factor="documentation",
    short="Documentation",
    motivation=(
        "11 of 12 practitioners met inadequate documentation; a heading-only template card "
        "looks complete to keyword checks but tells the reader nothing, and a concise card "
        "that covers the essentials is better than a long one that does not."
    ),
    implementation=(
        f"Judged by what the card covers, not its length: present if it covers at least "
        f"{MIN_TOPICS} of {len(TOPICS)} topics ({', '.join(t for t, _, _ in TOPICS)}), each "
        "by a filled section under a matching heading (5+ real words or a code block, "
        "template boilerplate and placeholders removed) or a `label: value` line for it. The "
        "Trainer's generated sections (hyper-parameters, results, framework versions) do not "
        "count."
    ),
    remediation=(
        "Fill in the card: what the model does, intended uses and limits, training data and "
        "procedure, evaluation, how to use it. Delete unfilled template sections."
    ),
)

_HEADINGS = tuple(re.compile(h, re.IGNORECASE) for _, h, _ in TOPICS)
_LINES = tuple(re.compile(p, re.IGNORECASE) if p else None for _, _, p in TOPICS)


def covered(card: Card) -> dict[str, Evidence]:
    """Each topic the card covers, with where."""
    found: dict[str, Evidence] = {}
    for section in card.sections:
        title = section.title.strip(" #*:")
        if not section.filled or GENERATED_SECTIONS.match(title):
            continue
        for (topic, _, _), heading in zip(TOPICS, _HEADINGS, strict=True):
            if topic not in found and heading.search(title):
                found[topic] = Evidence(f"{card.path}:{section.line}", f"{topic}: '{title[:60]}'")
    for line in card.lines:
        if line.in_code:
            continue
        for (topic, _, _), pattern in zip(TOPICS, _LINES, strict=True):
            if topic not in found and pattern is not None and pattern.search(line.text):
                found[topic] = Evidence(f"{card.path}:{line.number}", f"{topic}: a '{topic}' line")
    return found


def run(package: Package) -> Finding:
    card = package.card
    if card is None:
        if not card_decidable(package):
            return Finding(DEFINITION.id, Outcome.UNKNOWN, "the model card text is not available")
        return Finding(DEFINITION.id, Outcome.MISSING, "no model card (README.md)", (), 0.0)
    found = covered(card)
    missing = [t for t, _, _ in TOPICS if t not in found]
    detail = (
        f"covers {len(found)} of {len(TOPICS)} topics"
        + (f"; not covered: {', '.join(missing)}" if missing else "")
        + f" ({card.words} words, {card.boilerplate_lines} boilerplate lines discounted)"
    )
    evidence = tuple(found.values())
    if len(found) >= MIN_TOPICS:
        return Finding(
            DEFINITION.id, Outcome.PRESENT, f"card documents the model: {detail}", evidence, 10.0
        )
    return Finding(DEFINITION.id, Outcome.MISSING, f"card is too thin: {detail}", evidence, 0.0)


PROBE = Probe(DEFINITION, run)
