"""JSON: the report data, versioned by ``schema_version`` (see ``schemas/report.schema.json``)."""

from __future__ import annotations

import json

from ptmscope.formats.interface import Format
from ptmscope.formats.report import build
from ptmscope.results.audit import AuditResult


class JsonFormat(Format):
    def render(self, result: AuditResult) -> str:
        return json.dumps(build(result), indent=2, ensure_ascii=False) + "\n"
