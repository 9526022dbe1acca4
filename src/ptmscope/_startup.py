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


def pause() -> None:
    """Stop collecting until :func:`resume` (a no-op when collection is already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Collect again if :func:`pause` (or this module's import) turned collection off.

    What was allocated meanwhile is frozen first (``gc.freeze``: modules, classes and
    functions, live for the whole process): otherwise the first collection after this walks
    all of it at once, which costs what the pause saved."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
