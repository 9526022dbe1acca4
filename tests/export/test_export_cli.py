"""``ptmscope export`` as a user runs it: the demo package and the shared git repositories
validate against both schemas; bad input is one line and exit 2; nothing is executed."""

from __future__ import annotations

import hashlib
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from ptmscope.demo import demo_model_path
from tests.export.helpers import GIT_REPOS, cyclonedx, safetensors_bytes, spdx

FORMATS = {"cyclonedx": "1.6", "cyclonedx-1.7": "1.7", "spdx": None}


def ptmscope(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ptmscope", *args], capture_output=True, text=True, timeout=300
    )


def _validates(text: str, form: str) -> dict[str, object]:
    version = FORMATS[form]
    return cyclonedx(text, version) if version else spdx(text)


@pytest.mark.parametrize("form", list(FORMATS))
def test_demo_package_validates(form: str, tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    done = ptmscope("export", str(demo_model_path()), "--format", form, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert _validates(text, form)
    # what the demo's card and files state: its licence, a training set, the weights' digest
    weights = (demo_model_path() / "model.safetensors").read_bytes()
    for fact in ("Apache-2.0", "s2orc", hashlib.sha256(weights).hexdigest()):
        assert fact in text, fact


SHARED_REPOS = sorted(GIT_REPOS.glob("*.git")) if GIT_REPOS.is_dir() else []


@pytest.mark.skipif(not SHARED_REPOS, reason="shared git repositories absent")
@pytest.mark.parametrize("form", ["cyclonedx", "spdx"])
def test_shared_git_repositories_validate(form: str) -> None:
    for repository in SHARED_REPOS:
        done = ptmscope("export", str(repository), "-f", form)
        assert done.returncode == 0, (repository, done.stderr)
        _validates(done.stdout, form)


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = ptmscope("export", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    unknown = ptmscope("export", str(tmp_path), "--format", "spdx-2.3")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
    assert not list(tmp_path.iterdir())


class _Canary:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        import os

        return (os.system, (f"touch {self.path}",))


def test_export_never_runs_what_it_reads(make_package, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    canary = tmp_path / "CANARY"
    payload = pickle.dumps(_Canary(canary), protocol=2)
    folder = make_package(
        safetensors=False,
        config={"auto_map": {"AutoModel": "modeling_evil.Evil"}},
        files={
            "model.safetensors": safetensors_bytes(),
            "pytorch_model.bin": payload,
            "modeling_evil.py": f"open({str(canary)!r}, 'w').write('imported')\n",
        },
    )
    for form in FORMATS:
        done = ptmscope("export", str(folder), "-f", form)
        assert done.returncode == 0, done.stderr
        document = _validates(done.stdout, form)
        assert document
    assert not canary.exists()
    bom = cyclonedx(ptmscope("export", str(folder)).stdout)
    [attestation] = bom["declarations"]["attestations"]  # type: ignore[index]
    scores = {m["requirement"]: m["conformance"].get("score") for m in attestation["map"]}
    assert scores["requirement:risk.malicious_serialization"] == 0.0
    assert scores["requirement:risk.remote_code"] == 0.0
