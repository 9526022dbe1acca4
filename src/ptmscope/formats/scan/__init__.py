"""Renderers of a :class:`~ptmscope.results.scan.ScanResult` (``ptmscope scan``).

They never decide anything: verdicts and the gate are the result's own.
"""

from __future__ import annotations

from collections.abc import Iterable

from ptmscope.formats.scan.json import ScanJson
from ptmscope.formats.scan.markdown import ScanMarkdown
from ptmscope.formats.scan.sarif import ScanSarif
from ptmscope.formats.scan.text import ScanText
from ptmscope.results.scan import FileScan, ScanResult

__all__ = ["ScanJson", "ScanMarkdown", "ScanSarif", "ScanText", "render"]


def render(name: str, scans: Iterable[FileScan]) -> str:
    """Deprecated: use ``ptmscope.formats.SCAN_FORMATS.render(name, ScanResult(...))``."""
    from ptmscope.formats import SCAN_FORMATS

    return SCAN_FORMATS.render(name, ScanResult(tuple(scans)))
