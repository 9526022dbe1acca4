"""The built-in rule templates over audit reports: what each reads, and that what the report
cannot tell is a violation of an enforced rule (fail closed), never a silent pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ptmscope.audit import AuditOptions, audit
from ptmscope.policy import decide, parse_policy
from ptmscope.results.audit_report import build
from tests.conftest import FULL_CARD, git, write_safetensors


def _decide(report: dict[str, Any], templates: str) -> tuple[str, list[tuple[str, ...]]]:
    policy = parse_policy(f"version: 1\ntemplates:\n{templates}", "test.yaml")
    decision = decide(report, policy)
    return decision.decision.value, [v.evidence for v in decision.violations]


def _report(**package: Any) -> dict[str, Any]:
    return {
        "generated_at": "2026-06-30T00:00:00+00:00",
        "package": {"name": "acme/m", "licenses": [], "lineage": [], "registry": None,
                    "dates": {"created": None, "revision": None}, **package},
        "claims": [],
        "verifications": None,
    }  # fmt: skip


LICENSES = "  licenses: {allow: [apache-2.0, mit], deny: [cc-by-nc-4.0]}\n"


def test_licences_own_and_inherited_where_known() -> None:
    assert _decide(_report(licenses=["apache-2.0"]), LICENSES)[0] == "allow"
    assert _decide(_report(licenses=[]), LICENSES) == (
        "deny",
        [("the package declares no licence",)],
    )
    decision, evidence = _decide(_report(licenses=["cc-by-nc-4.0"]), LICENSES)
    assert decision == "deny" and evidence == [("the package is licensed cc-by-nc-4.0",)]
    lineage = [
        {"id": "acme/base", "depth": 1, "licenses": ["mit"], "found": True},
        {"id": "big/llm", "depth": 2, "licenses": ["cc-by-nc-4.0"], "found": True},
    ]
    decision, evidence = _decide(_report(licenses=["apache-2.0"], lineage=lineage), LICENSES)
    assert decision == "deny"
    assert evidence == [("ancestor big/llm (base model, depth 2) is licensed cc-by-nc-4.0",)]
    unknown = [{"id": "acme/base", "depth": 1, "licenses": None, "found": False}]
    assert _decide(_report(licenses=["mit"], lineage=unknown), LICENSES)[0] == "allow"


def test_cooldown_reads_revision_and_creation_dates() -> None:
    young = _report(dates={"created": "2025-01-01T00:00:00+00:00",
                           "revision": "2026-06-25T00:00:00+00:00"})  # fmt: skip
    decision, evidence = _decide(young, "  cooldown_days: 7\n")
    assert decision == "deny" and evidence == [("the revision is 5.0 days old (2026-06-25)",)]
    assert _decide(young, "  cooldown_days: 3\n")[0] == "allow"
    decision, evidence = _decide(_report(), "  cooldown_days: 3\n")
    assert decision == "deny" and "unknown" in evidence[0][0]


def test_not_gated_reads_the_registry_record() -> None:
    record = {"gated": "manual", "author": "acme"}
    assert _decide(_report(registry=record), "  not_gated: true\n") == (
        "deny",
        [("gated: manual",)],
    )
    assert _decide(_report(registry={"gated": False}), "  not_gated: true\n")[0] == "allow"
    assert _decide(_report(), "  not_gated: true\n")[0] == "deny"  # no record: unknown


def test_claims_verified() -> None:
    claim = {"metric": "accuracy", "dataset": "glue"}
    assert _decide(_report(), "  claims_verified: true\n")[0] == "deny"  # nothing claimed
    unverified = {**_report(), "claims": [claim]}
    decision, evidence = _decide(unverified, "  claims_verified: true\n")
    assert decision == "deny" and "not re-measured" in evidence[0][0]
    results = [{"metric": "accuracy", "dataset": "glue", "verdict": "consistent", "reason": "ok"}]
    assert _decide({**unverified, "verifications": results}, "  claims_verified: true\n")[0] == (
        "allow"
    )
    over = [{**results[0], "verdict": "over-claimed", "reason": "0.91 claimed, 0.80 measured"}]
    decision, evidence = _decide({**unverified, "verifications": over}, "  claims_verified: true\n")
    assert decision == "deny" and "over-claimed" in evidence[0][0]


@pytest.mark.parametrize(
    ("templates", "message"),
    [
        ("  licenses: {}\n", "templates.licenses"),
        ("  licenses: {allow: apache-2.0}\n", "templates.licenses"),
        ("  cooldown_days: -1\n", "templates.cooldown_days"),
        ("  claims_verified: yes please\n", "templates.claims_verified"),
    ],
)
def test_malformed_settings_name_their_line(templates: str, message: str) -> None:
    from ptmscope.errors import InputError

    with pytest.raises(InputError, match=f"test.yaml:3: {message}"):
        parse_policy(f"version: 1\ntemplates:\n{templates}", "test.yaml")


def test_a_git_package_has_dates_and_a_local_lineage_stays_unknown(tmp_path: Path) -> None:
    package = tmp_path / "m"
    package.mkdir()
    (package / "README.md").write_text(FULL_CARD)  # base_model: bert-base-uncased
    write_safetensors(package / "model.safetensors")
    git(package, "init", "-q", "-b", "main")
    git(package, "add", "-A")
    git(package, "commit", "-q", "-m", "one")
    report = build(audit(package, AuditOptions()))
    assert report["package"]["dates"]["revision"] is not None
    assert report["package"]["licenses"] == ["apache-2.0"]
    assert report["package"]["lineage"] == [
        {"id": "bert-base-uncased", "depth": 1, "licenses": None, "found": False, "revision": None}
    ]
    assert _decide(report, "  cooldown_days: 1\n")[0] == "deny"  # committed just now


@pytest.mark.parametrize(
    "templates",
    ["  scan_severity: {value: severe}\n", "  scan_verdict: {value: spotless, mode: warn}\n"],
)
def test_a_wrapped_name_setting_is_checked_too(templates: str) -> None:
    from ptmscope.errors import InputError

    with pytest.raises(
        InputError, match=r"test.yaml:3: templates\.scan_(severity|verdict): .*is not one of"
    ):
        parse_policy(f"version: 1\ntemplates:\n{templates}", "test.yaml")


def test_scan_severity_reads_the_worst_finding_and_errors() -> None:
    scans = [
        {"path": "a.bin", "worst": "medium", "errors": 0},
        {"path": "b.bin", "worst": None, "errors": 1},
        {"path": "c.bin", "worst": "low", "errors": 0},
    ]
    decision, evidence = _decide({**_report(), "scans": scans}, "  scan_severity: medium\n")
    assert decision == "deny"
    assert evidence == [("a.bin: a medium finding", "b.bin: not scanned completely (1 error(s))")]
    old = [{"path": "a.bin", "verdict": "clean"}]  # a report before scans[].worst
    assert _decide({**_report(), "scans": old}, "  scan_severity: high\n")[0] == "deny"
