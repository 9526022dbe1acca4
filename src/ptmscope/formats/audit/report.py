"""The audit's data view, now in :mod:`ptmscope.results.audit_report` (the admission policy
and the gateway read it too, below the formats); kept importable here, with its schema."""

from __future__ import annotations

from typing import Any

from ptmscope.results.audit_report import SCHEMA_FILE, SCHEMA_VERSION, build, remediations

__all__ = ["SCHEMA_VERSION", "build", "remediations", "schema"]


def schema() -> dict[str, Any]:
    """The JSON Schema of :func:`build`'s output, shipped in the package."""
    from ptmscope.formats.schemas import load

    return load(SCHEMA_FILE)
