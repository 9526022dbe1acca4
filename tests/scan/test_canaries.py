"""Never execute what you inspect: live canaries in every container, scanned, never run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ptmscope.results.scan import FileVerdict
from ptmscope.scan.scanner import scan_file
from tests.scan import builders as b

CASES: dict[str, tuple[str, Callable[[Path, Path], Path]]] = {
    "pickle-p0": ("pickle", lambda d, m: _write(d / "model.pkl", b.canary_pickle(m, 0))),
    "pickle-p2": ("pickle", lambda d, m: _write(d / "model.bin", b.canary_pickle(m, 2))),
    "pickle-p5": ("pickle", lambda d, m: _write(d / "weights.model", b.canary_pickle(m, 5))),
    "pickle-exec": (
        "pickle",
        lambda d, m: _write(d / "x.pt", __import__("pickle").dumps(b.ExecCanary(m))),
    ),
    "pickle-laundered": ("pickle", lambda d, m: _write(d / "l.pkl", b.laundered_pickle(m))),
    "pytorch-zip": ("pytorch-zip", lambda d, m: b.write_torch_zip(d / "pytorch_model.bin", m)),
    "pytorch-legacy": (
        "pytorch-legacy",
        lambda d, m: b.write_torch_zip(d / "legacy.pt", m, legacy=True),
    ),
    "pytorch-tar": ("pytorch-tar", lambda d, m: b.write_torch_tar(d / "old.pt", m)),
    "npy": ("npy", lambda d, m: b.write_npy(d / "a.npy", m)),
    "npz": ("npz", lambda d, m: b.write_npz(d / "a.npz", m)),
    "joblib-raw": ("joblib", lambda d, m: b.write_joblib(d / "m.joblib", m)),
    "joblib-zlib": ("joblib", lambda d, m: b.write_joblib(d / "m.joblib", m, ("zlib", 3))),
    "joblib-gzip": ("joblib", lambda d, m: b.write_joblib(d / "m.joblib", m, ("gzip", 3))),
    "joblib-bz2": ("joblib", lambda d, m: b.write_joblib(d / "m.joblib", m, ("bz2", 3))),
    "joblib-xz": ("joblib", lambda d, m: b.write_joblib(d / "m.joblib", m, ("xz", 3))),
    "joblib-lzma": ("joblib", lambda d, m: b.write_joblib(d / "m.joblib", m, ("lzma", 3))),
    "zip": ("zip", lambda d, m: b.write_zip(d / "bundle.zip", "weights.data", b.canary_pickle(m))),
    "zip-in-zip": (
        "zip",
        lambda d, m: b.write_zip(d / "b.zip", "w.pkl", b.canary_pickle(m), nested=True),
    ),
    "7z": ("7z", lambda d, m: b.write_7z(d / "b.7z", "model.pkl", b.canary_pickle(m))),
    "keras-h5": ("keras-h5", lambda d, m: b.write_keras_h5(d / "m.h5", m)),
    "keras-v3": ("keras-v3", lambda d, m: b.write_keras_v3(d / "m.keras", m)),
    "keras-v3-ref": (
        "keras-v3",
        lambda d, m: b.write_keras_v3(d / "m.keras", m, function_ref=True),
    ),
    "gguf": (
        "gguf",
        lambda d, m: b.write_gguf(d / "m.gguf", b.SSTI_TEMPLATE.replace("MARKER", str(m))),
    ),
    "onnx": ("onnx", lambda d, m: b.write_onnx(d / "m.onnx", external="../../../etc/passwd")),
    "savedmodel": (
        "tensorflow-savedmodel",
        lambda d, m: b.write_saved_model(d / "sm", ["Const", "PyFunc"]),
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_canary_is_live(tmp_path: Path) -> None:
    """Loading the payload really runs it (in a child process): the other tests mean something."""
    marker = tmp_path / "LIVE"
    payload = tmp_path / "live.pkl"
    payload.write_bytes(b.canary_pickle(marker))
    subprocess.run(
        [sys.executable, "-c", f"import pickle; pickle.load(open({str(payload)!r}, 'rb'))"],
        check=True,
    )
    assert marker.exists()


@pytest.mark.parametrize("case", sorted(CASES))
def test_canary_found_and_never_run(case: str, tmp_path: Path) -> None:
    expected_format, build = CASES[case]
    marker = tmp_path / "MARKER"
    path = build(tmp_path, marker)
    result = scan_file(path)
    assert not marker.exists(), "scanning ran the payload"
    assert result.format == expected_format
    assert result.verdict is FileVerdict.MALICIOUS, result.findings
    assert not marker.exists()
