"""Terminal renderers drawn once, shown two ways: on a live console, or captured as text.

A renderer with a terminal view draws on a :class:`rich.console.Console`; its
``render`` captures the same drawing without colours at a fixed width, so a
file written with ``--output`` and a golden test see exactly what a terminal
would, minus the styling.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from rich.console import Console

WIDTH = 120
"""Columns of a captured terminal view (a file has no terminal to measure)."""


def capture(draw: Callable[[Console], None], width: int = WIDTH) -> str:
    """What ``draw`` prints on a plain ``width``-column console, as text."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, force_terminal=False, highlight=False
    )
    draw(console)
    return buffer.getvalue()
