"""The library API is the CLI's equal: the same results, the same gates, the same errors.

Every public function is called on real files (real safetensors, a real pickle
canary that would create a marker file if loaded, a real study database, a real
registry served by uvicorn on 127.0.0.1); the CLI is run in-process on the same
inputs and must print the JSON the library's result renders to.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import ptmscope
import ptmscope.registry
import ptmscope.study
from ptmscope.cli import main
from ptmscope.formats import AUDIT_FORMATS, SCAN_FORMATS
from tests.conftest import write_safetensors
from tests.scan import builders as b
from tests.test_plain_install import HEAVY

ROOT = Path(__file__).resolve().parents[1]
VOLATILE = {"generated_at", "collected_at", "seconds"}
"""Keys whose values differ between two runs over the same input (clock, elapsed time)."""


def _stable(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _stable(v) for k, v in data.items() if k not in VOLATILE}
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data


def _cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_import_is_light_and_exports_the_api() -> None:
    code = (
        "import sys\n"
        f"for name in {HEAVY!r}: sys.modules[name] = None\n"
        "import ptmscope\n"
        "for name in ('audit', 'scan', 'verify', 'study', 'registry', 'InputError',\n"
        "             'MissingExtraError', 'AuditResult', 'ScanResult', 'VerifyResult'):\n"
        "    assert hasattr(ptmscope, name), name\n"
        "loaded = [m for m in ('numpy', 'torch', 'transformers', 'duckdb', 'pyarrow',\n"
        "                      'starlette', 'uvicorn') if sys.modules.get(m) is not None]\n"
        "print(loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_functions_win_over_same_named_submodules() -> None:
    """Importing an engine module after ``import ptmscope`` must not rebind the public name."""
    import ptmscope.audit
    import ptmscope.scan.scanner
    import ptmscope.study.ingest
    import ptmscope.study.measure
    import ptmscope.verify.options
    from ptmscope.scan.scanner import scan_paths
    from ptmscope.study.ingest import ingest as ingest_into

    assert ptmscope.scan.__module__ == "ptmscope.api" and callable(ptmscope.scan)
    assert ptmscope.verify.__module__ == "ptmscope.api"
    assert ptmscope.audit.__module__ == "ptmscope.audit" and callable(ptmscope.audit)
    assert ptmscope.study.ingest.__module__ == "ptmscope.study"
    assert ptmscope.study.report.__module__ == "ptmscope.study"
    assert ingest_into.__module__ == "ptmscope.study.ingest"  # the module is still there
    assert scan_paths.__module__ == "ptmscope.scan.scanner"
    assert sys.modules["ptmscope.scan.scanner"].scan_paths is scan_paths


SHADOWED = re.compile(
    r"^\s*import\s+ptmscope\.(scan|verify|audit|study\.ingest|study\.report|study\.clone)"
    r"\b[\w.]*\s+as\s",
    re.MULTILINE,
)


def test_no_code_imports_a_shadowed_module_by_attribute_path() -> None:
    """``import ptmscope.scan.scanner as m`` resolves through the attribute ``ptmscope.scan``
    (the function), so it fails or binds the function; write ``from ptmscope.scan import
    scanner`` or ``from ptmscope.scan.scanner import …`` instead."""
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for folder in ("src", "tests", "benchmarks")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for match in SHADOWED.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


def test_audit_returns_a_result_with_its_gate_and_matches_the_cli(
    make_package: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = make_package("clean")
    risky = make_package("risky", safetensors=False, torch_bin=True)
    result = ptmscope.audit(clean)
    assert isinstance(result, ptmscope.AuditResult)
    assert not result.fails(None)
    flagged = ptmscope.audit(str(risky), ptmscope.AuditOptions(source="local"))
    assert flagged.fails(ptmscope.Severity.HIGH) and not flagged.fails(None)
    code, printed = _cli_json(capsys, "audit", str(risky), "--fail-on", "high")
    assert code == 1
    assert _stable(printed) == _stable(json.loads(AUDIT_FORMATS.render("json", flagged)))


def test_audit_errors_are_the_exported_types(tmp_path: Path, make_package: Any) -> None:
    with pytest.raises(ptmscope.InputError, match="no such file"):
        ptmscope.audit(tmp_path / "missing")
    with pytest.raises(ptmscope.SourceError):
        ptmscope.audit(make_package("plain"), ptmscope.AuditOptions(source="git"))
    assert issubclass(ptmscope.SourceError, ptmscope.PtmscopeError)
    assert issubclass(ptmscope.MissingExtraError, ptmscope.InputError)


def test_scan_returns_a_result_with_its_gate_and_matches_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "marker"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b.canary_pickle(marker))
    good = tmp_path / "good.safetensors"
    write_safetensors(good)
    result = ptmscope.scan([evil, str(good)])
    assert isinstance(result, ptmscope.ScanResult) and len(result) == 2
    assert result.fails(ptmscope.Severity.HIGH)
    assert result.count(ptmscope.FileVerdict.MALICIOUS) == 1
    assert not ptmscope.scan(good).fails(ptmscope.Severity.LOW)
    code, printed = _cli_json(capsys, "scan", str(evil), str(good))
    assert code == 1
    assert _stable(printed) == _stable(json.loads(SCAN_FORMATS.render("json", result)))
    assert not marker.exists()


def test_scan_bad_input_raises_the_exported_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.safetensors"
    write_safetensors(good)
    with pytest.raises(ptmscope.InputError, match="timeout must be positive"):
        ptmscope.scan(good, timeout=0)
    with pytest.raises(ptmscope.InputError, match="nothing to scan"):
        ptmscope.scan([])
    with pytest.raises(ptmscope.InputError, match="cannot read policy"):
        ptmscope.scan(good, policy=tmp_path / "missing.yaml")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: " + "[" * 20000 + "]" * 20000 + "\n")
    with pytest.raises(ptmscope.HostileInputError):
        ptmscope.scan(good, policy=[bomb])


def test_verify_without_its_extra_names_it_before_reading_anything(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        f"for name in {HEAVY!r}: sys.modules[name] = None\n"
        "import ptmscope\n"
        "try:\n"
        f"    ptmscope.verify({str(tmp_path / 'missing')!r})\n"
        "except ptmscope.MissingExtraError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pip install 'ptmscope[verify]'" in done.stdout


def test_verify_returns_a_result_with_its_gate(make_package: Any) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    result = ptmscope.verify(make_package("nocard", card=None))
    assert isinstance(result, ptmscope.VerifyResult)
    assert len(result) == 0 and not result.fails()
    over = ptmscope.ClaimResult(
        "text-classification", "imdb", None, "test", "accuracy", 0.99, 0.5, (0.45, 0.55), 100,
        ptmscope.ClaimVerdict.OVER_CLAIMED, "measured lower", "model-index", "README.md",
    )  # fmt: skip
    under = dataclasses.replace(over, verdict=ptmscope.ClaimVerdict.UNDER_CLAIMED)
    assert ptmscope.VerifyResult("r", None, (over,)).fails()
    assert not ptmscope.VerifyResult("r", None, (under,)).fails()
    assert ptmscope.VerifyResult("r", None, (under,)).fails(ptmscope.ClaimVerdict.UNDER_CLAIMED)
    with pytest.raises(ptmscope.InputError, match="limit must be positive"):
        ptmscope.VerifyOptions(limit=0)


def test_study_ingest_and_report(tmp_path: Path) -> None:
    listing = tmp_path / "listing.csv"
    listing.write_text(
        "model_id,author,created_at,downloads,has_modelcard,pipeline_tag\n"
        "org/a,org,2022-01-01,1000,True,token-classification\n"
        "org/b,org,2022-01-01,10,False,\n"
    )
    db = tmp_path / "db"
    stats = ptmscope.study.ingest(db, [listing], workers=1)
    assert stats.models == 2
    result = ptmscope.study.report(str(db))
    assert isinstance(result, ptmscope.StudyResult) and len(result) > 0
    assert all(isinstance(m, ptmscope.Measurement) for m in result)
    with pytest.raises(ptmscope.InputError, match="no such paper"):
        ptmscope.study.report(db, paper=tmp_path / "nope.csv")
    with pytest.raises(ptmscope.InputError, match="no such file"):
        ptmscope.study.ingest(db, [tmp_path / "missing.csv"])
    with pytest.raises(ptmscope.InputError, match="must be positive"):
        ptmscope.study.ingest(db, [listing], workers=0)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_registry_app_factory_serves_the_hub_api(tmp_path: Path, make_package: Any) -> None:
    import uvicorn

    root = tmp_path / "root"
    (root / "org").mkdir(parents=True)
    make_package("tiny").rename(root / "org" / "tiny")
    with pytest.raises(ptmscope.InputError, match="not a folder of packages"):
        ptmscope.registry.create_app(tmp_path / "missing")
    with pytest.raises(ptmscope.InputError, match="--threads must be positive"):
        ptmscope.registry.create_app(root, threads=0)
    with pytest.raises(ptmscope.InputError, match="--threads must be positive"):
        ptmscope.registry.create_app(root, workers=0)  # the former name of threads
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(ptmscope.registry.create_app(root), host="127.0.0.1", port=port,
                       log_level="warning")
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        info: dict[str, Any] = {}
        for _ in range(300):  # bounded: 300 tries of at most 0.1 s + the request
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/models/org/tiny", timeout=5
                ) as response:
                    info = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.1)
        assert info.get("id") == "org/tiny", info
    finally:
        server.should_exit = True
        thread.join(timeout=30)
