"""Start-up of the ``ptmscope`` command: the cycle collector paused while modules load.

Loading the CLI and the scan engine allocates tens of thousands of long-lived
objects (classes, functions, the methods dataclasses generate) and no garbage,
yet the collector walks them again and again: about 3 ms of a one-file scan's
75 ms, paid per file by pre-commit hooks and CI gates. :mod:`ptmscope.cli`
imports this module first, resumes collection when its own import ends (a
library import of the CLI leaves the collector as it found it), pauses it again
in ``main`` while the command loads its engine, and resumes it before the work
starts, so a long audit or folder scan collects as usual.
"""

from __future__ import annotations

import gc

_paused = gc.isenabled()
gc.disable()
_freeze = False


def pause(*, freeze: bool = False) -> None:
    """Stop collecting until :func:`resume` (a no-op when collection is already off).

    ``freeze``: the process is the command itself (not a program calling ``main``), so what
    is allocated until :func:`resume` is frozen there (``gc.freeze``: modules, classes and
    functions that live as long as the process); otherwise the first collection after it
    walks all of it at once, which costs what the pause saved. A program that calls
    ``main`` in-process keeps its heap collectable."""
    global _paused, _freeze
    if gc.isenabled():
        gc.disable()
        _paused, _freeze = True, freeze


def resume() -> None:
    """Collect again if :func:`pause` (or this module's import) turned collection off."""
    global _paused, _freeze
    if _paused:
        if _freeze:
            gc.freeze()
        _paused = _freeze = False
        gc.enable()
