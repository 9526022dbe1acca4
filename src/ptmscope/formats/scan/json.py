"""Scan results as JSON (``schemas/scan.schema.json``, versioned like the audit report)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ptmscope._version import __version__
from ptmscope.results.scan import FileScan, FileVerdict, Location

SCHEMA_VERSION = "1.1.0"
"""1.1.0: findings carry ``suppressed``, the further occurrences counted but not listed."""


def _location(location: Location) -> dict[str, Any]:
    return {
        "members": list(location.members),
        "offset": location.offset,
        "text": location.describe(),
    }


def file_dict(scan: FileScan) -> dict[str, Any]:
    return {
        "path": scan.path,
        "format": scan.format,
        "size": scan.size,
        "verdict": scan.verdict.value,
        "seconds": round(scan.seconds, 6),
        "findings": [
            {
                "severity": f.severity.label,
                "rule": f.rule,
                "message": f.message,
                "location": _location(f.location),
                "target": f.target,
                "category": f.category,
                "suppressed": f.suppressed,
            }
            for f in scan.findings
        ],
        "errors": [{"message": e.message, "location": _location(e.location)} for e in scan.errors],
    }


def build(scans: Sequence[FileScan]) -> dict[str, Any]:
    verdicts = Counter(scan.verdict.value for scan in scans)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ptmscope", "version": __version__},
        "summary": {
            "files": len(scans),
            **{v.value: verdicts.get(v.value, 0) for v in FileVerdict},
        },
        "files": [file_dict(scan) for scan in scans],
    }


def render_json(scans: Sequence[FileScan]) -> str:
    return json.dumps(build(scans), indent=2, ensure_ascii=False) + "\n"
