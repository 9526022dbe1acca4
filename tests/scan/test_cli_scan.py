"""``ptmscope scan``: reports in three formats, exit codes that a CI gate can trust."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.cli import main
from tests.scan import builders as b

SCHEMA = Path(__file__).resolve().parents[2] / ".cache" / "sarif-schema-2.1.0.json"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    (root / "sub").mkdir(parents=True)
    b.write_torch_zip(root / "clean.pt")
    (root / "sub" / "evil.bin").write_bytes(b.canary_pickle(tmp_path / "M"))
    b.write_zip(root / "sub" / "bundle.zip", "w.data", b.canary_pickle(tmp_path / "M"))
    (root / ".git").mkdir()
    (root / ".git" / "ignored.pkl").write_bytes(b.canary_pickle(tmp_path / "M"))
    return root


def test_json_report_and_exit_code(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(tree), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    files = {Path(f["path"]).name: f for f in report["files"]}
    assert set(files) == {"clean.pt", "evil.bin", "bundle.zip"}  # recursive, .git skipped
    assert files["clean.pt"]["verdict"] == "clean" and files["clean.pt"]["format"] == "pytorch-zip"
    evil = files["evil.bin"]
    assert evil["verdict"] == "malicious" and evil["format"] == "pickle"
    finding = evil["findings"][0]
    assert {"severity", "rule", "message", "location", "target", "category"} <= finding.keys()
    assert finding["location"]["offset"] is not None
    zipped = files["bundle.zip"]["findings"][0]
    assert zipped["location"]["members"] == ["w.data"]
    assert report["summary"] == {
        "files": 3,
        "clean": 1,
        "suspicious": 0,
        "malicious": 2,
        "error": 0,
    }
    assert not (tmp_path / "M").exists()


def test_json_report_matches_schema(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import resources

    import jsonschema

    main(["scan", str(tree), "--format", "json"])
    schema = json.loads(
        resources.files("ptmscope").joinpath("schemas/scan.schema.json").read_text()
    )
    jsonschema.validate(json.loads(capsys.readouterr().out), schema)


def test_sarif_is_valid_against_the_official_schema(tree: Path, tmp_path: Path) -> None:
    if not SCHEMA.exists():
        pytest.skip("official SARIF schema not fetched (make fetches it with npm)")
    import jsonschema

    out = tmp_path / "scan.sarif"
    assert main(["scan", str(tree), "--format", "sarif", "--output", str(out)]) == 1
    sarif = json.loads(out.read_text())
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    results = sarif["runs"][0]["results"]
    assert {r["level"] for r in results} == {"error"}
    assert any(r.get("locations", [{}])[0].get("logicalLocations") for r in results)


def test_fail_on_threshold_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = b.write_torch_zip(tmp_path / "clean.pt")
    assert main(["scan", str(clean)]) == 0
    assert "clean" in capsys.readouterr().out
    onnx = b.write_onnx(tmp_path / "c.onnx", custom_domain="evil.ops")  # medium findings only
    assert main(["scan", str(onnx)]) == 0
    assert main(["scan", str(onnx), "--fail-on", "medium"]) == 1
    out = capsys.readouterr().out
    assert "[medium]" in out and "suspicious" in out


def test_an_error_never_passes_the_gate(tmp_path: Path) -> None:
    truncated = tmp_path / "t.pt"
    truncated.write_bytes(b.write_torch_zip(tmp_path / "x.pt", legacy=True).read_bytes()[:300])
    assert main(["scan", str(truncated)]) == 1


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "missing")]) == 2
    bad = tmp_path / "p.yaml"
    bad.write_text("rules: [{match: x}]")
    clean = b.write_npy(tmp_path / "a.npy")
    assert main(["scan", str(clean), "--policy", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("ptmscope: error:") == 2
    with pytest.raises(SystemExit) as exc:
        main(["scan"])
    assert exc.value.code == 2
