"""Study as JSON: every measurement with id, definition, rows and the paper's value.

Shape: ``schemas/study.schema.json``. 1.1.0 added ``schema_version`` itself and
each measurement's ``notes`` (the unversioned output before it was 1.0.0); 1.2.0
added ``paper``: every value of the ICSE 2023 paper and where it came from; 1.3.0
added per measurement ``paper_rows`` (the paper's value per key), ``coverage``,
``caveats`` and ``heatmap``, ``rows`` on each paper value, and the ``inputs``
measurement (the sources the study read); 1.4.0 added ``reproduction``: each paper
measurement by the artifact's method and by ptmscope's, with reasons and needs.
"""

from __future__ import annotations

import json
from typing import Any

from ptmscope.results.study import Coverage, Heatmap, Method, PaperRow, StudyResult

SCHEMA_VERSION = "1.4.0"
"""The version of the JSON shape (``schema_version`` in the output)."""


def _paper_row(row: PaperRow) -> dict[str, Any]:
    return {"key": row.key, "share": row.share, "numerator": row.numerator,
            "denominator": row.denominator}  # fmt: skip


def _coverage(cover: Coverage | None) -> dict[str, Any] | None:
    if cover is None:
        return None
    return {"covered": cover.covered, "total": cover.total, "what": cover.what}


def _heatmap(heat: Heatmap | None) -> dict[str, Any] | None:
    if heat is None:
        return None
    return {
        "row_label": heat.row_label, "column_label": heat.column_label,
        "rows": list(heat.rows), "columns": list(heat.columns),
        "cells": [[[c.numerator, c.denominator] for c in cells] for cells in heat.cells],
    }  # fmt: skip


def _method(method: Method | None) -> dict[str, Any] | None:
    if method is None:
        return None
    return {
        "name": method.name, "definition": method.definition, "headline": method.headline,
        "measurement": method.measurement, "unit": method.unit,
        "rows": [{"key": r.key, "numerator": r.numerator, "denominator": r.denominator}
                 for r in method.rows],
    }  # fmt: skip


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
                "paper_rows": [_paper_row(row) for row in m.paper_rows],
                "coverage": _coverage(m.coverage),
                "caveats": list(m.caveats),
                "heatmap": _heatmap(m.heatmap),
            }
            for m in result.measurements
        ],
        "paper": {
            "source": result.paper_source,
            "values": [
                {"id": p.id, "where": p.where, "title": p.title, "value": p.value,
                 "denominator": p.denominator, "rows": [_paper_row(r) for r in p.rows]}
                for p in result.paper
            ],
        },
        "reproduction": [
            {"id": r.id, "title": r.title, "paper_value": r.paper_value,
             "paper_rows": [_paper_row(row) for row in r.paper_rows],
             "paper_method": _method(r.paper_method),
             "ptmscope_method": _method(r.ptmscope_method),
             "reasons": list(r.reasons), "needs": r.needs, "supported": r.supported}
            for r in result.reproductions
        ],
    }  # fmt: skip


class StudyJson:
    """The measurements as JSON, for notebooks and a later comparison of two studies."""

    def render(self, result: StudyResult) -> str:
        """Indented JSON."""
        return json.dumps(build(result), indent=2) + "\n"
