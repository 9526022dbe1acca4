"""The same facts in both formats: each document is read back into the facts it states,
and the two readings must be equal (and equal to what the package holds)."""

from __future__ import annotations

import hashlib
from typing import Any

from ptmscope.api import audit, export
from tests.export.conftest import Repo
from tests.export.helpers import by_id, cyclonedx, nodes, relationships, spdx, with_measurement


def _from_cyclonedx(bom: dict[str, Any]) -> dict[str, Any]:
    model = bom["metadata"]["component"]
    card = model["modelCard"]
    data = {c["bom-ref"]: c for c in bom["components"] if c["type"] == "data"}
    trained, tested = set(), set()
    for ref in (d["ref"] for d in card["modelParameters"]["datasets"]):
        description = data[ref]["data"][0]["description"]
        (trained.add(data[ref]["name"]) if "trained on" in description else None)
        (tested.add(data[ref]["name"]) if "evaluated on" in description else None)
    metrics = card["quantitativeAnalysis"]["performanceMetrics"]
    return {
        "name": model["name"],
        "version": model.get("version"),
        "purl": model.get("purl"),
        "files": {f["name"]: f["hashes"][0]["content"] for f in model["components"]},
        "licenses": sorted(lic["license"]["id"] for lic in model["licenses"]),
        "trained": trained,
        "tested": tested,
        "ancestors": [a["name"] for a in model["pedigree"]["ancestors"]],
        "metrics": sorted(
            (
                m["type"],
                m["slice"],
                m["value"],
                tuple(m["confidenceInterval"].values()) if "confidenceInterval" in m else None,
            )
            for m in metrics
        ),
        "verdict": next(
            p["value"] for p in model["properties"] if p["name"] == "ptmscope:audit:verdict"
        ),
    }


def _from_spdx(document: dict[str, Any]) -> dict[str, Any]:
    elements = by_id(document)
    [doc] = nodes(document, "SpdxDocument")
    [model] = [elements[r] for r in doc["rootElement"]]

    def targets(kind: str) -> list[dict[str, Any]]:
        return [elements[t] for r in relationships(document, kind) for t in r["to"]]

    metrics = []
    for entry in model["ai_metric"]:
        metric, _, on = entry["key"].partition(": ")
        value, _, ci = entry["value"].partition(" (95% CI ")
        metrics.append((metric, on, value, tuple(ci.rstrip(")").split(" to ")) if ci else None))
    [annotation] = nodes(document, "Annotation")
    return {
        "name": model["name"],
        "version": model.get("software_packageVersion"),
        "purl": model.get("software_packageUrl"),
        "files": {f["name"]: f["verifiedUsing"][0]["hashValue"] for f in targets("contains")},
        "licenses": sorted(
            e["simplelicensing_licenseExpression"]
            for r in relationships(document, "hasDeclaredLicense")
            if r["from"] == model["spdxId"]
            for e in (elements[t] for t in r["to"])
        ),
        "trained": {d["name"] for d in targets("trainedOn")},
        "tested": {d["name"] for d in targets("testedOn")},
        "ancestors": [elements[r["from"]]["name"] for r in relationships(document, "ancestorOf")],
        "metrics": sorted(metrics),
        "verdict": annotation["statement"].split("verdict ")[1].split(",")[0],
    }


def test_both_formats_state_the_same_facts(repo: Repo) -> None:
    result = with_measurement(audit(repo.path))
    from_bom = _from_cyclonedx(cyclonedx(export(result, "cyclonedx")))
    from_spdx = _from_spdx(spdx(export(result, "spdx")))
    assert from_bom == from_spdx
    assert from_bom["files"] == {p: hashlib.sha256(d).hexdigest() for p, d in repo.contents.items()}
    assert from_bom["version"] == repo.commit
    assert from_bom["trained"] == {"imdb"} and from_bom["ancestors"] == ["bert-base-uncased"]
    assert any(m[3] == ("0.86", "0.91") for m in from_bom["metrics"])
    assert from_bom["verdict"] == str(result.scorecard.verdict)
