"""Audit as SARIF 2.1.0: detected risks as results, for code-scanning dashboards and CI gates.

Each risk probe is a rule (its definition as the description, its remediation
as help, its default severity as the level); each detected risk is a result at
the evidence's ``path:line`` when the path is a file of the package, else at a
logical location named by the evidence. Factors and signals are not results
(they are not defects of a file): the scorecard rides along in the run's
``properties``. Content that could not be read is a tool execution
notification, and the run is then not successful, so a dashboard shows that
the audit is incomplete instead of clean.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from typing import Any

from ptmscope.formats.audit.report import remediations
from ptmscope.formats.sarif import LEVEL, SECURITY_SEVERITY, log, uri
from ptmscope.results.audit import AuditResult, Definition, Evidence, Finding
from ptmscope.severity import Severity
from ptmscope.vocab import ProbeKind

_EVIDENCE = re.compile(r"^(?P<path>[^#]*?)(?::(?P<line>[1-9][0-9]{0,9}))?(?:#(?P<part>.*))?$")
"""``README.md:42``, ``README.md#license``, ``config.json#auto_map`` or a bare path."""


def _rule(definition: Definition) -> dict[str, Any]:
    severity = definition.severity or Severity.INFO
    return {
        "id": definition.id,
        "name": definition.id.removeprefix("risk.").replace(".", "_"),
        "shortDescription": {"text": definition.short},
        "fullDescription": {"text": definition.motivation},
        "help": {"text": definition.remediation},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "tags": ["security", *(str(s) for s in definition.stride)],
            "severity": severity.label,
            "security-severity": SECURITY_SEVERITY[severity],
            "implementation": definition.implementation,
        },
    }


def _location(evidence: Evidence, files: frozenset[str]) -> dict[str, Any]:
    match = _EVIDENCE.match(evidence.location)
    path = match["path"] if match else ""
    if match and path in files:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri(path)}}
        if match["line"]:
            physical["region"] = {"startLine": int(match["line"])}
        location: dict[str, Any] = {"physicalLocation": physical}
        if match["part"]:
            location["logicalLocations"] = [{"fullyQualifiedName": match["part"], "kind": "member"}]
    else:
        location = {"logicalLocations": [{"fullyQualifiedName": evidence.location}]}
    if evidence.detail:
        location["message"] = {"text": evidence.detail}
    return location


def _result(finding: Finding, rules: dict[str, int], files: frozenset[str]) -> dict[str, Any]:
    severity = finding.severity or Severity.INFO
    result: dict[str, Any] = {
        "ruleId": finding.probe,
        "ruleIndex": rules[finding.probe],
        "level": LEVEL[severity],
        "message": {"text": finding.message},
        "properties": {
            "severity": severity.label,
            "security-severity": SECURITY_SEVERITY[severity],
        },
    }
    locations = [_location(e, files) for e in finding.evidence if e.location]
    if locations:
        result["locations"] = locations
    return result


def build(result: AuditResult) -> dict[str, Any]:
    """The SARIF log of an audit (valid against the official 2.1.0 schema)."""
    package, card = result.package, result.scorecard
    definitions = sorted(
        (d for d in result.definitions.values() if d.kind is ProbeKind.RISK), key=lambda d: d.id
    )
    rules = {d.id: index for index, d in enumerate(definitions)}
    files = frozenset(entry.path for entry in package.files)
    notifications = [
        {
            "level": "error" if problem.unreadable else "warning",
            "message": {"text": f"{problem.path}: {problem.message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(problem.path)},
                        **({"region": {"startLine": problem.line}} if problem.line else {}),
                    }
                }
            ],
        }
        for problem in package.problems
    ]
    run: dict[str, Any] = {
        "invocations": [
            {
                "executionSuccessful": not result.incomplete,
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": [_result(f, rules, files) for f in card.risks if f.probe in rules],
        "properties": {
            "package": {
                "ref": package.ref,
                "source": str(package.source),
                "name": package.name,
                "revision": package.revision,
                "commit": package.commit,
            },
            "scorecard": {
                "overall": card.overall,
                "uncapped": card.uncapped,
                "capped_by": card.cap.label if card.cap else None,
                "verdict": str(card.verdict),
                "attributes": {a.name: a.score for a in card.attributes},
            },
            "remediations": remediations(result),
        },
    }
    if package.collected_at is not None and package.collected_at.tzinfo is not None:
        collected = package.collected_at.astimezone(UTC)
        run["invocations"][0]["endTimeUtc"] = collected.strftime("%Y-%m-%dT%H:%M:%SZ")
    driver = {
        "version": result.tool_version,
        "rules": [_rule(d) for d in definitions],
    }
    return log(driver, run)


class AuditSarif:
    """The audit's detected risks as a SARIF 2.1.0 log."""

    def render(self, result: AuditResult) -> str:
        """Indented JSON (SARIF is JSON)."""
        return json.dumps(build(result), indent=2, ensure_ascii=False) + "\n"
