"""Make package-controlled strings safe to show in a terminal and in rendered Markdown.

File names, repo ids, card text and finding messages come from whoever published
the package. Shown raw, an ESC sequence rewrites the terminal (hides lines, fakes
a clean verdict), a newline forges a report line, a bidi override reverses what a
reader sees, ``[bold]`` is taken as rich markup, and ``|``, ``<script>`` or
``[link](…)`` break a Markdown table or inject HTML and links where the report
is rendered. Every text and Markdown renderer passes such strings through this
one module; JSON and SARIF keep the raw string (their encoders escape it).
"""

from __future__ import annotations

import re

from rich.markup import escape as _rich_escape
from rich.text import Text

from ptmscope.names import visible as visible

# Characters that change the structure of rendered Markdown (CommonMark lets a backslash escape
# any ASCII punctuation): table cells (|), code spans (`), HTML (<, >, &), links and images ([:
# without it "](" is plain text, and locations like "metrics[0]" stay readable),
# emphasis and strike-through (*, ~; "_" is left alone: GFM ignores it inside words, and
# file names are full of it). The backslash itself first, so an input "\|" cannot undo it.
_MARKDOWN = re.compile(r"([\\`|<>&\[*~])")
# At the start of a cell or list item these open a heading or a nested list.
_LINE_START = re.compile(r"^(#{1,6}|[+\-]|\d{1,9})([.)]?)(?= |$)")


def markdown(text: object) -> str:
    """Inline Markdown (a table cell, a list item, a heading): one line, no markup, no HTML."""
    escaped = _MARKDOWN.sub(r"\\\1", visible(text))
    return _LINE_START.sub(_line_start, escaped)


def _line_start(match: re.Match[str]) -> str:
    mark, punctuation = match.groups()
    if punctuation:  # "1." -> "1\." (a backslash escapes punctuation, not digits)
        return f"{mark}\\{punctuation}"
    return "\\" + mark if not mark.isdigit() else mark


def markdown_code(text: object, *, table: bool = False) -> str:
    """A code span holding ``text`` literally: a fence longer than any backtick run inside it.

    Inside a code span backslashes and entities are not interpreted, so only the
    fence and, in a table cell, pipes (GFM splits cells before it parses code
    spans) need care.
    """
    shown = visible(text)
    if table:
        shown = shown.replace("|", "\\|")
    runs = [len(run) for run in re.findall(r"`+", shown)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def markup(text: object) -> str:
    """For a rich markup string: visible, and ``[bold]``-like text taken literally."""
    return _rich_escape(visible(text))


def rich_text(text: object, style: str = "", *, newlines: bool = False) -> Text:
    """A rich :class:`~rich.text.Text` cell: never parsed as markup, controls made visible."""
    return Text(visible(text, newlines=newlines), style=style)
