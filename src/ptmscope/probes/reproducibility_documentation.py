"""Reproducibility · documentation: a card that covers what a reuser needs, in its own words."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ptmscope.package import Card, Package
from ptmscope.probes.base import Definition, Evidence, Finding, Outcome, Probe
from ptmscope.probes.cues import card_decidable, fold_pattern
from ptmscope.vocab import ProbeKind

MIN_TOPICS = 3
"""Topics a card must cover to count as documentation (of the seven below)."""

TOPICS: tuple[tuple[str, str, str | None], ...] = (
    ("what the model is", r"model (description|details|summary|card)|overview|about|introduction|^description|^summary|what'?s this", r"\b(is|are) (a|an|the first|one of)\b.{0,60}\b(model|version|pipeline|checkpoint|network)\b"),
    ("intended use", r"intended|\buses\b|use[- ]cases?|applications?|out[- ]of[- ]scope|(direct|downstream) use", r"\b(intended|suitable|designed|can be used|is meant) (for|to)\b"),
    ("training data", r"\bdata(sets?)?\b|corp(us|ora)", r"^\W*(training )?datasets?\W*:\W*\S|\b(trained|pre-?trained|fine-?tuned) on\b"),
    ("training procedure", r"training|pre-?training|fine-?tuning|\bmethod|pre-?processing|procedure", r"^\W*(pre-?processing|model|training)\W*:\W*\S|\b(trained|fine-?tuned|pre-?trained) (for|with|using)\b"),
    ("evaluation", r"evaluat|results?\b|performance|benchmarks?|metrics|scores?\b|accuracy|comparison", r"\b(evaluated|achieves|scores?|accuracy|f1|bleu|wer)\b.{0,40}\d"),
    ("limitations", r"limitations?|\bbias|risks?\b|ethic|caveats?|considerations|warning|disclaimer", r"\b(limitations?|biase[sd]|toxic\w*|caveats?|should not be used|may (produce|generate|contain))\b"),
    ("how to use", r"how to|usage|\buse (the|this|it)|getting started|quick ?start|examples?|inference|demo", None),
)  # fmt: skip
"""(topic, heading pattern, line pattern): a filled section under a matching heading (or
with filled subsections), or a line of the card's own prose, covers the topic."""

_GENERATED_LINE = re.compile(
    r"fine-?tuned version of|achieves the following results|generated automatically|"
    r"the model was trained with the parameters|for an automated evaluation of this model"
    r"|you can use curl to access this model|this is a trained model of a \S+ agent"
)
"""Sentences the Trainer and the sentence-transformers template write themselves (lower
case: matched against the card's case-folded text)."""
_USE_CODE = re.compile(
    r"from_pretrained\(|pipeline\(|sentencetransformer\(|\.load\(|load_from_hub\("
)

GENERATED_SECTIONS = re.compile(
    r"^(training hyper-?parameters|training results|framework versions|full model architecture"
    r"|usage \((sentence-transformers|huggingface transformers)\)|citing & authors"
    r"|validation metrics|usage \(with sb3 rl zoo\)|training \(with the rl zoo\)|hyperparameters)$",
    re.IGNORECASE,
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
        "by a filled section under a matching heading (5+ real words or a code block, or a "
        "filled subsection; template boilerplate and placeholders removed) or by the card's own "
        "prose (usage code counts for how to use). What a tool wrote by itself never counts: "
        "the Trainer's, AutoTrain's, sentence-transformers' and the RL Zoo's generated "
        "sections and sentences."
    ),
    remediation=(
        "Fill in the card: what the model does, intended uses and limits, training data and "
        "procedure, evaluation, how to use it. Delete unfilled template sections."
    ),
)

_HEADINGS = tuple(re.compile(h, re.IGNORECASE) for _, h, _ in TOPICS)
_LINES = tuple(re.compile(fold_pattern(p), re.MULTILINE) if p else None for _, _, p in TOPICS)


def _filled_with_children(card: Card) -> list[bool]:
    """A section counts as filled when it, or a subsection under it, says something."""
    sections = card.sections
    filled = [s.filled for s in sections]
    for i, section in enumerate(sections):
        for later in sections[i + 1 :]:
            if later.level <= section.level:
                break
            if later.filled and not GENERATED_SECTIONS.match(later.title.strip(" #*:")):
                filled[i] = True
                break
    return filled


def _line_numbers(card: Card, in_code: bool, pattern: re.Pattern[str]) -> Iterator[int]:
    """README lines (prose or code) where ``pattern`` matches, lazily, scanning the card's
    joined case-folded text (patterns are folded to match it)."""
    text = card.searchable(in_code)
    return (card.line_at(in_code, m.start()).number for m in pattern.finditer(text))


def covered(card: Card) -> dict[str, Evidence]:
    """Each topic the card covers in its own words, with where.

    Each pattern scans the card's joined text once (not line by line): this probe runs on
    every card of a registry study.
    """
    found: dict[str, Evidence] = {}
    marked = set(_line_numbers(card, False, _GENERATED_LINE))
    generated: set[int] = set()
    for section, filled in zip(card.sections, _filled_with_children(card), strict=True):
        title = section.title.strip(" #*:")
        body = range(section.line, section.end_line + 1)
        if GENERATED_SECTIONS.match(title) or any(n in body for n in marked):
            generated.update(body)
            continue
        if not filled:
            continue
        for (topic, _, _), heading in zip(TOPICS, _HEADINGS, strict=True):
            if topic not in found and heading.search(title):
                found[topic] = Evidence(f"{card.path}:{section.line}", f"{topic}: '{title[:60]}'")
    skip = generated | marked
    for (topic, _, _), pattern in zip(TOPICS, _LINES, strict=True):
        if topic in found or pattern is None:
            continue
        line = next((n for n in _line_numbers(card, False, pattern) if n not in skip), None)
        if line is not None:
            found[topic] = Evidence(f"{card.path}:{line}", f"{topic}: in the text")
    if "how to use" not in found:
        line = next((n for n in _line_numbers(card, True, _USE_CODE) if n not in generated), None)
        if line is not None:
            found["how to use"] = Evidence(f"{card.path}:{line}", "how to use: code")
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
