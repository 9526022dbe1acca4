"""Scan results as JSON (``schemas/scan.schema.json``, versioned like the audit report)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ptmscope._version import __version__
from ptmscope.results.scan import FileScan, FileVerdict, Location, ScanResult

SCHEMA_VERSION = "1.2.0"
"""1.1.0: findings carry ``suppressed``, the further occurrences counted but not listed;
1.2.0: ``policy``, the admission decision of ``scan --policy``."""


def _location(location: Location) -> dict[str, Any]:
    return {
        "members": list(location.members),
        "offset": location.offset,
        "text": location.describe(),
    }


def file_dict(scan: FileScan) -> dict[str, Any]:
    """One file's scan as JSON-ready data."""
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


def build(scans: Iterable[FileScan]) -> dict[str, Any]:
    """The whole scan report as JSON-ready data (see ``schemas/scan.schema.json``)."""
    decision = scans.policy if isinstance(scans, ScanResult) else None
    scans = tuple(scans)
    verdicts = Counter(scan.verdict.value for scan in scans)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ptmscope", "version": __version__},
        "summary": {
            "files": len(scans),
            **{v.value: verdicts.get(v.value, 0) for v in FileVerdict},
        },
        "files": [file_dict(scan) for scan in scans],
        **({"policy": decision.data()} if decision is not None else {}),
    }


class ScanJson:
    """The scan as JSON: a summary of verdicts and every file's findings and errors."""

    def render(self, result: ScanResult) -> str:
        """Indented JSON; non-ASCII kept as is."""
        return json.dumps(build(result), indent=2, ensure_ascii=False) + "\n"


def render_json(scans: Iterable[FileScan]) -> str:
    """Deprecated: use :class:`ScanJson` (or ``SCAN_FORMATS``)."""
    return ScanJson().render(ScanResult(tuple(scans)))
