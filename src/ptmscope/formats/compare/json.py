"""Compare as JSON: ``{models: [...], rows: [...]}`` (``schemas/compare.schema.json``)."""

from __future__ import annotations

import json

from ptmscope.results.compare import CompareResult


class CompareJson:
    """Every row with the raw values (lists stay lists, unknown is ``null``)."""

    def render(self, result: CompareResult) -> str:
        """Indented JSON."""
        return json.dumps(result.data(), indent=2) + "\n"
