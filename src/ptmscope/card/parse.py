"""Turn README bytes into a :class:`~ptmscope.package.Card`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ptmscope.card import markdown
from ptmscope.card.boilerplate import is_boilerplate
from ptmscope.card.safe_yaml import load_yaml
from ptmscope.errors import HostileInputError, InputError, PtmscopeError
from ptmscope.package import Card, CardLine, Section

MAX_CARD_BYTES = 8 << 20
"""A README above this is refused: no real card comes close (the largest of 25k is < 1 MB)."""

_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})


def decode(path: str, raw: bytes) -> tuple[str, str | None]:
    """README text, or an :class:`InputError` for binary content; a lossy decode is a problem."""
    if b"\x00" in raw:  # anywhere: the card is at most MAX_CARD_BYTES
        raise InputError(f"{path} is binary, not a Markdown model card")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        if bad > max(16, len(text) // 20):
            raise InputError(f"{path} is not UTF-8 text (binary or wrong encoding)") from None
        return text, f"not valid UTF-8 at byte {exc.start}; {bad} characters replaced"


_LEADING_BLANKS = re.compile(r"\A(?:[ \t]*\r?\n)*")


def split_front_matter(text: str) -> tuple[str | None, str, int, int]:
    """``(yaml, body, body_first_line, yaml_first_line)``; ``yaml`` is ``None`` without
    front matter. Blank lines before the opening ``---`` are allowed, as the Hub's own
    parser allows them (a card starting with a space line still has its metadata)."""
    lead = _LEADING_BLANKS.match(text)
    skipped = lead.group(0) if lead else ""
    start = len(skipped)
    first = skipped.count("\n") + 1
    if not text.startswith("---", start):
        return None, text, 1, 0
    first_newline = text.find("\n", start)
    if first_newline < 0 or text[start:first_newline].strip() != "---":
        return None, text, 1, 0
    pos = first_newline + 1
    line_no = first + 1
    while pos <= len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.rstrip() in ("---", "..."):
            body_start = len(text) if end < 0 else end + 1
            return text[first_newline + 1 : pos], text[body_start:], line_no + 1, first + 1
        if end < 0:
            break
        pos = end + 1
        line_no += 1
    # An opening marker without a closing one: not front matter, all body.
    return None, text, 1, 0


@dataclass(frozen=True)
class FrontMatter:
    """A card's YAML front matter, read the one way every consumer reads it.

    ``audit``, the study and ``registry serve`` (``cardData``) all come through
    :func:`read_front_matter`, so a byte-order mark, CRLF line ends or a broken
    block give the same answer everywhere.
    """

    present: bool
    """Whether the card opens with a ``---`` block that is closed."""
    metadata: MappingProxyType[str, Any]
    """The block's mapping; empty when absent, not a mapping or not valid YAML."""
    error: str | None
    """Why the block could not be used (YAML error, not a mapping); ``None`` when it could."""
    body: str
    """The Markdown after the block (the whole text without one)."""
    body_line: int
    """The line number of the body's first line in the README."""
    problems: tuple[str, ...] = ()
    """Problems worth reporting that did not stop the reading (a lossy decode)."""


def read_front_matter(path: str, raw: bytes) -> FrontMatter:
    """Decode README bytes (UTF-8, BOM dropped) and read their front matter.

    Raises :class:`HostileInputError` above :data:`MAX_CARD_BYTES` and
    :class:`InputError` for binary content, like :func:`parse_card`.
    """
    if len(raw) > MAX_CARD_BYTES:
        raise HostileInputError(
            f"{path} is {len(raw) / 1e6:.1f} MB, above the {MAX_CARD_BYTES >> 20} MiB limit"
        )
    text, decode_problem = decode(path, raw)
    front, body, body_line, front_line = split_front_matter(text)
    metadata: MappingProxyType[str, Any] = _EMPTY
    error = None
    if front is not None:
        result = load_yaml(front, line_offset=front_line - 1)
        if result.error is not None:
            error = result.error
        elif isinstance(result.data, dict):
            metadata = MappingProxyType(result.data)
        elif result.data is not None:
            error = f"front matter is a {type(result.data).__name__}, not a mapping"
    problems = (decode_problem,) if decode_problem else ()
    return FrontMatter(front is not None, metadata, error, body, body_line, problems)


def card_metadata(path: str, raw: bytes) -> dict[str, Any] | None:
    """The front matter a registry lists as ``cardData``: a non-empty valid mapping, else
    ``None`` (never raises: a card that cannot be read has no card data)."""
    try:
        front = read_front_matter(path, raw)
    except PtmscopeError:
        return None
    if front.error is not None or not front.metadata:
        return None
    return dict(front.metadata)


def parse_card(path: str, raw: bytes) -> tuple[Card, list[str]]:
    """Parse a model card. Returns the card and problems worth reporting."""
    front_matter = read_front_matter(path, raw)
    problems = list(front_matter.problems)
    body, body_line = front_matter.body, front_matter.body_line
    metadata = front_matter.metadata
    error = front_matter.error
    sections: list[Section] = []
    kept: list[CardLine] = []
    discounted = 0
    total_words = 0
    open_section: dict[str, Any] | None = None

    def close(end_line: int) -> None:
        if open_section is not None:
            sections.append(Section(end_line=end_line, **open_section))

    for line in markdown.scan(body, body_line):
        if line.heading is not None:
            close(line.number - 1)
            level, title = line.heading
            open_section = {
                "title": title,
                "level": level,
                "line": line.number,
                "words": 0,
                "code_blocks": 0,
            }
            kept.append(CardLine(line.number, line.text, False))
            continue
        if line.in_comment:
            continue
        if line.in_code:
            if open_section is not None and line.text.lstrip().startswith(("```", "~~~")):
                open_section["code_blocks"] += 1
            kept.append(CardLine(line.number, line.text, True))
            continue
        if is_boilerplate(line.text):
            if line.text.strip():
                discounted += 1
            continue
        count = markdown.words(line.text)
        total_words += count
        if open_section is not None:
            open_section["words"] += count
        kept.append(CardLine(line.number, line.text, False))
    close(body_line + body.count("\n"))
    # Each fenced block was counted at its opening and closing fence.
    sections = [
        Section(
            title=s.title,
            level=s.level,
            line=s.line,
            end_line=s.end_line,
            words=s.words,
            code_blocks=(s.code_blocks + 1) // 2,
        )
        for s in sections
    ]
    card = Card(
        path=path,
        size=len(raw),
        has_front_matter=front_matter.present,
        metadata=metadata,
        metadata_error=error,
        body_line=body_line,
        sections=tuple(sections),
        lines=tuple(kept),
        words=total_words,
        boilerplate_lines=discounted,
    )
    return card, problems
