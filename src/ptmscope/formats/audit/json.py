"""Audit JSON: the report data view as is, versioned by ``schema_version``.

Its shape is ``schemas/audit.schema.json`` (``report.schema.json`` is the same
file under its old name).
"""

from __future__ import annotations

import json

from ptmscope.results.audit import AuditResult
from ptmscope.results.audit_report import build


class AuditJson:
    """The audit as JSON, for machines (dashboards, ``jq``, a later ``compare``)."""

    def render(self, result: AuditResult) -> str:
        """Indented JSON; non-ASCII kept as is (the encoder escapes what JSON needs)."""
        return json.dumps(build(result), indent=2, ensure_ascii=False) + "\n"
