"""The parts of a CycloneDX ML-BOM that ``cyclonedx-python-lib`` cannot build yet, as data.

``modelCard`` (model parameters, datasets by reference, performance metrics) and
``declarations`` (the audit as attestations: one map entry per requirement, with its
conformance score, the claim it rests on and the evidence behind it). Field names
follow the CycloneDX 1.6 schema (unchanged in 1.7); the schema check of the whole
document is what proves them right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ptmscope.export.facts import ExportFacts, MetricFact, RequirementFact


def _metric(m: MetricFact) -> dict[str, Any]:
    found: dict[str, Any] = {"type": m.metric, "value": m.value, "slice": m.slice}
    if m.ci is not None:
        found["confidenceInterval"] = {"lowerBound": m.ci[0], "upperBound": m.ci[1]}
    return found


def model_card(facts: ExportFacts, data_ref: Callable[[str], str]) -> dict[str, Any]:
    """The ``modelCard`` object; empty when the package states none of its fields.

    The card's claims come first, then ptmscope's measurements, each marked in its
    ``slice`` ("claimed by the card …" / "measured by ptmscope verify …"), so a reader
    never takes a measurement for the author's claim or the other way round."""
    parameters: dict[str, Any] = {}
    if facts.task:
        parameters["task"] = facts.task
    if facts.model_type:
        parameters["architectureFamily"] = facts.model_type
    if facts.architecture:
        parameters["modelArchitecture"] = facts.architecture
    if facts.datasets:
        parameters["datasets"] = [{"ref": data_ref(d.name)} for d in facts.datasets]
    card: dict[str, Any] = {}
    if parameters:
        card["modelParameters"] = parameters
    metrics = [_metric(m) for m in (*facts.claims, *facts.measurements)]
    if metrics:
        card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    if card:
        card = {"bom-ref": "model-card", **card}
    return card


def _claim_predicate(r: RequirementFact) -> str:
    if r.kind == "risk":
        return f"Risk not present: {r.title}"
    return f"Documented: {r.title}"


def _rationale(r: RequirementFact) -> str:
    if r.score is None:
        return f"undecided ({r.outcome}): {r.message}"
    severity = f", severity {r.severity}" if r.severity else ""
    return f"{r.outcome}{severity}: {r.message}"


def declarations(
    facts: ExportFacts, model_ref: str, requirement_ref: Callable[[str], str]
) -> dict[str, Any]:
    """The audit as CycloneDX ``declarations``: ptmscope as a third-party assessor, one
    attestation mapping every factor and risk requirement to a claim about the model,
    scored 1 (met), 0 (not met) or left unscored when the audit could not decide."""
    claims: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    mapped: list[dict[str, Any]] = []
    for r in (*facts.factors, *facts.risks):
        claim: dict[str, Any] = {
            "bom-ref": f"claim:{r.probe}",
            "target": model_ref,
            "predicate": _claim_predicate(r),
            "reasoning": r.message,
        }
        if r.evidence:
            ref = f"evidence:{r.probe}"
            claim["evidence"] = [ref]
            evidence.append(
                {
                    "bom-ref": ref,
                    "description": f"Where ptmscope saw it ({r.outcome}).",
                    "data": [_evidence_item(location, detail) for location, detail in r.evidence],
                }
            )
        claims.append(claim)
        conformance: dict[str, Any] = {"rationale": _rationale(r)}
        if r.score is not None:
            conformance["score"] = r.score
        mapped.append(
            {
                "requirement": requirement_ref(r.probe),
                "claims": [claim["bom-ref"]],
                "conformance": conformance,
            }
        )
    verdict = f"verdict {facts.verdict}"
    if facts.overall is not None:
        verdict += f", overall {facts.overall:g}/10"
    return {
        "assessors": [
            {
                "bom-ref": "assessor:ptmscope",
                "thirdParty": True,
                "organization": {"name": f"ptmscope {facts.tool_version}"},
            }
        ],
        "attestations": [
            {
                "summary": f"ptmscope audit of {facts.identity}: {verdict}.",
                "assessor": "assessor:ptmscope",
                "map": mapped,
            }
        ],
        "claims": claims,
        **({"evidence": evidence} if evidence else {}),
    }


def _evidence_item(location: str, detail: str) -> dict[str, Any]:
    item: dict[str, Any] = {"name": location}
    if detail:
        item["contents"] = {"attachment": {"contentType": "text/plain", "content": detail}}
    return item
