"""The audit as plain data: the one view every audit format renders.

It only rearranges what the audit computed (and the JSON format serialises it
as is), so formats never re-derive facts and never disagree with each other.
Its shape is ``schemas/audit.schema.json``; :data:`SCHEMA_VERSION` changes with it
(minor for additions, major for anything a reader of the old shape would misread).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from ptmscope.licenses import declared_licenses
from ptmscope.package import COMMIT_STATES, Package
from ptmscope.results.audit import AuditResult, Definition, Finding
from ptmscope.results.scan import FileScan
from ptmscope.severity import Severity
from ptmscope.vocab import ProbeKind

SCHEMA_VERSION = "2.5.0"
"""The version of the JSON shape (``schema_version`` in the output)."""

SCHEMA_FILE = "audit.schema.json"
LEGACY_SCHEMA_FILE = "report.schema.json"
"""The same schema under its name before 1.1.0 of the schemas folder (deprecated)."""

REMEDIATIONS = 5
"""How many of the scorecard's priorities the report lists with their fixes."""


def _evidence(finding: Finding) -> list[dict[str, str]]:
    return [{"location": e.location, "detail": e.detail} for e in finding.evidence]


def _finding(finding: Finding, definition: Definition) -> dict[str, Any]:
    return {
        "probe": finding.probe,
        "label": definition.short,
        "kind": str(definition.kind),
        "outcome": str(finding.outcome),
        "severity": finding.severity.label if finding.severity else None,
        "stride": [str(s) for s in definition.stride],
        "message": finding.message,
        "evidence": _evidence(finding),
        "remediation": definition.remediation,
    }


def remediations(result: AuditResult, limit: int = REMEDIATIONS) -> list[dict[str, str]]:
    """The scorecard's priorities, with the fix each probe's definition gives."""
    return [
        {"probe": probe, "text": result.definitions[probe].remediation}
        for probe in result.scorecard.priorities[:limit]
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _registry(package: Package) -> dict[str, Any] | None:
    """The registry's record as data: what admission rules on owners, gating and age read."""
    record = package.metadata
    if record is None:
        return None
    return {
        "origin": record.origin,
        "id": record.id,
        "author": record.author,
        "sha": record.sha,
        "gated": record.gated,
        "private": record.private,
        "created_at": _iso(record.created_at),
        "last_modified": _iso(record.last_modified),
        "downloads": record.downloads,
        "likes": record.likes,
        "pipeline_tag": record.pipeline_tag,
        "library_name": record.library_name,
    }


def _dates(package: Package) -> dict[str, str | None]:
    """When the model was created and when the audited revision was made: the registry's
    dates first (the Hub's, or a mirror's first sighting: a server wrote them), else the
    history's (first commit, the revision's own commit: the publisher wrote those)."""
    record = package.metadata
    history = package.history or ()
    created = record.created_at if record is not None else None
    revision = record.last_modified if record is not None else None
    if revision is None and history:
        revision = history[0].committer.when
    if created is None and history:
        created = history[-1].author.when
    return {"created": _iso(created), "revision": _iso(revision)}


def _signature(package: Package) -> dict[str, Any] | None:
    """The OMS model signature as checked: what it covers, what lies outside, what changed."""
    signed = package.signature
    if signed is None:
        return None
    return {
        "state": signed.state,
        "method": signed.method,
        "signer": signed.signer,
        "reason": signed.reason,
        "bundle": signed.bundle,
        "bundles": list(signed.bundles),
        "files_covered": signed.files_covered,
        "files_unsigned": list(signed.files_unsigned),
        "files_mismatched": list(signed.files_mismatched),
        "files_missing": list(signed.files_missing),
        "digests_from_registry": signed.digests_from_registry,
        "covers": {
            name: signed.covers.get(name)
            for name in ("readme", "config", "tokenizer", "chat_template")
        },
    }


def scan_entry(scan: FileScan) -> dict[str, Any]:
    """One file's scan as the report's ``scans`` list holds it (also what ``scan --policy``
    hands the policy engine, so a rule reads the same fields either way)."""
    return {
        "path": scan.path,
        "format": scan.format,
        "verdict": scan.verdict.value,
        "findings": len(scan.findings),
        "errors": len(scan.errors),
        "rules": sorted({f.rule for f in scan.findings}),
        "worst": scan.worst.label if scan.worst is not None else None,
    }


def build(result: AuditResult) -> dict[str, Any]:
    """The whole report as JSON-ready data (see ``schemas/audit.schema.json``)."""
    package = result.package
    card = result.scorecard
    signatures = package.signature_summary
    attributes: dict[str, Any] = {}
    for attribute in card.attributes:
        factors = {}
        for finding in attribute.findings:
            definition = result.definitions[finding.probe]
            factors[finding.probe.split(".", 1)[1]] = {
                "probe": finding.probe,
                "label": definition.short,
                "kind": str(definition.kind),
                "outcome": str(finding.outcome),
                "score": finding.score,
                "message": finding.message,
                "evidence": _evidence(finding),
                "remediation": definition.remediation,
            }
        attributes[attribute.name] = {
            "score": attribute.score,
            "coverage": attribute.coverage,
            "factors": factors,
        }
    risk_order = {f.probe: i for i, f in enumerate(card.risks)}
    findings = sorted(
        (f for f in result.findings if result.definitions[f.probe].kind is ProbeKind.RISK),
        key=lambda f: (risk_order.get(f.probe, len(risk_order)), f.probe),
    )
    counts = {level.label: 0 for level in reversed(Severity)}
    for risk in card.risks:
        if risk.severity is not None:
            counts[risk.severity.label] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ptmscope", "version": result.tool_version},
        "generated_at": package.collected_at.isoformat() if package.collected_at else None,
        "transfer": None
        if package.transfer is None
        else {
            "bytes_downloaded": package.transfer.bytes_downloaded,
            "package_bytes": package.transfer.package_bytes,
            "requests": package.transfer.requests,
        },
        "signature": _signature(package),
        "scans": [scan_entry(s) for s in package.scans],
        "package": {
            "ref": package.ref,
            "source": str(package.source),
            "name": package.name,
            "revision": package.revision,
            "commit": package.commit,
            "files": len(package.files),
            "bytes": package.total_bytes,
            "weights": [
                {
                    "path": w.path,
                    "format": str(w.format),
                    "guessed": w.guessed,
                    "role": str(w.role),
                    "size": w.size,
                    "pickle_based": w.pickle_based,
                    "available": w.available,
                    "parameters": w.parameters,
                    "dtypes": list(w.dtypes),
                }
                for w in package.weights
            ],
            "history": None
            if signatures is None
            else {
                "commits": signatures.commits,
                "signed": signatures.signed,
                "author_signed": signatures.author_signed,
                "platform_signed": signatures.platform_signed,
                "states": {state: signatures.states.get(state, 0) for state in COMMIT_STATES},
                "keyring": signatures.keyring,
            },
            "metadata": None if package.metadata is None else package.metadata.origin,
            "registry": _registry(package),
            "licenses": list(
                declared_licenses(
                    package.card.metadata if package.card is not None else None,
                    package.metadata.tags if package.metadata is not None else (),
                )
            ),
            "lineage": [
                {
                    "id": a.id,
                    "depth": a.depth,
                    "licenses": None if a.licenses is None else list(a.licenses),
                    "found": a.found,
                    "revision": a.revision,
                }
                for a in package.lineage
            ],
            "lineage_complete": package.lineage_complete,
            "dates": _dates(package),
            "problems": [asdict(p) for p in package.problems],
        },
        "summary": {
            "overall": card.overall,
            "uncapped": card.uncapped,
            "capped_by": card.cap.label if card.cap else None,
            "verdict": str(card.verdict),
            "coverage": card.coverage,
            "undecided": list(card.undecided),
            "missing_evidence": list(package.missing_evidence),
            "risks": counts,
        },
        "attributes": attributes,
        "findings": [_finding(f, result.definitions[f.probe]) for f in findings],
        "remediations": remediations(result),
        "claims": [{**asdict(c), "machine_parseable": c.machine_parseable} for c in package.claims],
        "verifications": None
        if package.verifications is None
        else [
            {
                "metric": v.metric,
                "dataset": v.dataset,
                "claimed": v.claimed,
                "measured": v.measured,
                "verdict": str(v.verdict),
                "reason": v.reason,
                "location": v.location,
            }
            for v in package.verifications
        ],
        **({"policy": result.policy.data()} if result.policy is not None else {}),
    }
