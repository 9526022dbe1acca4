"""Study as JSON: every measurement with id, definition, rows and the paper's value.

Shape: ``schemas/study.schema.json``. 1.1.0 added ``schema_version`` itself and
each measurement's ``notes`` (the unversioned output before it was 1.0.0); 1.2.0
added ``paper``: every value of the ICSE 2023 paper and where it came from.
"""

from __future__ import annotations

import json
from typing import Any

from ptmscope.results.study import StudyResult

SCHEMA_VERSION = "1.2.0"
"""The version of the JSON shape (``schema_version`` in the output)."""


def build(result: StudyResult) -> dict[str, Any]:
    """The study report as JSON-ready data."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ptmscope", "version": result.tool_version},
        "measurements": [
            {
                "id": m.id,
                "title": m.title,
                "definition": m.definition,
                "rows": [
                    {"key": r.key, "numerator": r.numerator, "denominator": r.denominator}
                    for r in m.rows
                ],
                "paper": m.paper,
                "notes": list(m.notes),
            }
            for m in result.measurements
        ],
        "paper": {
            "source": result.paper_source,
            "values": [
                {"id": p.id, "where": p.where, "title": p.title, "value": p.value,
                 "denominator": p.denominator}
                for p in result.paper
            ],
        },
    }  # fmt: skip


class StudyJson:
    """The measurements as JSON, for notebooks and a later comparison of two studies."""

    def render(self, result: StudyResult) -> str:
        """Indented JSON."""
        return json.dumps(build(result), indent=2) + "\n"
