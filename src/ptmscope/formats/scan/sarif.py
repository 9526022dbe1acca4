"""Scan results as SARIF 2.1.0, shaped for GitHub code scanning and other dashboards.

Rules are the finding rule ids, each with the descriptions, help and security
score a dashboard shows (:mod:`ptmscope.formats.scan.rules`); GitHub reads the
severity from the rule, so a rule carries the worst severity it was found at in
this run. Every result points at its file with ``region.startLine`` 1 (model
files are binary: the byte offset is kept beside it) and a ``partialFingerprints``
hash of rule, file content, location and target, so a repeated scan of the same
file updates its alerts instead of duplicating them. A finding inside an archive
names the member chain as a logical location. Parts that could not be read are
tool execution notifications, so a dashboard shows that a file was not fully read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ptmscope._version import __version__
from ptmscope.formats.sarif import LEVEL as _LEVEL
from ptmscope.formats.sarif import (
    MAX_RESULTS_PER_RUN,
    description,
    fingerprint,
    log,
    rule_properties,
)
from ptmscope.formats.sarif import SECURITY_SEVERITY as _SCORE
from ptmscope.formats.scan.rules import help_uri, rule_doc
from ptmscope.results.scan import FileScan, ScanFinding, ScanResult
from ptmscope.severity import Severity


def uri(path: str) -> str:
    """The path as the scan names it (slashes on every platform; a name that is not UTF-8
    keeps its visible escapes, so the report and the terminal agree)."""
    return Path(path).as_posix()


def _message(finding: ScanFinding) -> str:
    """The whole finding in words: message, repeats and where inside the file."""
    text = finding.message
    if finding.suppressed:
        text += f" (and {finding.suppressed:,} more of the same)"
    if finding.location.members:
        text += f" in {finding.location.describe()}"
    elif finding.location.offset is not None:
        text += f" at byte offset {finding.location.offset:,}"
    return text


def _rule(rule: str, category: str | None, severity: Severity) -> dict[str, Any]:
    doc = rule_doc(rule, category)
    markdown = (
        f"**{doc.short}**\n\n{doc.full}\n\n**What to do:** {doc.fix}\n\n"
        f"Rule `{rule}`; the finding's message names the callable, member or offset."
    )
    return {
        "id": rule,
        "name": "".join(part.capitalize() for part in rule.replace(".", "_").split("_")),
        "shortDescription": description(doc.short),
        "fullDescription": description(doc.full),
        "help": {"text": f"{doc.full}\n\nWhat to do: {doc.fix}", "markdown": markdown},
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": rule_properties(severity, [category or "model-file", "model-file"]),
    }


def _result(scan: FileScan, index: int, finding: ScanFinding) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": 1}
    if not finding.location.members and finding.location.offset is not None:
        region["byteOffset"] = finding.location.offset
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": uri(scan.path), "index": index},
            "region": region,
        }
    }
    if finding.location.members:
        location["logicalLocations"] = [
            {"fullyQualifiedName": " > ".join(finding.location.members), "kind": "member"}
        ]
    content = scan.sha256 or f"size:{scan.size}"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": _LEVEL[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [location],
        "partialFingerprints": fingerprint(
            finding.rule, content, finding.location.describe(), finding.target
        ),
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
    return result


def build(scans: Iterable[FileScan]) -> dict[str, Any]:
    """The SARIF log of a scan (valid against the official 2.1.0 schema and GitHub's rules)."""
    decision = scans.policy if isinstance(scans, ScanResult) else None
    scans = tuple(scans)
    worst: dict[str, tuple[Severity, str | None]] = {}
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    notifications: list[dict[str, Any]] = []
    for index, scan in enumerate(scans):
        for finding in scan.findings:
            seen = worst.get(finding.rule)
            if seen is None or finding.severity.rank > seen[0].rank:
                worst[finding.rule] = (finding.severity, finding.category)
            ranked.append((-finding.severity.rank, len(ranked), _result(scan, index, finding)))
        for error in scan.errors:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"{scan.path}: {error.message}"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": uri(scan.path), "index": index}
                            }
                        }
                    ],
                }
            )
    results = [r for _, _, r in ranked]
    if len(results) > MAX_RESULTS_PER_RUN:
        kept = sorted(ranked, key=lambda item: item[:2])[:MAX_RESULTS_PER_RUN]
        results = [r for _, _, r in sorted(kept, key=lambda item: item[1])]
        notifications.append(
            {
                "level": "error",
                "message": {
                    "text": f"{len(ranked) - MAX_RESULTS_PER_RUN:,} of {len(ranked):,} results "
                    f"left out (GitHub code scanning accepts {MAX_RESULTS_PER_RUN:,} a run; the "
                    "worst are kept): the JSON report lists them all"
                },
            }
        )
    rules = [
        _rule(rule, category, severity) for rule, (severity, category) in sorted(worst.items())
    ]
    positions = {rule["id"]: position for position, rule in enumerate(rules)}
    for result in results:
        result["ruleIndex"] = positions[result["ruleId"]]
    driver = {"version": __version__, "rules": rules}
    run = {
        "artifacts": [
            {
                "location": {"uri": uri(scan.path)},
                "length": scan.size,
                **({"hashes": {"sha-256": scan.sha256}} if scan.sha256 else {}),
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
        **({"properties": {"policy": decision.data()}} if decision is not None else {}),
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
