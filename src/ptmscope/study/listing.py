"""Hostile listing records: parse them one at a time, skip and count the ones that cannot be used.

A listing (JSON Lines, a JSON list, a crawled page, a CSV or Parquet table) is
data from a registry or whoever produced the file. One bad record must not end
the ingest with an internal error, nor silently vanish: it is skipped, counted by
reason, and reported in one line at the end. Reasons:

- ``not JSON``: a line or element the JSON decoder refuses;
- ``not an object``: ``[1, 2]``, ``"text"``, ``null`` where a record belongs;
- ``too deep``: nesting beyond :data:`MAX_DEPTH` (Python's decoder recurses and
  raises ``RecursionError`` near 1,000 levels; later steps recurse too);
- ``overflow``: an integer beyond 64 bits anywhere in the record (later steps
  turn numbers into floats and columns, and ``float(10**400)`` raises), or a
  non-finite number (``1e400`` decodes to ``inf``) in a column (``downloads``,
  ``likes``). Non-finite numbers elsewhere are kept: the Hub itself answers
  ``NaN`` for card values written ``.nan`` (4 records of the shared snapshot),
  and card analysis treats them as values. ``NaN`` in a column means missing.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting a listing record may have (a Hub ``model_info`` with ``cardData`` uses ~10)."""

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

NOT_JSON, NOT_OBJECT, TOO_DEEP, OVERFLOW = "not JSON", "not an object", "too deep", "overflow"
REASONS = (NOT_JSON, NOT_OBJECT, TOO_DEEP, OVERFLOW)

# A JSON string (escapes included) or one structural character; everything else is skipped.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')


class Malformed(Exception):
    """A record that cannot be used; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def summary(skipped: Counter[str], where: str) -> str | None:
    """The one-line warning for ``skipped``, or ``None`` when nothing was skipped."""
    total = sum(skipped.values())
    if not total:
        return None
    parts = ", ".join(f"{skipped[r]} {_plural(r, skipped[r])}" for r in REASONS if skipped[r])
    return f"skipped {total:,} malformed listing record{'s' if total != 1 else ''} ({parts}) in {where}"


def _plural(reason: str, count: int) -> str:
    if reason == NOT_OBJECT and count != 1:
        return "not objects"
    return reason


def check(value: Any) -> dict[str, Any]:
    """``value`` itself when it is a usable record; raises :class:`Malformed` otherwise.

    Walks the whole record without recursion, so its own depth cannot be used
    against it.
    """
    if not isinstance(value, dict):
        raise Malformed(NOT_OBJECT)
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:  # only containers are pushed: scalars are checked where they are met
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Malformed(TOO_DEEP)
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif _overflows(child):
                raise Malformed(OVERFLOW)
    return value


def _overflows(item: Any) -> bool:
    return type(item) is int and not INT64_MIN <= item <= INT64_MAX


def parse_record(text: str) -> dict[str, Any]:
    """One JSON record (a line of JSON Lines, an element of a list)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise Malformed(TOO_DEEP) from None
    except ValueError as exc:
        # Python refuses integers of more than 4,300 digits ("Exceeds the limit …").
        raise Malformed(OVERFLOW if "digits" in str(exc) else NOT_JSON) from None
    return check(value)


def parse_list(text: str) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The usable records of a JSON list, and the count of the others by reason.

    Raises ``ValueError`` when the document as a whole is not a JSON list (that
    is a bad source, not a bad record). The whole document is decoded at once;
    only when that recurses too deep is it cut into elements, so one deep record
    costs only itself.
    """
    elements: list[Any]
    try:
        document = json.loads(text)
    except RecursionError:
        elements = list(_elements(text))
    except ValueError as exc:
        if "digits" not in str(exc):
            raise
        elements = list(_elements(text))
    else:
        if not isinstance(document, list):
            raise ValueError("not a JSON list")
        elements = document
    records: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for element in elements:
        try:
            records.append(parse_record(element) if isinstance(element, _Raw) else check(element))
        except Malformed as exc:
            skipped[exc.reason] += 1
    return records, skipped


class _Raw(str):
    """The source text of one list element, decoded on its own."""


def _elements(text: str) -> Iterator[_Raw]:
    """Split a JSON list into its elements' texts with a flat scan (no recursion)."""
    body = text.lstrip()
    if not body.startswith("["):
        raise ValueError("not a JSON list")
    depth, start = 0, 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
            if depth == 1:
                start = match.end()
        elif token in "]}":
            depth -= 1
            if depth == 0:
                if body[start : match.start()].strip():
                    yield _Raw(body[start : match.start()])
                if body[match.end() :].strip():
                    raise ValueError("extra data after the JSON list")
                return
        elif depth == 1:  # a comma between elements
            yield _Raw(body[start : match.start()])
            start = match.end()
    raise ValueError("unterminated JSON list")


def integer(value: Any) -> int | None:
    """A 64-bit integer column value; ``None`` when absent or not a number, ``NaN`` included.

    Raises :class:`Malformed` (``overflow``) for infinities and integers a 64-bit
    column cannot hold, which would otherwise fail the whole chunk's write.
    """
    if value is None or isinstance(value, bool) or value in ("", "None"):
        return None if not isinstance(value, bool) else int(value)
    if isinstance(value, int):
        number = value
    else:
        try:
            real = float(value)
        except (TypeError, ValueError, OverflowError):
            return None
        if math.isnan(real):
            return None  # pandas' and Parquet's "missing"
        if math.isinf(real):
            raise Malformed(OVERFLOW)
        number = int(real)
    if not INT64_MIN <= number <= INT64_MAX:
        raise Malformed(OVERFLOW)
    return number
