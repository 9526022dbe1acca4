"""Turn README bytes into a :class:`~ptmscope.package.Card`."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ptmscope.card import markdown
from ptmscope.card.boilerplate import is_boilerplate
from ptmscope.card.safe_yaml import load_yaml
from ptmscope.errors import HostileInputError, InputError
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


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """``(yaml, body, body_first_line)``; ``yaml`` is ``None`` without front matter."""
    if not text.startswith("---"):
        return None, text, 1
    first_newline = text.find("\n")
    if first_newline < 0 or text[:first_newline].strip() != "---":
        return None, text, 1
    pos = first_newline + 1
    line_no = 2
    while pos <= len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.rstrip() in ("---", "..."):
            body_start = len(text) if end < 0 else end + 1
            return text[first_newline + 1 : pos], text[body_start:], line_no + 1
        if end < 0:
            break
        pos = end + 1
        line_no += 1
    # An opening marker without a closing one: not front matter, all body.
    return None, text, 1


def parse_card(path: str, raw: bytes) -> tuple[Card, list[str]]:
    """Parse a model card. Returns the card and problems worth reporting."""
    if len(raw) > MAX_CARD_BYTES:
        raise HostileInputError(
            f"{path} is {len(raw) / 1e6:.1f} MB, above the {MAX_CARD_BYTES >> 20} MiB limit"
        )
    text, decode_problem = decode(path, raw)
    problems = [decode_problem] if decode_problem else []
    front, body, body_line = split_front_matter(text)
    metadata: MappingProxyType[str, Any] = _EMPTY
    error = None
    if front is not None:
        result = load_yaml(front, line_offset=1)
        if result.error is not None:
            error = result.error
        elif isinstance(result.data, dict):
            metadata = MappingProxyType(result.data)
        elif result.data is not None:
            error = f"front matter is a {type(result.data).__name__}, not a mapping"
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
        has_front_matter=front is not None,
        metadata=metadata,
        metadata_error=error,
        body_line=body_line,
        sections=tuple(sections),
        lines=tuple(kept),
        words=total_words,
        boilerplate_lines=discounted,
    )
    return card, problems
