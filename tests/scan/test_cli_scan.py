"""``ptmscope scan``: reports in three formats, exit codes that a CI gate can trust."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ptmscope.cli import main
from tests.scan import builders as b

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif" / "sarif-schema-2.1.0.json"
"""The OASIS SARIF 2.1.0 schema, bundled as test data."""


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


def _cli(*args: str, stderr: Any = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (stdout a pipe, as in CI)."""
    return subprocess.run(
        [sys.executable, "-m", "ptmscope", "scan", *args],
        stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=300,
    )  # fmt: skip


def test_folder_text_lists_findings_only_and_a_summary(tree: Path, tmp_path: Path) -> None:
    done = _cli(str(tree))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert not any(line.startswith("clean ") for line in lines)  # clean.pt not listed
    assert sum(line.startswith("malicious ") for line in lines) == 2
    summary = lines[-1]
    assert summary.startswith("3 file(s), ")
    assert "bytes: 2 malicious, 0 suspicious, 1 clean, 0 error in " in summary
    assert "(1 clean file(s) not listed: --show-clean lists them)" in summary
    assert not (tmp_path / "M").exists()


@pytest.mark.parametrize("switch", ["--show-clean", "--verbose", "-v"])
def test_show_clean_lists_every_file(tree: Path, switch: str) -> None:
    done = _cli(str(tree), switch)
    lines = done.stdout.splitlines()
    assert sum(line.startswith("clean ") for line in lines) == 1
    assert "not listed" not in lines[-1]


def test_a_file_named_alone_is_listed_even_when_clean(tree: Path) -> None:
    done = _cli(str(tree / "clean.pt"))
    assert done.returncode == 0
    assert done.stdout.splitlines()[0].startswith("clean ")


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_do_not_change_with_show_clean(tree: Path, fmt: str) -> None:
    plain, verbose = _cli(str(tree), "-f", fmt), _cli(str(tree), "-f", fmt, "--show-clean")
    strip = re.compile(r'"seconds": [0-9.e-]+')
    assert strip.sub("", plain.stdout) == strip.sub("", verbose.stdout)
    assert len(json.loads(plain.stdout)["files" if fmt == "json" else "runs"]) >= 1


def test_no_progress_when_stderr_is_not_a_terminal(tree: Path) -> None:
    done = _cli(str(tree))
    assert "scanned " not in done.stderr and "\r" not in done.stderr


def test_progress_with_eta_on_a_terminal(tree: Path) -> None:
    """stderr is a pseudo-terminal: the counter is drawn in place, then erased."""
    import os
    import pty

    primary, secondary = pty.openpty()
    try:
        done = _cli(str(tree), "-f", "json", stderr=secondary)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: the other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
    shown = b"".join(chunks).decode()
    assert done.returncode == 1
    assert "scanned 3/3 files" in shown and "elapsed" in shown
    assert shown.endswith("\r")  # erased: the report starts on a clean line
    assert json.loads(done.stdout)["summary"]["files"] == 3  # stdout untouched


def test_progress_text_has_an_eta_from_bytes() -> None:
    from ptmscope.cli import progress_text
    from ptmscope.scan.scanner import Progress

    line = progress_text(Progress(5, 20, 250_000_000, 1_000_000_000, 10.0, "x"))
    assert line == "scanned 5/20 files, 250.0 MB/1.0 GB, 0:10 elapsed, ETA 0:30"
    assert "ETA" not in progress_text(Progress(0, 20, 0, 1_000, 0.0, "x"))
