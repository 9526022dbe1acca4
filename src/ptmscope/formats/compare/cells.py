"""How one compared value is written in a cell (text and Markdown share it, so they agree)."""

from __future__ import annotations

from ptmscope.results.compare import Value

UNKNOWN = "?"
"""A value nobody could read (``None``): unknown, which is not the same as none."""
NONE = "none"
"""An empty list: read, and nothing there."""


def cell(value: Value) -> str:
    """``value`` as one line of text: numbers as written, lists joined by commas."""
    if value is None:
        return UNKNOWN
    if isinstance(value, tuple):
        return ", ".join(value) if value else NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return value
