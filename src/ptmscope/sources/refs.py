"""What a repository offers instead of an unknown revision (git and Hub sources alike)."""

from __future__ import annotations

from collections.abc import Sequence

MAX_REFS_NAMED = 20
"""Branches (and tags) named when a revision is unknown; the rest are counted."""


def refs_hint(branches: Sequence[str], tags: Sequence[str]) -> str:
    """``; branches: main, dev; tags: v1``: what a user can pass instead of an unknown
    revision (a repository whose only branch is ``master`` says so when ``main`` is asked)."""

    def named(kind: str, names: Sequence[str]) -> str:
        shown = ", ".join(sorted(names)[:MAX_REFS_NAMED])
        more = f" and {len(names) - MAX_REFS_NAMED} more" if len(names) > MAX_REFS_NAMED else ""
        return f"{kind}: {shown or 'none'}{more}"

    return f"; {named('branches', branches)}; {named('tags', tags)}"
