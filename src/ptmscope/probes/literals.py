"""Required literals of a regular expression: a prefilter that skips hopeless searches.

Most cue patterns start with ``\\b`` or a class, so Python's ``re`` tries them at every
position of every card. But a match of ``\\b(A100|V100)\\b`` must contain "a100" or
"v100"; a substring test (C speed) over the card rules most patterns out before the
regex runs. We read literals off the parsed pattern (as RE2's prefilter does):
a set of strings one of which every match contains, or ``None`` when no such set
is known (then the pattern always runs). Being wrong in the safe direction is
fine; being wrong the other way would hide evidence, so anything unusual gives
``None``.
"""

from __future__ import annotations

import re
from typing import Any

try:  # the parser behind re.compile; private, so everything degrades to "no prefilter"
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Python versions
    _c = _p = None

Literals = frozenset[str] | None


def _best(candidates: list[frozenset[str]]) -> Literals:
    """The most selective candidate: the one whose shortest literal is longest."""
    useful = [c for c in candidates if c and all(c)]
    if not useful:
        return None
    return max(useful, key=lambda c: (min(len(s) for s in c), -len(c)))


def _sequence(items: Any) -> Literals:
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append(frozenset({"".join(run)}))
            run = []
        found = _item(op, av)
        if found is not None:
            candidates.append(found)
    if run:
        candidates.append(frozenset({"".join(run)}))
    return _best(candidates)


def _item(op: Any, av: Any) -> Literals:
    if op is _c.SUBPATTERN:
        return _sequence(av[-1])
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _sequence(av)
    if op is _c.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _sequence(branch)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
        low, _, body = av
        return _sequence(body) if low >= 1 else None
    return None  # classes, anchors, lookarounds, backreferences: no literal known


def required_literals(pattern: str) -> Literals:
    """Strings one of which every match of ``pattern`` contains (case as written), or ``None``."""
    if _p is None:
        return None
    try:
        parsed = _p.parse(pattern, 0)
    except (re.error, RecursionError, AttributeError, TypeError, ValueError):
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    try:
        return _sequence(parsed)
    except (AttributeError, TypeError, ValueError):
        return None
