"""Audit renderers: a golden output per format from a fixed :class:`AuditResult`.

Goldens live in ``tests/formats/golden/audit.*``; after an intended change run
``PTMSCOPE_UPDATE_GOLDEN=1 pytest tests/formats`` and review the diff.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ptmscope.formats import AUDIT_FORMATS, FORMATS, TextFormat, get_format
from ptmscope.formats.report import build, schema
from ptmscope.package import Problem
from ptmscope.results.audit import UNREADABLE_PROBE, Definition, Evidence, Finding, Outcome
from ptmscope.severity import Severity
from ptmscope.vocab import ProbeKind
from tests.formats import checks
from tests.formats.fixtures import audit_result
from tests.formats.golden import check


def test_registry_lists_every_audit_format() -> None:
    assert AUDIT_FORMATS.names == ("text", "json", "markdown", "sarif")


@pytest.mark.parametrize("name", AUDIT_FORMATS.names)
def test_golden(name: str) -> None:
    check("audit", name, AUDIT_FORMATS.render(name, audit_result()))


def test_unknown_format_is_an_input_error() -> None:
    checks.unknown_name_is_an_input_error(AUDIT_FORMATS)


def test_text_on_a_console_is_what_render_writes() -> None:
    checks.console_view_equals_render(AUDIT_FORMATS, "text", audit_result())


@pytest.mark.parametrize("name", ["text", "markdown"])
def test_package_text_cannot_drive_the_terminal(name: str) -> None:
    text = AUDIT_FORMATS.render(name, audit_result())
    assert not checks.RAW_CONTROL.search(text)
    if name == "markdown":
        assert "<b>" not in text


def test_json_is_the_data_view_with_the_signature_summary() -> None:
    data = json.loads(AUDIT_FORMATS.render("json", audit_result()))
    assert data == json.loads(json.dumps(build(audit_result())))
    assert data["package"]["history"] == {
        "commits": 2,
        "signed": 1,
        "author_signed": 1,
        "platform_signed": 0,
        "states": {
            "author-verified": 0,
            "signed-unknown-key": 1,
            "platform-signed": 0,
            "invalid": 0,
            "unsigned": 1,
        },
        "keyring": False,
    }
    assert data["summary"]["risks"] == {"critical": 1, "high": 0, "medium": 1, "low": 0, "info": 0}
    assert [f["probe"] for f in data["findings"]] == [
        "risk.pickle_weights",
        "risk.unsigned_commits",
        "risk.remote_code",
    ]
    assert schema()["properties"]["schema_version"]["const"] == data["schema_version"]


def test_sarif_is_valid_against_the_official_schema() -> None:
    sarif = checks.validate_official_sarif(AUDIT_FORMATS.render("sarif", audit_result()))
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [
        "risk.pickle_weights",
        "risk.remote_code",
        "risk.unsigned_commits",
    ]  # one rule per risk probe, detected or not; factors are not rules
    assert rules[0]["help"]["text"] == "Publish safetensors weights."
    assert rules[0]["defaultConfiguration"]["level"] == "error"
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("risk.pickle_weights", "error"),
        ("risk.unsigned_commits", "warning"),
    ]  # detected risks only, most severe first
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    pickle_location = results[0]["locations"][0]
    assert pickle_location["physicalLocation"]["artifactLocation"]["uri"] == "pytorch_model.bin"
    commit_location = results[1]["locations"][0]  # not a file: shown on the card (GitHub
    # refuses a result without a file), the commit named as a logical location
    assert commit_location["physicalLocation"]["artifactLocation"]["uri"] == "README.md"
    assert commit_location["physicalLocation"]["region"] == {"startLine": 1}
    assert commit_location["logicalLocations"][0]["fullyQualifiedName"].startswith("commit ")
    scorecard = run["properties"]["scorecard"]
    assert scorecard["verdict"] == "fail" and scorecard["capped_by"] == "critical"
    assert scorecard["attributes"] == {"quality": 8.2, "provenance": None}
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["endTimeUtc"] == "2026-01-02T03:04:05Z"
    assert [n["level"] for n in invocation["toolExecutionNotifications"]] == ["warning"]


def test_sarif_line_evidence_and_unreadable_content() -> None:
    """``README.md:42`` becomes a region; unreadable content makes the run unsuccessful."""
    result = audit_result()
    unreadable = Definition(
        UNREADABLE_PROBE, ProbeKind.RISK, "Content could not be read", "m", "i", "r",
        severity=Severity.HIGH,
    )  # fmt: skip
    finding = Finding(
        UNREADABLE_PROBE,
        Outcome.DETECTED,
        "README.md could not be read",
        (Evidence("README.md:42", "binary"), Evidence("a b#c")),
        severity=Severity.HIGH,
    )
    package = replace(
        result.package, problems=(Problem("README.md", "binary", 42, unreadable=True),)
    )
    result = replace(
        result,
        package=package,
        findings=(*result.findings, finding),
        scorecard=replace(result.scorecard, risks=(*result.scorecard.risks, finding)),
        definitions={**result.definitions, UNREADABLE_PROBE: unreadable},
    )
    sarif = checks.validate_official_sarif(AUDIT_FORMATS.render("sarif", result))
    run = sarif["runs"][0]
    located = run["results"][-1]["locations"]
    assert located[0]["physicalLocation"]["region"] == {"startLine": 42}
    assert located[0]["message"] == {"text": "binary"}
    assert located[1]["logicalLocations"] == [{"fullyQualifiedName": "a b#c"}]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["level"] == "error"


def test_deprecated_names_still_work() -> None:
    assert set(FORMATS) == set(AUDIT_FORMATS.names)
    assert get_format("markdown").render(audit_result()) == AUDIT_FORMATS.render(
        "markdown", audit_result()
    )
    assert isinstance(AUDIT_FORMATS.get("text"), TextFormat)


def test_terminal_view_shows_more_on_request_and_shortens_hashes() -> None:
    """Two evidence items per row and "+N more" (the JSON holds them all); --show-details
    prints every item; hex digests and URLs are cut in the middle, paths shown whole."""
    import re

    from ptmscope.api import audit_demo
    from ptmscope.formats.audit.text import AuditText, _shorten

    result = audit_demo()
    short = AuditText(width=80).render(result)
    full = AuditText(width=80, show_details=True).render(result)
    more = re.findall(r"\+(\d+) more \(--show-details\)", short)
    assert more, "the demo package has rows with more than two evidence items"
    assert "more (--show-details)" not in full
    assert len(full.splitlines()) >= len(short.splitlines()) + sum(map(int, more)) - len(more)
    digest = "ab12" * 16
    assert digest not in _shorten(f"blob {digest}") and "…" in _shorten(f"blob {digest}")
    path = "a/very/long/path/inside/the/package/model.safetensors"
    assert _shorten(path) == path


def test_show_details_reaches_the_text_format(capsys: pytest.CaptureFixture[str]) -> None:
    from ptmscope.cli import main

    assert main(["demo", "--show-details"]) == 0
    assert "more (--show-details)" not in capsys.readouterr().out
    assert main(["demo"]) == 0
    assert "more (--show-details)" in capsys.readouterr().out
