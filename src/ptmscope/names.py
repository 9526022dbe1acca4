"""Package-controlled text as people can read it: file names and any string shown raw.

POSIX names are bytes; Python hands undecodable ones over as lone surrogates
(``surrogateescape``), which no UTF-8 writer accepts, so one odd name used to end
a whole report in an internal error. Names are turned into text once, here, with
undecodable bytes shown as ``\\xNN``; renderers then escape control characters.
"""

from __future__ import annotations

import os
import re

# C0 controls, DEL, C1 controls; bidi embeddings/overrides/isolates and marks; line/paragraph
# separators (a second line in many terminals and editors); the byte-order mark.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_INVISIBLE_KEEP_NEWLINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _code(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def visible(text: object, *, newlines: bool = False) -> str:
    """``text`` with control, bidi and separator characters written as ``\\x1b``, ``\\n``, ``\\u202e``.

    An ESC sequence rewrites the terminal, a newline forges a report line, a bidi
    override reverses what a reader sees. ``newlines=True`` keeps line feeds, for
    multi-line contexts (a card excerpt); everything else, CR and TAB included, is
    still shown escaped. Renderers build on this (:mod:`ptmscope.formats.escape`);
    engines use it for the one-line warnings and errors they print.
    """
    pattern = _INVISIBLE_KEEP_NEWLINE if newlines else _INVISIBLE
    return pattern.sub(_code, str(text))


def readable_name(name: str) -> str:
    """``name`` with bytes that are not UTF-8 shown as ``\\xNN`` (lossless to the eye)."""
    name = name.replace("\\", "\\\\")  # a literal backslash must not read as an escape
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name
