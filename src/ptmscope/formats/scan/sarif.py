"""Scan results as SARIF 2.1.0, for code-scanning dashboards and CI gates.

Rules are the finding rule ids; a finding inside an archive points at the file
with the member chain as a logical location; parse errors are tool execution
notifications, so a dashboard shows that a file was not fully read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ptmscope._version import __version__
from ptmscope.formats.sarif import LEVEL as _LEVEL
from ptmscope.formats.sarif import SECURITY_SEVERITY as _SCORE
from ptmscope.formats.sarif import log
from ptmscope.results.scan import FileScan, ScanResult


def _uri(path: str) -> str:
    return Path(path).as_posix()


def build(scans: Iterable[FileScan]) -> dict[str, Any]:
    """The SARIF log of a scan (valid against the official 2.1.0 schema)."""
    scans = tuple(scans)
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for index, scan in enumerate(scans):
        for finding in scan.findings:
            rule = rules.setdefault(
                finding.rule,
                {
                    "id": finding.rule,
                    "name": finding.rule.replace(".", "_"),
                    "shortDescription": {"text": finding.rule},
                    "properties": {"tags": ["security", finding.category or "model-file"]},
                },
            )
            rule.setdefault("defaultConfiguration", {"level": _LEVEL[finding.severity]})
            location: dict[str, Any] = {
                "physicalLocation": {"artifactLocation": {"uri": _uri(scan.path), "index": index}}
            }
            if not finding.location.members and finding.location.offset is not None:
                location["physicalLocation"]["region"] = {"byteOffset": finding.location.offset}
            if finding.location.members:
                location["logicalLocations"] = [
                    {"fullyQualifiedName": " > ".join(finding.location.members), "kind": "member"}
                ]
            result: dict[str, Any] = {
                "ruleId": finding.rule,
                "level": _LEVEL[finding.severity],
                "message": {"text": finding.message},
                "locations": [location],
                "properties": {
                    "severity": finding.severity.label,
                    "security-severity": _SCORE[finding.severity],
                    "target": finding.target,
                    "location": finding.location.describe(),
                },
            }
            if finding.suppressed:
                # Repeats counted by the scan's finding caps: SARIF's own occurrence count.
                result["occurrenceCount"] = 1 + finding.suppressed
                result["properties"]["suppressed"] = finding.suppressed
            results.append(result)
        for error in scan.errors:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"{scan.path}: {error.message}"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": _uri(scan.path), "index": index}
                            }
                        }
                    ],
                }
            )
    driver = {"version": __version__, "rules": sorted(rules.values(), key=lambda r: r["id"])}
    run = {
        "artifacts": [
            {
                "location": {"uri": _uri(scan.path)},
                "length": scan.size,
                "properties": {"format": scan.format, "verdict": scan.verdict.value},
            }
            for scan in scans
        ],
        "invocations": [
            {
                "executionSuccessful": not notifications,
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": results,
    }
    return log(driver, run)


class ScanSarif:
    """The scan's findings as a SARIF 2.1.0 log; unreadable parts as notifications."""

    def render(self, result: ScanResult) -> str:
        """Indented JSON (SARIF is JSON)."""
        return json.dumps(build(result), indent=2, ensure_ascii=False) + "\n"


def render_sarif(scans: Iterable[FileScan]) -> str:
    """Deprecated: use :class:`ScanSarif` (or ``SCAN_FORMATS``)."""
    return ScanSarif().render(ScanResult(tuple(scans)))
