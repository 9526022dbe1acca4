"""Renderers of scan results (JSON, text, SARIF 2.1.0); they never decide anything."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ptmscope.errors import InputError
from ptmscope.formats.scan.json import render_json
from ptmscope.formats.scan.sarif import render_sarif
from ptmscope.formats.scan.text import render_text
from ptmscope.results.scan import FileScan

SCAN_FORMATS: dict[str, Callable[[Sequence[FileScan]], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
}


def render(name: str, scans: Sequence[FileScan]) -> str:
    try:
        return SCAN_FORMATS[name](scans)
    except KeyError:
        raise InputError(
            f"unknown format {name!r}; choose from {', '.join(SCAN_FORMATS)}"
        ) from None
