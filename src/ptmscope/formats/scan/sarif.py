"""Scan results as SARIF 2.1.0, for code-scanning dashboards and CI gates.

Rules are the finding rule ids; a finding inside an archive points at the file
with the member chain as a logical location; parse errors are tool execution
notifications, so a dashboard shows that a file was not fully read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ptmscope._version import __version__
from ptmscope.results.scan import FileScan
from ptmscope.severity import Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_SCORE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "2.0",
    Severity.INFO: "0.0",
}


def _uri(path: str) -> str:
    return Path(path).as_posix()


def build(scans: Sequence[FileScan]) -> dict[str, Any]:
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
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ptmscope",
                        "version": __version__,
                        "informationUri": "https://github.com/ptmscope/ptmscope",
                        "rules": sorted(rules.values(), key=lambda r: r["id"]),
                    }
                },
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
        ],
    }


def render_sarif(scans: Sequence[FileScan]) -> str:
    return json.dumps(build(scans), indent=2, ensure_ascii=False) + "\n"
