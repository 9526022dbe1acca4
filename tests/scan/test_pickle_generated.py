"""Issue 13's pickle classes, generated: each malicious case is found and never run, each
benign look-alike written by a real library is not called malicious."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ptmscope.results.scan import FileScan, FileVerdict
from ptmscope.scan.scanner import scan_file
from tests.scan.generated import pickle_cases
from tests.scan.generated.pickle_cases import MARKER, Case


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Case, FileScan]]:
    root = tmp_path_factory.mktemp("pickle_cases")
    results = {case.path.name: (case, scan_file(case.path)) for case in pickle_cases.cases(root)}
    assert not (root / MARKER).exists(), "scanning ran a payload"
    return results


def test_every_case_gets_its_label(scanned: dict[str, tuple[Case, FileScan]]) -> None:
    techniques = {case.technique for case, _ in scanned.values() if case.label == "malicious"}
    assert techniques >= {"frame-straddle", "frame-nested", "embedded-blob", "allowance-kind-use"}
    wrong = [
        (name, scan.verdict, [f.message for f in scan.findings])
        for name, (case, scan) in scanned.items()
        if (scan.verdict is FileVerdict.MALICIOUS) != (case.label == "malicious")
    ]
    assert not wrong, wrong
    benign = [scan for case, scan in scanned.values() if case.label == "benign"]
    assert len(benign) >= 10 and not any(scan.errors for scan in benign)


def test_frame_cases_are_frame_findings(scanned: dict[str, tuple[Case, FileScan]]) -> None:
    for name in ("frame_straddle.pkl", "frame_nested.pkl", "frame_overlong.pkl"):
        findings = scanned[name][1].findings
        assert any(f.rule == "pickle.frame" for f in findings), name
        system = [f for f in findings if f.target == "os.system"]
        assert system and system[0].severity.label == "critical", name
    for name in ("frame_straddle.pkl", "frame_nested.pkl"):  # only a file reader runs these
        system = next(f for f in scanned[name][1].findings if f.target == "os.system")
        assert "as pickle.load from a file reads the stream" in system.message
    for name, (case, scan) in scanned.items():
        if case.label == "benign":
            assert not any(f.rule == "pickle.frame" for f in scan.findings), name


def test_embedded_payloads_say_where_they_were(scanned: dict[str, tuple[Case, FileScan]]) -> None:
    expected = {
        "embedded_decoder.pt": ("pickle", "basichandlers"),
        "embedded_b64.pkl": ("pickle", "Restorer.__setstate__"),
        "embedded_ckpt.pt": ("pytorch-zip", "Linear.__setstate__"),
    }
    for name, (held, target) in expected.items():
        findings = scanned[name][1].findings
        embedded = next(f for f in findings if f.rule == "pickle.embedded_payload")
        assert f"passes a {held}" in embedded.message and target in embedded.message
        system = next(f for f in findings if f.target == "os.system")
        assert system.location.members and target in system.location.members[0], system


def test_called_functions_in_allowed_namespaces(scanned: dict[str, tuple[Case, FileScan]]) -> None:
    hints = next(
        f for f in scanned["kind_type_hints.pkl"][1].findings if f.target == "typing.get_type_hints"
    )
    assert hints.severity.label == "high" and hints.message.startswith("calls ")
    decoder = next(
        f for f in scanned["embedded_decoder.pt"][1].findings
        if f.target and f.target.endswith("basichandlers") and f.rule != "pickle.embedded_payload"
    )  # fmt: skip
    assert decoder.severity.label == "high" and decoder.rule == "pickle.unlisted_callable"
    # types.SimpleNamespace is an allowed data holder: no finding names it
    assert not any(
        f.target == "types.SimpleNamespace" for f in scanned["kind_type_hints.pkl"][1].findings
    )


def _child(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_frame_straddle_canary_is_live_only_for_a_file_reader(tmp_path: Path) -> None:
    """The evasion is real: ``pickle.loads`` runs nothing, ``pickle.load`` of the same bytes
    from a file object runs the payload (each in a child process)."""
    marker = tmp_path / "LIVE"
    path = tmp_path / "straddle.pkl"
    path.write_bytes(pickle_cases.frame_straddle(marker))
    _child(f"import pickle; pickle.loads(open({str(path)!r}, 'rb').read())")
    assert not marker.exists()
    _child(f"import io, pickle; pickle.load(io.BytesIO(open({str(path)!r}, 'rb').read()))")
    assert marker.exists()


def test_type_hints_canary_is_live(tmp_path: Path) -> None:
    marker = tmp_path / "LIVE"
    path = tmp_path / "hints.pkl"
    path.write_bytes(pickle_cases.kind_type_hints(marker))
    _child(f"import pickle; pickle.loads(open({str(path)!r}, 'rb').read())")
    assert marker.exists()
