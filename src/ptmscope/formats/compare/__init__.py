"""Renderers of a :class:`~ptmscope.results.compare.CompareResult` (``ptmscope compare``):
``text`` and ``markdown`` mark the rows where the models differ; ``json`` is the result's
own data (``schemas/compare.schema.json``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ptmscope.formats import LazyRenderers
from ptmscope.formats.registry import Formats

if TYPE_CHECKING:
    from ptmscope.results.compare import CompareResult

COMPARE_FORMATS: Formats[CompareResult] = Formats(
    "compare",
    LazyRenderers({"text": "ptmscope.formats.compare.text:CompareText",
                   "json": "ptmscope.formats.compare.json:CompareJson",
                   "markdown": "ptmscope.formats.compare.markdown:CompareMarkdown"}),
)  # fmt: skip
"""Registered here until ``ptmscope.formats`` lists it beside the other result types."""

__all__ = ["COMPARE_FORMATS"]
