"""Audit as SARIF 2.1.0: detected risks as results, for code-scanning dashboards and CI gates.

Each risk probe is a rule (its definition as the description, its remediation
as help, its default severity as the level and GitHub's security score); each
detected risk is a result at the evidence's ``path:line`` when the path is a file
of the package (line 1 when none is named), else at the package's card (GitHub
code scanning refuses a result without a file) with the evidence as a logical
location. ``partialFingerprints`` hash the probe, the file's content hash (or
size) and the location, so a repeated audit updates its alerts. Factors and signals are not results
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

from ptmscope.formats.sarif import (
    INFORMATION_URI,
    LEVEL,
    SECURITY_SEVERITY,
    description,
    fingerprint,
    log,
    rule_properties,
    uri,
)
from ptmscope.package import FileEntry
from ptmscope.results.audit import AuditResult, Definition, Evidence, Finding
from ptmscope.results.audit_report import remediations
from ptmscope.severity import Severity
from ptmscope.vocab import ProbeKind

_EVIDENCE = re.compile(r"^(?P<path>[^#]*?)(?::(?P<line>[1-9][0-9]{0,9}))?(?:#(?P<part>.*))?$")
"""``README.md:42``, ``README.md#license``, ``config.json#auto_map`` or a bare path."""


PROBES_URI = f"{INFORMATION_URI}#probes"
"""Where the probes are documented (``helpUri``; ``ptmscope probes`` prints the same)."""
CARD = "README.md"


def _rule(definition: Definition) -> dict[str, Any]:
    severity = definition.severity or Severity.INFO
    markdown = (
        f"**{definition.short}**\n\n{definition.motivation}\n\n"
        f"**How it is decided:** {definition.implementation}\n\n"
        f"**What to do:** {definition.remediation}"
    )
    properties = rule_properties(severity, [str(s) for s in definition.stride])
    properties["implementation"] = definition.implementation
    return {
        "id": definition.id,
        "name": definition.id.removeprefix("risk.").replace(".", "_"),
        "shortDescription": description(definition.short),
        "fullDescription": description(definition.motivation),
        "help": {"text": definition.remediation, "markdown": markdown},
        "helpUri": f"{PROBES_URI}-{definition.id.replace('.', '-').replace('_', '-')}",
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": properties,
    }


def _anchor(files: dict[str, FileEntry]) -> str | None:
    """The file a package-level risk is shown on: the card, else the first file."""
    if CARD in files:
        return CARD
    return next(iter(sorted(files)), None)


def _location(evidence: Evidence, files: dict[str, FileEntry]) -> dict[str, Any]:
    match = _EVIDENCE.match(evidence.location)
    path = match["path"] if match else ""
    if match and path in files:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": uri(path)},
            "region": {"startLine": int(match["line"]) if match["line"] else 1},
        }
        location: dict[str, Any] = {"physicalLocation": physical}
        if match["part"]:
            location["logicalLocations"] = [{"fullyQualifiedName": match["part"], "kind": "member"}]
    else:
        location = {"logicalLocations": [{"fullyQualifiedName": evidence.location}]}
        anchor = _anchor(files)
        if anchor is not None:
            location["physicalLocation"] = {
                "artifactLocation": {"uri": uri(anchor)},
                "region": {"startLine": 1},
            }
    if evidence.detail:
        location["message"] = {"text": evidence.detail}
    return location


def _content(location: dict[str, Any], files: dict[str, FileEntry]) -> str:
    """What a result's fingerprint says about its file: content hash, else git oid, else size."""
    physical = location.get("physicalLocation")
    if physical is None:
        return ""
    by_uri = {uri(path): entry for path, entry in files.items()}
    entry = by_uri.get(physical["artifactLocation"]["uri"])
    if entry is None:
        return ""
    return entry.sha256 or entry.git_oid or f"size:{entry.size}"


def _result(finding: Finding, rules: dict[str, int], files: dict[str, FileEntry]) -> dict[str, Any]:
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
    if not any("physicalLocation" in loc for loc in locations) and _anchor(files) is not None:
        anchor = str(_anchor(files))
        locations.append(
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(anchor)},
                    "region": {"startLine": 1},
                }
            }
        )
    # GitHub shows the first location: put one with a file first.
    locations.sort(key=lambda loc: "physicalLocation" not in loc)
    if locations:
        result["locations"] = locations[:MAX_LOCATIONS]
        first = locations[0]
        physical = first.get("physicalLocation", {})
        result["partialFingerprints"] = fingerprint(
            finding.probe,
            _content(first, files),
            physical.get("artifactLocation", {}).get("uri"),
            physical.get("region", {}).get("startLine"),
            evidence_key(finding),
        )
    return result


def evidence_key(finding: Finding) -> str:
    """The evidence locations of a finding, in order (part of its fingerprint: two risks of one
    probe on one file are told apart by what they point at, not by their wording)."""
    return "|".join(e.location for e in finding.evidence)


MAX_LOCATIONS = 1_000
"""GitHub code scanning's limit on locations per result."""


def build(result: AuditResult) -> dict[str, Any]:
    """The SARIF log of an audit (valid against the official 2.1.0 schema)."""
    package, card = result.package, result.scorecard
    definitions = sorted(
        (d for d in result.definitions.values() if d.kind is ProbeKind.RISK), key=lambda d: d.id
    )
    rules = {d.id: index for index, d in enumerate(definitions)}
    files = {entry.path: entry for entry in package.files}
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
            **({"policy": result.policy.data()} if result.policy is not None else {}),
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
