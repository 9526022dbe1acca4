"""Just enough Markdown: headings, fenced code, HTML comments and tables.

A full CommonMark parser would cost more than the whole audit; cards need
line-level facts (which section a line is in, whether it is code) and tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)+\|?\s*$")
_WORD = re.compile(r"[^\W_]{2,}|\d+(?:\.\d+)?")
HTML_TAG = re.compile(r"<[^>]{0,200}>")
"""An HTML tag (bounded, so a stray ``<`` never scans a whole card)."""
_LINK_TARGET = re.compile(r"\]\([^)]*\)")


@dataclass(frozen=True)
class Line:
    """One README line with what the scanner knows of it: in a code block, in a comment, a heading."""

    number: int
    """1-based line number in the whole README."""
    text: str
    in_code: bool
    in_comment: bool
    heading: tuple[int, str] | None
    """``(level, title)`` when this line is a heading."""


def scan(body: str, first_line: int) -> Iterator[Line]:
    """Classify each line of a Markdown body."""
    fence: str | None = None
    comment = False
    previous: str | None = None
    for offset, text in enumerate(body.split("\n")):
        number = first_line + offset
        text = text.rstrip("\r")
        if fence is not None:
            if text.strip().startswith(fence):
                fence = None
            yield Line(number, text, True, False, None)
            previous = None
            continue
        if comment:
            if "-->" in text:
                comment = False
            yield Line(number, text, False, True, None)
            continue
        stripped = text.strip()
        if stripped.startswith("<!--"):
            if "-->" not in stripped:
                comment = True
            yield Line(number, text, False, stripped.endswith("-->"), None)
            continue
        fence_match = _FENCE.match(text)
        if fence_match:
            fence = fence_match.group(1)[:3]
            yield Line(number, text, True, False, None)
            previous = None
            continue
        atx = _ATX.match(text)
        if atx:
            yield Line(
                number, text, False, False, (len(atx.group(1)), (atx.group(2) or "").strip())
            )
            previous = None
            continue
        if previous and _SETEXT_H1.match(text):
            yield Line(number, text, False, False, (1, previous.strip()))
            previous = None
            continue
        yield Line(number, text, False, False, None)
        previous = text if stripped and not stripped.startswith(("|", "-", "*", ">")) else None


def heading_title(text: str) -> str | None:
    """The title of an ATX heading line (``## Results`` → ``Results``), else ``None``."""
    atx = _ATX.match(text)
    return (atx.group(2) or "").strip() if atx else None


def words(text: str) -> int:
    """Words a reader would count (markup, tags and link targets do not count)."""
    text = _LINK_TARGET.sub("]", HTML_TAG.sub(" ", text))
    return len(_WORD.findall(text))


def split_row(line: str) -> list[str]:
    """Cells of a Markdown table row (escaped pipes kept inside cells)."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    cells = re.split(r"(?<!\\)\|", text)
    return [cell.strip().replace("\\|", "|") for cell in cells]


@dataclass(frozen=True)
class Table:
    """A Markdown table: its header and body rows, each with its README line for evidence."""

    line: int
    """README line of the header row."""
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    """``(line, cells)`` for each body row."""


class TextLine(Protocol):
    """What table and claim readers need of a line (both :class:`Line` and ``CardLine`` have it)."""

    @property
    def number(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def in_code(self) -> bool: ...


def tables(lines: Sequence[TextLine], max_rows: int = 500) -> Iterator[Table]:
    """Pipe tables: a header row, a separator row, then adjacent rows holding a ``|``.

    ``lines`` may have gaps (blank lines dropped): a gap in numbering ends a table.
    """
    i = 0
    while i + 1 < len(lines):
        head, sep = lines[i], lines[i + 1]
        if (
            not head.in_code
            and not sep.in_code
            and sep.number == head.number + 1
            and "|" in head.text
            and _TABLE_SEP.match(sep.text)
        ):
            header = tuple(split_row(head.text))
            rows: list[tuple[int, tuple[str, ...]]] = []
            j = i + 2
            while (
                j < len(lines)
                and lines[j].number == lines[j - 1].number + 1
                and "|" in lines[j].text
                and not lines[j].in_code
            ):
                if len(rows) < max_rows:
                    rows.append((lines[j].number, tuple(split_row(lines[j].text))))
                j += 1
            yield Table(head.number, header, tuple(rows))
            i = j
        else:
            i += 1
