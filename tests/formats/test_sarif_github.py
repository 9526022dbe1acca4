"""SARIF that GitHub code scanning accepts and shows well, for ``scan`` and ``audit``.

Two checks on every log: the official SARIF 2.1.0 schema (bundled in
``tests/data/sarif``, so the check never skips), and the upload rules GitHub
documents in "SARIF support for code scanning" and "SARIF results exceed limits":
tool driver name; rules with ``id``, short and full descriptions (at most 1,024
characters), help text, ``helpUri``; a ``security-severity`` on the rule, a number
in 0.1-10.0, with the ``security`` tag; at most 20 tags per rule; every result with
``ruleId``, a message, at least one location with a file and ``region.startLine``,
at most 1,000 locations, ``partialFingerprints``; at most 25,000 results and rules
per run and 20 runs per file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ptmscope.formats import AUDIT_FORMATS, SCAN_FORMATS
from ptmscope.formats.sarif import MAX_RESULTS_PER_RUN
from ptmscope.results.scan import FileScan, Location, ScanFinding, ScanResult
from ptmscope.severity import Severity
from tests.formats.fixtures import audit_result, scan_result
from tests.scan import builders as b

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"


def github_problems(sarif: dict[str, Any]) -> list[str]:
    """Every way ``sarif`` breaks GitHub code scanning's documented upload rules."""
    problems: list[str] = []
    runs = sarif.get("runs", [])
    if sarif.get("version") != "2.1.0":
        problems.append("version is not 2.1.0")
    if not 1 <= len(runs) <= 20:
        problems.append(f"{len(runs)} runs (1-20)")
    for run in runs:
        driver = run["tool"]["driver"]
        if not driver.get("name"):
            problems.append("tool.driver.name missing")
        rules = {rule["id"]: rule for rule in driver.get("rules", [])}
        if len(rules) > 25_000:
            problems.append("more than 25,000 rules")
        for rule in rules.values():
            where = f"rule {rule['id']}"
            for key in ("shortDescription", "fullDescription"):
                text = rule.get(key, {}).get("text", "")
                if not text or len(text) > 1_024:
                    problems.append(f"{where}: {key}.text missing or over 1,024 characters")
            if not rule.get("help", {}).get("text") or not rule["help"].get("markdown"):
                problems.append(f"{where}: help text and markdown")
            if not rule.get("helpUri"):
                problems.append(f"{where}: helpUri")
            props = rule.get("properties", {})
            tags = props.get("tags", [])
            if len(tags) > 20 or "security" not in tags:
                problems.append(f"{where}: tags {tags}")
            score = props.get("security-severity")
            if score is None or not 0.1 <= float(score) <= 10.0:
                problems.append(f"{where}: security-severity {score!r}")
            if rule.get("defaultConfiguration", {}).get("level") not in (
                "error",
                "warning",
                "note",
            ):
                problems.append(f"{where}: level")
        results = run.get("results", [])
        if len(results) > 25_000:
            problems.append(f"{len(results)} results (25,000 a run)")
        for number, result in enumerate(results):
            where = f"result {number} ({result.get('ruleId')})"
            if result.get("ruleId") not in rules:
                problems.append(f"{where}: ruleId not among the rules")
            elif driver["rules"][result["ruleIndex"]]["id"] != result["ruleId"]:
                problems.append(f"{where}: ruleIndex points at another rule")
            if not result.get("message", {}).get("text"):
                problems.append(f"{where}: message.text")
            locations = result.get("locations", [])
            if not 1 <= len(locations) <= 1_000:
                problems.append(f"{where}: {len(locations)} locations (1-1,000)")
            physical = locations[0].get("physicalLocation", {}) if locations else {}
            if not physical.get("artifactLocation", {}).get("uri"):
                problems.append(f"{where}: first location has no file")
            if not isinstance(physical.get("region", {}).get("startLine"), int):
                problems.append(f"{where}: region.startLine")
            if not result.get("partialFingerprints"):
                problems.append(f"{where}: partialFingerprints")
    return problems


def _valid(text: str) -> dict[str, Any]:
    sarif: dict[str, Any] = json.loads(text)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert github_problems(sarif) == []
    return sarif


def test_the_checker_finds_what_the_old_renderer_lacked() -> None:
    """The rule checker is not vacuous: a log without what GitHub needs fails it."""
    bare = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "x", "rules": [{"id": "r", "shortDescription": {"text": "r"}}]}},
                "results": [
                    {"ruleId": "r", "ruleIndex": 0, "message": {"text": "m"},
                     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "f"}}}]}
                ],
            }
        ],
    }  # fmt: skip
    problems = github_problems(bare)
    for expected in ("fullDescription", "help", "helpUri", "security-severity", "startLine",
                     "partialFingerprints"):  # fmt: skip
        assert any(expected in p for p in problems), expected


def test_scan_sarif_meets_the_schema_and_githubs_rules() -> None:
    sarif = _valid(SCAN_FORMATS.render("sarif", scan_result()))
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["pickle.dangerous_call"]["properties"]["security-severity"] == "9.5"
    assert rules["pickle.unknown_global"]["properties"]["security-severity"] == "2.0"
    first, second = run["results"]
    assert first["message"]["text"].startswith("calls os.system (and 3 more of the same)")
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert second["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "byteOffset": 12,
    }


def test_audit_sarif_meets_the_schema_and_githubs_rules() -> None:
    sarif = _valid(AUDIT_FORMATS.render("sarif", audit_result()))
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert {r["properties"]["security-severity"] for r in rules} == {"9.5", "8.0", "5.0"}


def _finding(message: str, offset: int = 7) -> ScanFinding:
    return ScanFinding(
        "pickle.process", Severity.CRITICAL, message, Location((), offset), "os.system"
    )


def test_fingerprints_follow_content_and_location_not_the_run() -> None:
    def fp(scan: FileScan) -> str:
        sarif = json.loads(SCAN_FORMATS.render("sarif", ScanResult((scan,))))
        return str(sarif["runs"][0]["results"][0]["partialFingerprints"]["ptmscope/v1"])

    base = FileScan(
        "m.pkl", "pickle", 10, (_finding("calls os.system"),), seconds=0.1, sha256="a" * 64
    )
    again = FileScan(
        "m.pkl", "pickle", 10, (_finding("calls os.system"),), seconds=9.0, sha256="a" * 64
    )
    assert fp(base) == fp(again)  # another run, another duration: the same alert
    assert fp(base) != fp(FileScan("m.pkl", "pickle", 10, (_finding("x", 8),), sha256="a" * 64))
    assert fp(base) != fp(FileScan("m.pkl", "pickle", 10, (_finding("x"),), sha256="b" * 64))


def test_long_messages_are_kept_whole() -> None:
    message = "calls os.system with " + "A" * 5_000
    sarif = _valid(
        SCAN_FORMATS.render(
            "sarif", ScanResult((FileScan("m.pkl", "pickle", 10, (_finding(message),)),))
        )
    )
    assert sarif["runs"][0]["results"][0]["message"]["text"].startswith(message)


def test_a_run_over_githubs_result_limit_keeps_the_worst_and_says_so() -> None:
    low = ScanFinding("pickle.unlisted_callable", Severity.LOW, "imports x.y", Location((), 1))
    files = [FileScan(f"f{i}.pkl", "pickle", 10, (low,)) for i in range(MAX_RESULTS_PER_RUN)]
    files.append(FileScan("evil.pkl", "pickle", 10, (_finding("calls os.system"),)))
    sarif = json.loads(SCAN_FORMATS.render("sarif", ScanResult(tuple(files))))
    run = sarif["runs"][0]
    assert len(run["results"]) == MAX_RESULTS_PER_RUN
    assert any(r["ruleId"] == "pickle.process" for r in run["results"])  # the worst kept
    assert run["invocations"][0]["executionSuccessful"] is False
    assert (
        "1 of 25,001 results left out"
        in run["invocations"][0]["toolExecutionNotifications"][-1]["message"]["text"]
    )
    assert github_problems(sarif) == []


def test_cli_scan_sarif_fingerprints_are_stable_and_content_based(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b.canary_pickle(marker))

    def run() -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "ptmscope", "scan", str(evil), "-f", "sarif"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        return _valid(done.stdout)

    first, second = run(), run()
    prints = [[r["partialFingerprints"] for r in s["runs"][0]["results"]] for s in (first, second)]
    assert prints[0] == prints[1] and prints[0]
    artifact = first["runs"][0]["artifacts"][0]
    import hashlib

    assert artifact["hashes"]["sha-256"] == hashlib.sha256(evil.read_bytes()).hexdigest()
    evil.write_bytes(b.canary_pickle(marker) + b"\n")  # other content, same findings
    assert [r["partialFingerprints"] for r in run()["runs"][0]["results"]] != prints[0]
    assert not marker.exists()


@pytest.mark.parametrize("fmt", ["sarif"])
def test_cli_audit_sarif_meets_githubs_rules(tmp_path: Path, make_package: Any, fmt: str) -> None:
    risky = make_package("risky", safetensors=False, torch_bin=True)
    done = subprocess.run(
        [sys.executable, "-m", "ptmscope", "audit", str(risky), "-f", fmt],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sarif = _valid(done.stdout)
    assert sarif["runs"][0]["results"], "a pickle weight is a detected risk"
