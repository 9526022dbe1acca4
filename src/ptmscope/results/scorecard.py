"""The audit in OpenSSF Scorecard's shape, plus the history and diff views built on it.

Scorecard's API answer (``date``, ``repo {name, commit}``, ``scorecard {version}``,
``score``, ``checks[{name, score, reason, details, documentation}]``) is what viewers,
badges and dashboards already read, so ptmscope serves its audits in that shape. It is
built from the audit report data (:func:`ptmscope.results.audit_report.build`) and only
rearranges it: one owner per fact, the report stays the source. ptmscope's own blocks
(attributes with evidence, risks, scans, claims, policy, signature) sit beside the
Scorecard fields under their own keys, so a Scorecard reader ignores them safely.

Scores follow Scorecard: 0-10 per check, ``-1`` when the check could not be decided
(Scorecard's "inconclusive"). A factor or signal keeps its audit score (7.5 stays 7.5:
ptmscope's scores are not integers); a risk probe scores 10 when clear and ``10 -
weight`` of its severity when detected (critical 0, high 2.5, medium 5, low 7.5), the
same weights the audit's caps use. The shape is ``schemas/scorecard.schema.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ptmscope.severity import Severity

SCHEMA_VERSION = "1.0.0"
"""The version of the scorecard, history and diff shapes (``scorecard.schema_version``)."""
SCHEMA_FILE = "scorecard.schema.json"

UNDECIDED = -1
"""Scorecard's score for a check that could not be decided."""
MAX_SCORE = 10.0

PROBES_URI = "https://github.com/ptmscope/ptmscope#probes"
"""Where each probe is documented (the README's probe reference; SARIF's ``helpUri`` too)."""

MAX_DETAILS = 20
"""Evidence lines a check's ``details`` lists (the ``attributes`` block keeps all of it)."""


def probe_uri(probe: str) -> str:
    """The documentation anchor of one probe."""
    return f"{PROBES_URI}-{probe.replace('.', '-').replace('_', '-')}"


def _score(value: float | None) -> float:
    return UNDECIDED if value is None else round(float(value), 2)


def _details(evidence: list[dict[str, str]]) -> list[str] | None:
    lines = [f"{e['location']}: {e['detail']}" if e["detail"] else e["location"] for e in evidence]
    return lines[:MAX_DETAILS] or None


def risk_score(outcome: str, severity: str | None) -> float:
    """A risk probe's 0-10 check score (see the module docstring)."""
    if outcome == "clear":
        return MAX_SCORE
    if outcome != "detected":
        return UNDECIDED
    weight = Severity.parse(severity).weight if severity else Severity.INFO.weight
    return MAX_SCORE - weight


def _check(item: Mapping[str, Any], score: float, attribute: str | None) -> dict[str, Any]:
    return {
        "name": item["probe"],
        "score": score,
        "reason": item["message"],
        "details": _details(item["evidence"]),
        "documentation": {"short": item["label"], "url": probe_uri(item["probe"])},
        "kind": item["kind"],
        "attribute": attribute,
        "outcome": item["outcome"],
        "severity": item.get("severity"),
        "remediation": item["remediation"],
    }


def checks(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One check per attribute probe (factor or signal) and per risk probe, in report order."""
    found = [
        _check(factor, _score(factor["score"]), attribute)
        for attribute, block in report["attributes"].items()
        for factor in block["factors"].values()
    ]
    found += [
        _check(risk, risk_score(risk["outcome"], risk["severity"]), None)
        for risk in report["findings"]
    ]
    return found


def build(
    report: Mapping[str, Any],
    *,
    name: str | None = None,
    commit: str | None = None,
    policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The scorecard of one audited revision (``schemas/scorecard.schema.json``).

    ``name`` and ``commit`` override the report's (a registry names packages by its own
    ids); ``policy`` is a decision made outside the audit (the gateway's), which wins over
    the report's own ``policy`` block.
    """
    package = report["package"]
    summary = report["summary"]
    decision = policy if policy is not None else report.get("policy")
    return {
        "date": report["generated_at"],
        "repo": {
            "name": name or package["name"] or package["ref"],
            "commit": commit or package["commit"] or package["revision"],
        },
        "scorecard": {"version": report["tool"]["version"], "schema_version": SCHEMA_VERSION},
        "score": _score(summary["overall"]),
        "coverage": summary["coverage"],
        "verdict": summary["verdict"],
        "capped_by": summary["capped_by"],
        "checks": checks(report),
        "attributes": report["attributes"],
        "risks": [f for f in report["findings"] if f["outcome"] == "detected"],
        "scans": report["scans"],
        "claims": {"claimed": report["claims"], "verified": report["verifications"]},
        "policy": None if decision is None else dict(decision),
        "signature": report["signature"],
        "remediations": report["remediations"],
    }


def history_entry(scorecard: Mapping[str, Any]) -> dict[str, Any]:
    """What the history keeps of one audited commit."""
    policy = scorecard.get("policy")
    return {
        "commit": scorecard["repo"]["commit"],
        "date": scorecard["date"],
        "score": scorecard["score"],
        "coverage": scorecard["coverage"],
        "verdict": scorecard["verdict"],
        "decision": None if policy is None else policy.get("decision"),
        "version": scorecard["scorecard"]["version"],
    }


def history(name: str, entries: list[dict[str, Any]], served: str | None) -> dict[str, Any]:
    """Every audited commit of ``name``, oldest audit first, and the commit served now."""
    return {
        "repo": {"name": name},
        "scorecard": {"schema_version": SCHEMA_VERSION},
        "served_commit": served,
        "history": entries,
    }


def _side(card: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "commit": card["repo"]["commit"],
        "date": card["date"],
        "score": card["score"],
        "verdict": card["verdict"],
    }


def _delta(old: float, new: float) -> float | None:
    return None if UNDECIDED in (old, new) else round(new - old, 2)


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return bool(a["score"] == b["score"] and a["outcome"] == b["outcome"])


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What changed from scorecard ``old`` to ``new``: the score, every check whose score or
    outcome moved (a factor that flipped), risks that appeared or were resolved, scan
    verdicts per file, the policy decision and the signature state."""
    before = {c["name"]: c for c in old["checks"]}
    after = {c["name"]: c for c in new["checks"]}
    changed = []
    for name in [*before, *(n for n in after if n not in before)]:
        a, b = before.get(name), after.get(name)
        if a is not None and b is not None and _same(a, b):
            continue
        changed.append(
            {
                "name": name,
                "from": None if a is None else {"score": a["score"], "outcome": a["outcome"]},
                "to": None if b is None else {"score": b["score"], "outcome": b["outcome"]},
                "reason": (b or a or {}).get("reason"),
            }
        )
    old_risks = {r["probe"]: r for r in old["risks"]}
    new_risks = {r["probe"]: r for r in new["risks"]}
    old_scans = {s["path"]: s["verdict"] for s in old["scans"]}
    new_scans = {s["path"]: s["verdict"] for s in new["scans"]}
    scans = [
        {"path": path, "from": old_scans.get(path), "to": new_scans.get(path)}
        for path in sorted(old_scans.keys() | new_scans.keys())
        if old_scans.get(path) != new_scans.get(path)
    ]

    def decision(card: Mapping[str, Any]) -> str | None:
        policy = card.get("policy")
        return None if policy is None else str(policy.get("decision"))

    def signed(card: Mapping[str, Any]) -> str | None:
        signature = card.get("signature")
        return None if signature is None else str(signature.get("state"))

    return {
        "repo": {"name": new["repo"]["name"]},
        "scorecard": {"schema_version": SCHEMA_VERSION},
        "from": _side(old),
        "to": _side(new),
        "score_delta": _delta(old["score"], new["score"]),
        "checks": changed,
        "risks": {
            "appeared": [
                {"probe": p, "severity": r["severity"], "message": r["message"]}
                for p, r in new_risks.items()
                if p not in old_risks
            ],
            "resolved": [
                {"probe": p, "severity": r["severity"], "message": r["message"]}
                for p, r in old_risks.items()
                if p not in new_risks
            ],
        },
        "scans": scans,
        "policy": {"from": decision(old), "to": decision(new)},
        "signature": {"from": signed(old), "to": signed(new)},
    }
