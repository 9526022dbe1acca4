"""Renderers of a :class:`~ptmscope.results.select.SelectResult` (``ptmscope select``).

:data:`SELECT_FORMATS` is the registry the CLI's ``--format`` reads (``text``, ``json``,
``markdown``); it belongs beside the others in :mod:`ptmscope.formats` once merged.
"""

from __future__ import annotations

from ptmscope.formats.registry import Formats
from ptmscope.formats.select.json import SCHEMA_VERSION, SelectJson, build
from ptmscope.formats.select.markdown import SelectMarkdown
from ptmscope.formats.select.text import SelectText
from ptmscope.results.select import SelectResult

__all__ = [
    "SCHEMA_VERSION",
    "SELECT_FORMATS",
    "SelectJson",
    "SelectMarkdown",
    "SelectText",
    "build",
]

SELECT_FORMATS: Formats[SelectResult] = Formats(
    "select", {"text": SelectText(), "json": SelectJson(), "markdown": SelectMarkdown()}
)
