"""Evidence search shared by the documentation-factor probes.

A factor is evidenced by a YAML key in the card (or the registry's card data),
a *filled* section under a matching heading, a prose or code line, a file, or a
``config.json`` key. Headings alone never count: template cards have them all.
Lines are searched after template boilerplate was removed (see
:mod:`ptmscope.card.boilerplate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

from ptmscope.package import CardLine, Package, fold_case
from ptmscope.probes.base import (
    MAX_EVIDENCE,
    Definition,
    Evidence,
    Finding,
    Probe,
    factor_result,
)
from ptmscope.probes.literals import required_literals


def fold_pattern(pattern: str) -> str:
    """Lower-case a pattern's literals, leaving escapes (``\\S``, ``\\W``, ``\\b``) alone."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        else:
            out.append(pattern[i].lower())
            i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def _compile(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive alternation, to be matched against case-folded text."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fold_pattern(p)})" for p in patterns), re.MULTILINE)


@lru_cache(maxsize=512)
def _prefilters(patterns: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    """Each pattern with the literals one of which it requires (``None``: none required),
    longest first (the rarest, so the test fails fast)."""
    found = []
    for p in patterns:
        literals = required_literals(fold_pattern(p))
        found.append((p, None if literals is None else tuple(sorted(literals, key=len)[::-1])))
    return tuple(found)


def _present(literals: tuple[str, ...] | None, text: str) -> bool:
    if literals is None:
        return True
    for literal in literals:  # noqa: SIM110 - no generator per call on the hottest path
        if literal in text:
            return True
    return False


def split_alternatives(pattern: str) -> tuple[str, ...]:
    """A pattern's top-level alternatives (``a|b(c|d)`` → ``a``, ``b(c|d)``), so each can be
    skipped by its own literal prefilter."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return tuple(parts)


def search_pattern(patterns: tuple[str, ...], text: str) -> re.Pattern[str] | None:
    """The alternation of only those patterns whose required literals occur in ``text``
    (case-folded, like the text), compiled once per combination."""
    return _search_pattern(patterns, text)


def _search_pattern(patterns: tuple[str, ...], text: str) -> re.Pattern[str] | None:
    """The alternation of only those patterns whose required literals occur in ``text``."""
    alive = tuple(p for p, literals in _prefilters(patterns) if _present(literals, text))
    return _compile(alive)


@dataclass(frozen=True)
class Cues:
    """Where a documentation factor may show up, searched in order of strength.

    Data rather than code, so a factor probe is a definition plus a list of patterns, and
    the literal prefilter can skip patterns that cannot match a card.
    """

    yaml: tuple[str, ...] = ()
    """Dotted keys in the card metadata; ``key=value`` requires a value (case-insensitive)."""
    headings: tuple[str, ...] = ()
    prose: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    """Patterns searched in fenced code blocks."""
    files: tuple[str, ...] = ()
    """Patterns matched against whole package paths."""
    config: tuple[str, ...] = ()
    """Top-level ``config.json`` keys."""


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip().lower() not in ("", "[more information needed]", "none", "null")
    if isinstance(value, list | dict | tuple):
        return len(value) > 0
    return True


def _snippet(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


EVIDENCE_CONTEXT = 30
"""Characters of a long line quoted before the matched text, so evidence shows the match."""


def _window(text: str, start: int, limit: int = 100) -> str:
    """The part of a line around a match at ``start``: the whole line when it is short, else
    a window that begins a little before the match (not the line's start)."""
    if len(" ".join(text.split())) <= limit:
        return _snippet(text, limit)
    begin = max(0, start - EVIDENCE_CONTEXT)
    space = text.rfind(" ", 0, begin + 1)
    if begin > 0 and space > start - 2 * EVIDENCE_CONTEXT:
        begin = space + 1
    prefix = "…" if begin > 0 else ""
    return prefix + _snippet(text[begin:], limit - len(prefix))


def card_metadata(package: Package) -> Mapping[str, Any]:
    """The card's YAML, or the registry's copy of it when the card is absent."""
    if package.card is not None and package.card.metadata:
        return package.card.metadata
    if package.metadata is not None and package.metadata.card_data is not None:
        return package.metadata.card_data
    return {}


def yaml_evidence(package: Package, keys: tuple[str, ...]) -> list[Evidence]:
    meta = card_metadata(package)
    where = package.card.path if package.card is not None else "registry cardData"
    found = []
    for key in keys:
        name, _, wanted = key.partition("=")
        value = _lookup(meta, name)
        if not _filled(value):
            continue
        if wanted:
            values = value if isinstance(value, list) else [value]
            if not any(re.fullmatch(wanted, str(v), re.IGNORECASE) for v in values):
                continue
        found.append(Evidence(f"{where}#{name}", _snippet(repr(value), 80)))
    return found


def find(package: Package, cues: Cues, limit: int = MAX_EVIDENCE) -> list[Evidence]:
    """Evidence for ``cues``, strongest kinds first, at most ``limit`` items."""
    return list(islice(iter_evidence(package, cues), limit))


def iter_evidence(package: Package, cues: Cues) -> Iterator[Evidence]:
    """Evidence for ``cues``, strongest kinds first, produced only as far as it is read (a
    probe that filters matches stops as soon as it has enough)."""
    yield from yaml_evidence(package, cues.yaml)
    config = package.config or {}
    for key in cues.config:
        if _filled(config.get(key)):
            yield Evidence(f"config.json#{key}", _snippet(repr(config[key]), 80))
    file_pattern = _compile(cues.files)
    if file_pattern is not None:
        for entry in package.files:
            if file_pattern.search(fold_case(entry.path)):
                yield Evidence(entry.path, "file")
    card = package.card
    if card is None:
        return
    heading = _compile(cues.headings)
    if heading is not None and heading.search(card.filled_titles):
        titles = card.filled_titles.split("\n")
        for section, title in zip(card.sections, titles, strict=True):
            if title and heading.search(title):
                detail = f"section '{_snippet(section.title, 60)}' ({section.words} words)"
                yield Evidence(f"{card.path}:{section.line}", detail)
    for patterns, in_code in ((cues.prose, False), (cues.code, True)):
        text = card.searchable(in_code)
        pattern = _search_pattern(patterns, text)
        if pattern is None:
            continue
        seen: set[int] = set()
        for match in pattern.finditer(text):
            line = card.line_at(in_code, match.start())
            if line.number in seen:
                continue
            seen.add(line.number)
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1)
            yield Evidence(f"{card.path}:{line.number}", _window(line.text, column))


def card_decidable(package: Package) -> bool:
    """Whether absence of evidence means "missing": the card (or its absence) is known."""
    return package.readme is None or package.card is not None


ACCELERATORS = (
    r"A100|H100|H200|V100|P100|K80|T4|L4|A10G?|A6000|RTX ?\d{4}|GTX ?\d{3,4}|TPU|GPUs?|CPUs?"
    r"|M1|M2|M3|Apple Silicon|Jetson|mobile|edge devices?|Raspberry Pi"
)
"""Devices a model may be said to run on (a pattern alternation, without groups)."""


def model_short_name(package: Package) -> str | None:
    """The model's name without its owner (``timm/x.y`` → ``x.y``), as tables list it."""
    if not package.name:
        return None
    return package.name.rpartition("/")[2] or None


def names_this_model(package: Package, text: str) -> bool | None:
    """Whether ``text`` names this model as a whole token (not as the prefix of a longer
    variant's name); ``None`` when the model's name is not known."""
    short = model_short_name(package)
    if short is None:
        return None
    pattern = rf"(?<![\w.-]){re.escape(fold_case(short))}(?![\w.-])"
    return re.search(pattern, fold_case(text)) is not None


def card_line_number(evidence: Evidence) -> int | None:
    """The README line an evidence item points at (``README.md:42``), if it points at one."""
    _, _, number = evidence.location.rpartition(":")
    return int(number) if number.isdigit() else None


def card_line(package: Package, evidence: Evidence) -> CardLine | None:
    """The kept README line an evidence item points at, if any."""
    card, number = package.card, card_line_number(evidence)
    if card is None or number is None:
        return None
    return card.line_numbered(number)


PROMISE = re.compile(
    r"\b(coming soon|stay tuned|to be (released|added|announced)|will be (released|added|"
    r"available|published|uploaded)|not yet (available|released)|todo|tbd)\b"
)
"""A promise is not evidence: 'quantized weights coming soon' provides none."""


HEADING_SENTENCE_WORDS = 6
"""A heading this long is a sentence set as a heading, read as text."""
_KEY_VALUE = re.compile(r"^[^:]{1,40}:\s*\S")


def _heading_says_something(title: str) -> bool:
    """Some cards write statements as headings ('Training equipment: 4 x 3090')."""
    text = title.strip(" #*")
    return bool(_KEY_VALUE.match(text)) or len(text.split()) >= HEADING_SENTENCE_WORDS


def stated(package: Package, evidence: Evidence) -> bool:
    """False for a cue match a reader would not accept: a heading over an unfilled section
    (headings alone never count), or a line or section that only promises the thing."""
    line = card_line(package, evidence)
    card = package.card
    if line is None or card is None or line.in_code:
        return True
    section = card.section_at(line.number)
    if section is None or _heading_says_something(section.title):
        return not PROMISE.search(fold_case(line.text))
    if not section.filled:
        return False
    body = card.lines_between(section.line + 1, section.end_line)
    return not any(PROMISE.search(fold_case(ln.text)) for ln in body if not ln.in_code)


def all_of(*checks: Callable[[Package, Evidence], bool]) -> Callable[[Package, Evidence], bool]:
    """One ``keep`` filter from several: evidence must pass each."""

    def keep(package: Package, evidence: Evidence) -> bool:
        return all(check(package, evidence) for check in checks)

    return keep


def code_block_intro(package: Package, evidence: Evidence) -> str | None:
    """For evidence inside a fenced code block: the last prose line before the block (the
    sentence that introduces it); ``None`` for evidence outside code or without an intro."""
    card, number = package.card, card_line_number(evidence)
    if card is None or number is None:
        return None
    lines = card.lines
    index = next((i for i, line in enumerate(lines) if line.number == number), None)
    if index is None or not lines[index].in_code:
        return None
    while index > 0 and lines[index - 1].in_code:
        index -= 1
    for line in reversed(lines[max(0, index - INTRO_LOOKBACK) : index]):
        if line.text.strip():
            return line.text
    return None


KEEP_SEARCH_LIMIT = 50
"""Cue matches examined when a probe filters them (more than it reports, since some go)."""

INTRO_LOOKBACK = 3
"""Lines before a code block searched for the sentence that introduces it."""


def factor_probe(
    definition: Definition,
    cues: Cues,
    extra: Callable[[Package], list[Evidence]] | None = None,
    keep: Callable[[Package, Evidence], bool] | None = None,
) -> Probe:
    """A documentation-factor probe: package-specific evidence first, then the cue search.

    ``keep`` (optional) drops cue matches that a reader would not accept as evidence in their
    context (e.g. a training command introduced as the authors' own settings).
    """

    def run(package: Package) -> Finding:
        found = extra(package) if extra is not None else []
        room = max(0, MAX_EVIDENCE - len(found))
        if keep is None:
            found += find(package, cues, room)
        else:
            examined = islice(iter_evidence(package, cues), KEEP_SEARCH_LIMIT)
            found += islice((e for e in examined if keep(package, e)), room)
        return factor_result(
            definition,
            found[:MAX_EVIDENCE],
            card_decidable(package),
            f"{definition.short}: documented",
            f"{definition.short}: no evidence in the card, metadata or files",
        )

    return Probe(definition, run)
