"""Renderers of a :class:`~ptmscope.results.scan.ScanResult` (``ptmscope scan``).

They never decide anything: verdicts and the gate are the result's own. Each
renderer is imported when first named (``ptmscope scan -f json`` never loads the
Markdown escaper or rich).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ptmscope.results.scan import FileScan, ScanResult

if TYPE_CHECKING:
    from ptmscope.formats.scan.json import ScanJson
    from ptmscope.formats.scan.markdown import ScanMarkdown
    from ptmscope.formats.scan.sarif import ScanSarif
    from ptmscope.formats.scan.text import ScanText

__all__ = ["ScanJson", "ScanMarkdown", "ScanSarif", "ScanText", "render"]

_MODULES = {
    "ScanJson": "json",
    "ScanMarkdown": "markdown",
    "ScanSarif": "sarif",
    "ScanText": "text",
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render(name: str, scans: Iterable[FileScan]) -> str:
    """Deprecated: use ``ptmscope.formats.SCAN_FORMATS.render(name, ScanResult(...))``."""
    from ptmscope.formats import SCAN_FORMATS

    return SCAN_FORMATS.render(name, ScanResult(tuple(scans)))
