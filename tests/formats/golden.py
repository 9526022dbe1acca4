"""Compare a rendered output with its golden file under ``tests/formats/golden/``.

Regenerate every golden file after an intended change of a renderer with::

    PTMSCOPE_UPDATE_GOLDEN=1 pytest tests/formats

and review the diff like code. The tool version is masked as ``<VERSION>`` so a
release does not change the goldens.
"""

from __future__ import annotations

import os
from pathlib import Path

from ptmscope._version import __version__

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("PTMSCOPE_UPDATE_GOLDEN") == "1"
EXTENSION = {"text": "txt", "json": "json", "markdown": "md", "sarif": "sarif", "html": "html"}


def mask(text: str) -> str:
    """The output with the tool version replaced by ``<VERSION>``."""
    return text.replace(f'"{__version__}"', '"<VERSION>"')


def check(result: str, format_name: str, text: str) -> None:
    """Assert ``text`` equals ``golden/<result>.<ext>`` (or write it when updating)."""
    path = GOLDEN / f"{result}.{EXTENSION[format_name]}"
    masked = mask(text)
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(masked, encoding="utf-8")
        return
    assert path.is_file(), (
        f"no golden {path.name}: run PTMSCOPE_UPDATE_GOLDEN=1 pytest tests/formats"
    )
    expected = path.read_text(encoding="utf-8")
    assert masked == expected, (
        f"{result} {format_name} differs from {path.name} "
        "(if intended: PTMSCOPE_UPDATE_GOLDEN=1 pytest tests/formats, then review the diff)"
    )
