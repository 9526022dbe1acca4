"""Reproducibility · documentation: a card that covers what a reuser needs, in its own words."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from ptmscope.package import Card, Package, fold_case
from ptmscope.probes.base import Definition, Evidence, Finding, Outcome, Probe
from ptmscope.probes.cues import card_decidable, search_pattern, split_alternatives
from ptmscope.vocab import ProbeKind

MIN_TOPICS = 3
"""Topics a card must cover to count as documentation (of the seven below)."""
PROSE_HEADING_WORDS = 6
"""A heading this long is a sentence written as a heading, read as the card's text."""

TOPICS: tuple[tuple[str, str, str | None], ...] = (
    ("what the model is", r"model (description|details|summary|card|info(rmation)?)|overview|about|introduction|^description|^summary|what'?s this|模型(信息|介绍|简介|描述)", r"\b(is|are) (a|an|the first|one of)\b.{0,60}\b(models?|version|pipelines?|checkpoints?|networks?)\b|^\W*([\w\[\]'’-]+ ){0,5}(models?|pipelines?|checkpoints?) (for|from|based on|that|which|trained|pre-?trained|fine-?tuned|optimi[sz]ed|using)\b|(此|该|本|这个)模型"),
    ("intended use", r"intended|\buses\b|use[- ]cases?|applications?|out[- ]of[- ]scope|(direct|downstream) use", r"\b(intended|suitable|designed|can be used|is meant) (for|to)\b|适用于|用于"),
    ("training data", r"\bdata(sets?)?\b|corp(us|ora)", r"^\W*(training )?data( ?sets?)?\W*:\W*\S|\b(trained|pre-?trained|fine-?tuned) on\b|\btraining data\b|^\|\W*(training )?(data ?sets?|sources|corpus|corpora|training data)\W*\|\s*\S|\b(pre-?train|fine-?tun|train)\w*\b.{0,60}\b(on|using|with) (?!(another|other|your|a new|new|any|downstream|a specific|custom)\b).{0,40}\b(data|data ?sets?|corpus|corpora|images|texts|utterances|sentences|pairs|hours)\b|数据集"),
    ("training procedure", r"training|pre-?training|(^|\s)fine[-_ ]?tun(ing|ed)\b|\bmethod|pre-?processing|procedure", r"^\W*(pre-?processing|model|training)\W*:\W*\S|\b(trained|fine-?tuned|pre-?trained) (for|with|using)\b|\btrained by\b.{0,40}\b(using|with)\b|\b(used|settings?) (in|for) training\b|\bfor training the model\b|\btrain(ing)? script\b|\b\d+ (epochs|steps)\b|\blearning rate\b.{0,20}\d|\bgrid search\b|蒸馏|训练"),
    ("evaluation", r"evaluat|results?\b|performance|benchmarks?|metrics|scores?\b|accuracy|comparison", r"\b(evaluated|achieves|scores?|accuracy|f1|bleu|wer)\b.{0,40}\d|\btest results?\b"),
    ("limitations", r"limitations?|\bbias|risks?\b|ethic|caveats?|considerations|warning|disclaimer|\bnotice\b", r"\b(limitations?|biase[sd]|toxic\w*|caveats?|should not be used|may (produce|generate|contain))\b|\b(performed|performs|works) poorly\b|\b(still in progress|experimental)\b|过拟合"),
    ("how to use", r"how to|usage|\buse (the|this|it)|getting started|quick ?start|examples?|inference|demo|prompts?", r"\bwhen using this model\b|\byou can use (the|this) model\b|^\W*prompt with\b"),
)  # fmt: skip
"""(topic, heading pattern, line pattern): a filled section under a matching heading (or
with filled subsections), or a line of the card's own prose, covers the topic. Headings are
matched as written; lines are matched case-folded with link targets removed."""

_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
"""A Markdown link's target: dropped before matching, so a URL never splits a phrase."""

_PLACEHOLDER = re.compile(r"^\s*<[A-Z][A-Z0-9 ,.'/()_-]{7,}", re.MULTILINE)
"""An unfilled template instruction in angle brackets (``<DESCRIBE THE MODEL>``)."""

_ABSTRACT = re.compile(r"^\W*abstract\W*$")
"""A paper's abstract quoted in the card: the paper's words, not the card's."""

_REUSER_TRAINING = re.compile(
    r"down-?stream|your own|how to (train|fine-?tune)|fine-?tun\w* (it|this model|on your)"
)
"""Headings about how a reuser adapts the model: fine-tuning instructions, not how this
model was trained."""

_GENERATED_LINE = re.compile(
    r"^\W*this model is a fine-?tuned version of|achieves the following results|generated automatically|"
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
_LINES = tuple(split_alternatives(p) if p else () for _, _, p in TOPICS)
"""Each topic's line pattern as alternatives, each skipped unless its literals occur."""
_DESCRIPTION = TOPICS[0][0]


def _filled_with_children(card: Card, template: set[int]) -> list[bool]:
    """A section counts as filled when it, or a subsection under it, says something (a
    section holding a template placeholder says nothing)."""
    sections = card.sections
    filled = [s.filled and s.line not in template for s in sections]
    for i, section in enumerate(sections):
        for later in sections[i + 1 :]:
            if later.level <= section.level:
                break
            if (
                later.filled
                and later.line not in template
                and not GENERATED_SECTIONS.match(later.title.strip(" #*:"))
            ):
                filled[i] = True
                break
    return filled


@dataclass(frozen=True)
class _Prose:
    """The card's prose, case-folded, with link targets removed, and each line's number."""

    text: str
    starts: list[int]
    numbers: list[int]

    @classmethod
    def of(cls, card: Card) -> _Prose:
        lines = [line for line in card.lines if not line.in_code]
        text = card.searchable(False)
        if "](" in text:
            text = _LINK_TARGET.sub("]", text)
        starts = [0]
        starts.extend(m.end() for m in re.finditer("\n", text))
        return cls(text, starts, [line.number for line in lines])

    def numbers_matching(self, pattern: re.Pattern[str]) -> Iterator[int]:
        """README lines where ``pattern`` matches, lazily, in one scan of the joined text."""
        return (
            self.numbers[bisect_right(self.starts, m.start()) - 1]
            for m in pattern.finditer(self.text)
        )


def _not_the_cards_words(card: Card) -> tuple[set[int], set[int]]:
    """Lines that are not the card's own words, and headings of template sections.

    A section holding a template placeholder (``<DESCRIBE …>``) is unfilled as a whole (its
    example text included); a quoted paper abstract is the paper's, not the card's.
    """
    skipped: set[int] = set()
    template: set[int] = set()
    folded = card.searchable(False)
    if "<" not in folded and "abstract" not in folded:
        return skipped, template
    prose = [line for line in card.lines if not line.in_code]
    for line in prose:
        if _PLACEHOLDER.match(line.text):
            section = card.section_for_line(line.number)
            if section is not None:
                template.add(section.line)
                skipped.update(range(section.line + 1, section.end_line + 1))
            else:
                skipped.add(line.number)
        elif _ABSTRACT.match(fold_case(line.text)):
            section = card.section_for_line(line.number)
            end = section.end_line if section is not None else line.number
            if section is not None and section.line == line.number:
                template.add(section.line)
            skipped.update(range(line.number, end + 1))
    return skipped, template


def covered(card: Card) -> dict[str, Evidence]:
    """Each topic the card covers in its own words, with where.

    One piece of text covers one topic: the lines that describe the model (a description
    section, or a sentence saying what the model is) do not also count as its training data
    or intended use through a passing mention. Each pattern scans the card's joined text
    once (not line by line): this probe runs on every card of a registry study.
    """
    found: dict[str, Evidence] = {}
    prose = _Prose.of(card)
    marked = set(prose.numbers_matching(_GENERATED_LINE))
    skipped, template = _not_the_cards_words(card)
    generated: set[int] = set()
    claimed: set[int] = set()
    for section, filled in zip(card.sections, _filled_with_children(card, template), strict=True):
        title = section.title.strip(" #*:")
        body = range(section.line, section.end_line + 1)
        if GENERATED_SECTIONS.match(title) or any(n in body for n in marked):
            generated.update(body)
            continue
        if not filled or section.line in template:
            continue
        for (topic, _, _), heading in zip(TOPICS, _HEADINGS, strict=True):
            if topic in found or not heading.search(title):
                continue
            if topic == "training procedure" and _REUSER_TRAINING.search(fold_case(title)):
                continue
            found[topic] = Evidence(f"{card.path}:{section.line}", f"{topic}: '{title[:60]}'")
            if topic == _DESCRIPTION:
                claimed.update(body)
            break
    skip = generated | marked | skipped | _titles(card)
    for (topic, _, _), alternatives in zip(TOPICS, _LINES, strict=True):
        pattern = search_pattern(alternatives, prose.text) if topic not in found else None
        if pattern is None:
            continue
        line = next(
            (n for n in prose.numbers_matching(pattern) if n not in skip and n not in claimed),
            None,
        )
        if line is not None:
            found[topic] = Evidence(f"{card.path}:{line}", f"{topic}: in the text")
            if topic == _DESCRIPTION:
                claimed.add(line)
    if "how to use" not in found:
        line = next(
            (n for n in _code_lines(card, _USE_CODE) if n not in generated and n not in skipped),
            None,
        )
        if line is not None:
            found["how to use"] = Evidence(f"{card.path}:{line}", "how to use: code")
    return found


def _titles(card: Card) -> set[int]:
    """Heading lines that are titles, not text: a heading alone never covers a topic (some
    cards write whole sentences as headings; those of :data:`PROSE_HEADING_WORDS` words or
    more are read as text)."""
    return {s.line for s in card.sections if len(s.title.split()) < PROSE_HEADING_WORDS}


def _code_lines(card: Card, pattern: re.Pattern[str]) -> Iterator[int]:
    text = card.searchable(True)
    return (card.line_at(True, m.start()).number for m in pattern.finditer(text))


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
