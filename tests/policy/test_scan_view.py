"""``scan --policy``: an admission policy's ``scan:`` section is the scanner's rule list, the
older scan policy files keep working, and the scan carries the decision on what a scan can
judge (formats, pickles, verdicts), leaving the rest to an audit."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ptmscope.api import audit, scan
from ptmscope.audit import AuditOptions
from ptmscope.cli import main
from ptmscope.formats.schemas import load as load_schema
from ptmscope.results.audit_report import build
from tests.conftest import FULL_CARD, write_safetensors

CALLS_BUILDER = b"\x80\x02cmylib\nbuild\n)R."
"""A pickle that calls ``mylib.build()`` when loaded: high unless a policy allows it."""

ALLOW_BUILDER = """\
  rules:
    - allow: true
      reason: our own model builder
      match: [mylib.build]
"""
LEGACY = "version: 1\n" + ALLOW_BUILDER.replace("\n  ", "\n")[2:]
ADMISSION = f"""\
version: 1
templates:
  formats: [safetensors]    # judged by a scan
  min_score: 5              # needs an audit
scan:
{ALLOW_BUILDER}"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "model.pkl").write_bytes(CALLS_BUILDER)
    (tmp_path / "legacy.yaml").write_text(LEGACY)
    (tmp_path / "admission.yaml").write_text(ADMISSION)
    safe = tmp_path / "safe"
    safe.mkdir()
    write_safetensors(safe / "model.safetensors")
    return {
        "pickle": tmp_path / "model.pkl",
        "legacy": tmp_path / "legacy.yaml",
        "admission": tmp_path / "admission.yaml",
        "safe": safe,
    }


def test_the_older_scan_policy_file_still_works(files: dict[str, Path]) -> None:
    assert scan(files["pickle"]).files[0].verdict.value == "malicious"
    result = scan(files["pickle"], policy=files["legacy"])
    assert result.files[0].verdict.value == "clean"
    assert result.policy is None  # a scan policy alone decides nothing


def test_the_admission_policy_scan_section_is_the_rule_list(files: dict[str, Path]) -> None:
    result = scan(files["pickle"], policy=files["admission"])
    assert result.files[0].verdict.value == "clean"  # the section allowed the builder
    assert result.policy is not None
    data = result.policy.data()
    assert data["decision"] == "deny"
    assert [v["rule"] for v in data["violations"]] == ["templates.formats"]
    assert data["not_judged"] == ["templates.min_score"]


def test_scan_cli_exit_code_and_formats_carry_the_decision(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = str(files["admission"])
    assert main(["scan", str(files["pickle"]), "--policy", policy, "-f", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    jsonschema.validate(report, load_schema("scan"))
    assert report["policy"]["decision"] == "deny"
    assert main(["scan", str(files["safe"]), "--policy", policy, "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["policy"]["decision"] == "allow"
    assert main(["scan", str(files["pickle"]), "--policy", policy]) == 1
    text = capsys.readouterr().out
    assert "Policy: DENY" in text and "templates.formats" in text
    assert "not judged by a scan" in text and "templates.min_score" in text
    assert main(["scan", str(files["pickle"]), "--policy", policy, "-f", "markdown"]) == 1
    assert "## Policy: **deny**" in capsys.readouterr().out
    assert main(["scan", str(files["pickle"]), "--policy", policy, "-f", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["runs"][0]["properties"]["policy"]["decision"] == "deny"


def test_two_admission_policies_are_an_input_error(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("version: 1\ntemplates:\n  no_pickle: true\n")
    code = main(["scan", str(files["pickle"]), "--policy", str(files["admission"]),
                 "--policy", str(other)])  # fmt: skip
    assert code == 2
    assert "a second admission policy" in capsys.readouterr().err


def test_audit_scans_with_the_policy_scan_section(files: dict[str, Path], tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "README.md").write_text(FULL_CARD)
    (package / "model.pkl").write_bytes(CALLS_BUILDER)
    plain = build(audit(package))
    assert {s["path"]: s["verdict"] for s in plain["scans"]}["model.pkl"] == "malicious"
    decided = audit(package, AuditOptions(policy=files["admission"]))
    report = build(decided)
    assert {s["path"]: s["verdict"] for s in report["scans"]}["model.pkl"] == "clean"
    assert report["policy"]["decision"] == "deny"  # formats: a pickle is not safetensors


def test_no_keras_lambda_reads_the_scan_rules(tmp_path: Path) -> None:
    from tests.scan import builders as b

    marker = tmp_path / "MARKER"
    b.write_keras_v3(tmp_path / "lambda.keras", marker)
    b.write_keras_v3(tmp_path / "dense.keras")
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ntemplates:\n  no_keras_lambda: true\n")
    denied = scan(tmp_path / "lambda.keras", policy=policy).policy
    assert denied is not None and denied.decision.value == "deny"
    assert denied.violations[0].evidence == (f"{tmp_path / 'lambda.keras'}: keras.lambda_bytecode",)
    allowed = scan(tmp_path / "dense.keras", policy=policy).policy
    assert allowed is not None and allowed.decision.value == "allow"
    assert not marker.exists()  # inspected, never run


def test_an_allow_rule_covering_code_execution_needs_unsafe(tmp_path: Path) -> None:
    from ptmscope.errors import InputError

    evil = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R."  # os.system('true')
    (tmp_path / "evil.pkl").write_bytes(evil)
    broad = tmp_path / "broad.yaml"
    broad.write_text("version: 1\nrules:\n  - allow: true\n    match: ['os.*']\n")
    with pytest.raises(InputError, match=r"covers os\.system"):
        scan(tmp_path / "evil.pkl", policy=broad)
    broad.write_text("version: 1\nrules:\n  - allow: true\n    unsafe: true\n    match: ['os.*']\n")
    assert scan(tmp_path / "evil.pkl", policy=broad).files[0].verdict.value == "clean"
    classes = tmp_path / "classes.yaml"  # classes held as data do not run code: no `unsafe`
    classes.write_text(
        "version: 1\nrules:\n  - allow: true\n    kind: class\n    match: ['os.*']\n"
    )
    assert scan(tmp_path / "evil.pkl", policy=classes).files[0].verdict.value == "malicious"
