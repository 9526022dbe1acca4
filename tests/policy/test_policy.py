"""The admission policy: its file read strictly, and one decision from checks, CEL rules and
templates, for a real package audited here or for its saved audit report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.api import policy_check
from ptmscope.cli import main
from ptmscope.errors import InputError
from ptmscope.policy import decide, parse_policy
from ptmscope.results.policy import Verdict
from tests.conftest import FULL_CARD, write_safetensors


def _package(root: Path, *, pickle: bool = False) -> Path:
    root.mkdir(parents=True)
    (root / "README.md").write_text(FULL_CARD)
    (root / "config.json").write_text(
        json.dumps({"model_type": "bert", "architectures": ["BertModel"]})
    )
    if pickle:  # pickle-only weights: what risk.pickle_weights detects
        import torch

        torch.save({"w": torch.zeros(2)}, root / "pytorch_model.bin")
    else:
        write_safetensors(root / "model.safetensors")
    return root


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


STRICT = """version: 1
checks:
  overall: {min: 1}
  risk.pickle_weights: {outcome: clear}
  portability: {min: 9, mode: warn}
  reproducibility.environment_image: {outcome: present, mode: warn}
rules:
  - id: no-pickle-files
    when: 'audit.package.weights.exists(w, w.pickle_based)'
    action: deny
    reason: weights that load through pickle run code
templates:
  no_pickle: {value: true, mode: warn}
  scan_verdict: suspicious
"""


def test_one_decision_for_a_package_and_for_its_saved_report(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    clean, risky = _package(tmp_path / "clean"), _package(tmp_path / "risky", pickle=True)
    policy = _policy(tmp_path, STRICT)
    allowed = policy_check(clean, policy)
    assert allowed.decision is Verdict.WARN  # only the warn-mode checks
    assert [v.rule for v in allowed.violations] == [
        "checks.portability",
        "checks.reproducibility.environment_image",
    ]
    assert "is missing, present required" in allowed.violations[1].reason
    denied = policy_check(risky, policy)
    assert denied.decision is Verdict.DENY
    rules = {v.rule: v for v in denied.violations}
    assert rules["checks.risk.pickle_weights"].action is Verdict.DENY
    assert rules["no-pickle-files"].reason == "weights that load through pickle run code"
    assert rules["templates.no_pickle"].action is Verdict.WARN
    assert "pytorch_model.bin" in rules["templates.no_pickle"].evidence[0]
    assert len(denied.policy_digest) == 64
    # the same decision from the CLI, and from the audit report CI kept
    assert main(
        ["audit", str(risky), "--format", "json", "--output", str(tmp_path / "r.json")]
    ) in (0, 1)
    capsys.readouterr()
    assert (
        main(["policy", "check", str(tmp_path / "r.json"), "--policy", str(policy), "-f", "json"])
        == 1
    )
    saved = json.loads(capsys.readouterr().out)
    assert saved["decision"] == "deny" and saved["policy_digest"] == denied.policy_digest
    assert [v["rule"] for v in saved["violations"]] == [v.rule for v in denied.violations]
    assert main(["policy", "check", str(clean), "--policy", str(policy)]) == 0  # warn passes
    assert capsys.readouterr().out.startswith("WARN ")


def test_a_rule_that_cannot_be_evaluated_fails_closed(tmp_path: Path) -> None:
    policy = parse_policy(
        "version: 1\nrules:\n  - id: typo\n    when: 'audit.pakage.name == \"x\"'\n"
        "    reason: owner check\n",
        "p.yaml",
    )
    decision = decide({"package": {"name": "x"}, "summary": {}, "attributes": {}}, policy)
    assert decision.decision is Verdict.DENY
    assert "could not be evaluated" in decision.violations[0].reason


def test_unknown_values_fail_enforced_checks_and_templates(tmp_path: Path) -> None:
    policy = parse_policy(
        "version: 1\nchecks:\n  popularity: {min: 5}\ntemplates:\n  trusted_owners: [acme]\n"
        "  signed: {value: true, mode: warn}\n",
        "p.yaml",
    )
    report = {
        "package": {"ref": "./m", "name": None},
        "summary": {},
        "attributes": {"popularity": {"score": None}},
    }
    decision = decide(report, policy)
    assert decision.decision is Verdict.DENY
    assert decision.unknown == ("checks.popularity",)
    reasons = {v.rule: v.evidence[0] for v in decision.violations}
    assert "owner is unknown" in reasons["templates.trusted_owners"]
    assert "not verified yet" in reasons["templates.signed"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 2\n", ":1: version: 1 was expected"),
        ("version: 1\nchecks:\n  overall: {minimum: 3}\n", ":3: checks.overall.minimum: unknown key"),
        ("version: 1\nchecks:\n  no.such_probe: {min: 3}\n", ":3: checks.no.such_probe: not a probe id"),
        ("version: 1\nrules:\n  - id: a\n    when: 'audit.x >='\n    reason: r\n", ":4: rules.a.when: not valid CEL"),
        ("version: 1\nrules:\n  - id: a\n    when: 'true'\n", ":3: rules.0: 'reason' is required"),
        ("version: 1\ntemplates:\n  no_pickle: yes please\n", ":3: templates.no_pickle"),
        ("version: 1\ntemplates:\n  min_score: 11\n", ":3: templates.min_score"),
        ("version: 1\ntemplates:\n  trusted: [a]\n", ":3: templates.trusted: unknown key"),
        ("- a\n", "a policy is a YAML mapping"),
    ],
    ids=["version", "misspelt-key", "unknown-probe", "bad-cel", "no-reason", "template-type",
         "template-range", "unknown-template", "not-a-mapping"],
)  # fmt: skip
def test_a_malformed_policy_names_its_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_policy(text, "p.yaml")
    assert message in str(caught.value), str(caught.value)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"


def test_the_example_policies_pass_their_own_tests(capsys) -> None:  # type: ignore[no-untyped-def]
    """`policy test` runs the shipped examples (strict, default, research) on saved reports."""
    assert main(["policy", "test", str(EXAMPLES / "tests")]) == 0
    out = capsys.readouterr().out
    assert "12 cases: 12 passed, 0 failed" in out and "FAIL" not in out


def test_policy_test_reports_a_wrong_expectation_and_audits_packages(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    _package(tmp_path / "risky", pickle=True)
    (tmp_path / "policy.yaml").write_text(STRICT)
    (tmp_path / "mine_test.yaml").write_text(
        "cases:\n"
        "  - name: pickle-only is denied\n    policy: policy.yaml\n    package: risky\n"
        "    expect: deny\n    violations: [checks.risk.pickle_weights]\n"
        "  - name: a wrong expectation\n    policy: policy.yaml\n    package: risky\n"
        "    expect: allow\n    violations: [no-such-rule]\n"
    )
    assert main(["policy", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "ok   pickle-only is denied" in out
    assert "FAIL a wrong expectation: expected allow, decided deny" in out
    assert "missing violations no-such-rule" in out and "2 cases: 1 passed, 1 failed" in out


@pytest.mark.parametrize(
    "text",
    [
        "cases: nope\n",
        "cases:\n  - policy: p.yaml\n    expect: deny\n",
        "cases:\n  - policy: p.yaml\n    audit: a.json\n    expect: maybe\n",
        "cases:\n  - policy: p.yaml\n    audit: a.json\n    expect: deny\n    expected: deny\n",
    ],
    ids=["not-a-list", "no-subject", "bad-expect", "misspelt-key"],
)
def test_a_malformed_test_file_is_an_input_error(tmp_path: Path, text: str, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad_test.yaml").write_text(text)
    assert main(["policy", "test", str(tmp_path)]) == 2
    assert "bad_test.yaml" in capsys.readouterr().err


def test_an_empty_test_folder_is_an_input_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["policy", "test", str(tmp_path)]) == 2
    assert "nothing to test" in capsys.readouterr().err


def test_audit_under_a_policy_decides_as_policy_check_does(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The same package and policy give the same decision from `policy check` and from
    `audit --policy`, which shows it in every format and takes its exit code from it."""
    risky = _package(tmp_path / "risky", pickle=True)
    policy = _policy(tmp_path, STRICT)
    assert main(["policy", "check", str(risky), "--policy", str(policy), "-f", "json"]) == 1
    checked = json.loads(capsys.readouterr().out)
    assert main(["audit", str(risky), "--policy", str(policy), "-f", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    import jsonschema

    from ptmscope.formats.schemas import load

    jsonschema.validate(report, load("audit"))  # the shipped schema knows `policy`
    audited = report["policy"]
    assert audited == {k: checked[k] for k in audited}  # decision, violations, digest, commit
    assert audited["decision"] == "deny"
    assert main(["audit", str(risky), "--policy", str(policy)]) == 1
    assert "Policy: DENY" in capsys.readouterr().out
    assert main(["audit", str(risky), "--policy", str(policy), "-f", "markdown"]) == 1
    assert "## Policy: **deny**" in capsys.readouterr().out
    assert main(["audit", str(risky), "--policy", str(policy), "-f", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["runs"][0]["properties"]["policy"]["decision"] == "deny"
    clean = _package(tmp_path / "clean")
    assert main(["audit", str(clean), "--policy", str(policy), "-f", "json"]) == 0  # warn passes
    assert json.loads(capsys.readouterr().out)["policy"]["decision"] == "warn"
    bad = _policy(tmp_path, "version: 1\nchecks:\n  overall: {minimum: 3}\n")
    assert main(["audit", str(clean), "--policy", str(bad)]) == 2  # before any audit
    assert "policy.yaml:3: checks.overall.minimum: unknown key" in capsys.readouterr().err


def test_the_saved_example_reports_are_current_audit_reports() -> None:
    """``make_reports.py`` writes them with today's audit: they validate against the shipped
    schema, so the example tests judge what a user's saved report holds."""
    import jsonschema

    from ptmscope.formats.schemas import load as load_schema

    reports = sorted((EXAMPLES / "tests" / "reports").glob("*.json"))
    assert len(reports) == 5
    for report in reports:
        jsonschema.validate(json.loads(report.read_text()), load_schema("audit"))
