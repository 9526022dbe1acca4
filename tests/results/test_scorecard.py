"""The Scorecard-shaped view of an audit, its history entry and its diff, on real packages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ptmscope.api import audit, scorecard
from ptmscope.formats.schemas import load
from ptmscope.results import scorecard as shape
from ptmscope.results.audit_report import build
from ptmscope.severity import Severity

SCHEMA = load(shape.SCHEMA_FILE)
NO_LICENSE_CARD = "---\npipeline_tag: text-classification\n---\n# A model\n\nNothing else.\n"


def valid(data: dict[str, Any], part: str = "scorecard") -> dict[str, Any]:
    """``data`` checked against the shipped schema's ``$defs/<part>``."""
    schema = {**SCHEMA, "$ref": f"#/$defs/{part}"}
    jsonschema.Draft202012Validator(schema).validate(data)
    return data


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_one_check_per_factor_and_risk_probe_with_scorecard_fields(
    make_package: Callable[..., Path],
) -> None:
    result = audit(str(make_package()))
    report = build(result)
    card = valid(shape.build(report))
    names = [c["name"] for c in card["checks"]]
    factors = [f["probe"] for a in report["attributes"].values() for f in a["factors"].values()]
    risks = [f["probe"] for f in report["findings"]]
    assert names == factors + risks
    assert len(set(names)) == len(names)
    assert card["score"] == report["summary"]["overall"]
    assert card["coverage"] == report["summary"]["coverage"]
    assert card["repo"]["commit"] == result.package.commit or result.package.revision
    for check in card["checks"]:
        assert check["documentation"]["url"].startswith(shape.PROBES_URI + "-")
        assert check["documentation"]["short"]
    # a folder has no registry counts: undecided is Scorecard's -1, never a made-up 0
    downloads = next(c for c in card["checks"] if c["name"] == "popularity.downloads")
    assert (downloads["outcome"], downloads["score"]) == ("unknown", shape.UNDECIDED)


def test_a_detected_risk_scores_ten_less_its_severity_weight(
    make_package: Callable[..., Path],
) -> None:
    card = valid(scorecard(make_package(safetensors=False, torch_bin=True)))
    pickle = next(c for c in card["checks"] if c["name"] == "risk.pickle_weights")
    assert pickle["outcome"] == "detected"
    assert pickle["score"] == 10 - Severity.parse(pickle["severity"]).weight
    assert any(r["probe"] == "risk.pickle_weights" for r in card["risks"])
    clear = next(c for c in card["checks"] if c["name"] == "risk.remote_code")
    assert (clear["outcome"], clear["score"]) == ("clear", 10)
    assert {s["path"]: s["verdict"] for s in card["scans"]}["pytorch_model.bin"] == "clean"


def test_the_diff_names_a_flipped_factor_and_a_risk_that_appeared(
    make_package: Callable[..., Path],
) -> None:
    before = scorecard(make_package("before"))
    after = scorecard(make_package("after", card=NO_LICENSE_CARD, torch_bin=True))
    diff = valid(shape.diff(before, after), "diff")
    changed = {c["name"]: c for c in diff["checks"]}
    assert changed["portability.license"]["from"]["outcome"] == "present"
    assert changed["portability.license"]["to"]["outcome"] == "missing"
    appeared = {r["probe"] for r in diff["risks"]["appeared"]}
    assert {"risk.license"} <= appeared
    assert {"path": "pytorch_model.bin", "from": None, "to": "clean"} in diff["scans"]
    assert diff["score_delta"] == pytest.approx(after["score"] - before["score"], abs=0.01)
    back = valid(shape.diff(after, before), "diff")
    assert {r["probe"] for r in back["risks"]["resolved"]} == appeared
    assert valid(shape.diff(before, before), "diff")["checks"] == []


def test_history_entries_and_the_history_view_validate(make_package: Callable[..., Path]) -> None:
    card = scorecard(make_package())
    entry = shape.history_entry(card)
    assert (entry["commit"], entry["score"]) == (card["repo"]["commit"], card["score"])
    view = valid(shape.history("acme/tiny", [entry], entry["commit"]), "history")
    assert view["history"][0]["date"] == card["date"]


def test_a_policy_decision_is_the_policy_block(
    make_package: Callable[..., Path], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nchecks:\n  risk.pickle_weights: {outcome: clear}\n")
    denied = valid(scorecard(make_package(safetensors=False, torch_bin=True), policy=policy))
    assert denied["policy"]["decision"] == "deny"
    assert any(v["rule"] == "checks.risk.pickle_weights" for v in denied["policy"]["violations"])
    allowed = valid(scorecard(make_package("ok"), policy=policy))
    assert allowed["policy"]["decision"] == "allow"
    assert valid(scorecard(make_package("none")))["policy"] is None


def test_documentation_urls_are_the_anchors_sarif_links_to() -> None:
    """One anchor per probe (the README's reference): the scorecard and SARIF agree."""
    from ptmscope.formats.audit.sarif import PROBES_URI, _rule
    from ptmscope.probes import all_probes

    assert shape.PROBES_URI == PROBES_URI
    for probe in all_probes():
        assert shape.probe_uri(probe.id) == _rule(probe.definition)["helpUri"]
