"""A plain ``pip install ptmscope`` (no extras) audits and scans; verify names its extra.

Two checks, one file:

- under pytest, the heavy modules are made unimportable in a child process
  (``sys.modules[name] = None`` makes every ``import name`` fail), so the test sees
  exactly what a user without ``[verify]`` sees;
- ``python tests/test_plain_install.py BIN`` (run by ``make package-check`` after the
  wheel is installed into a fresh virtual environment without extras) runs the
  installed ``BIN/ptmscope`` on a small real package. This mode uses the standard
  library only: the fresh environment has no pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HEAVY = ("numpy", "torch", "transformers", "safetensors", "scipy", "sklearn", "datasets")
_RUN = (
    "import sys\n"
    f"for name in {HEAVY!r}: sys.modules[name] = None\n"
    "from ptmscope.cli import main\n"
    "code = main(sys.argv[1:])\n"
    f"leaked = [n for n in {HEAVY!r} if sys.modules.get(n) is not None]\n"
    "assert not leaked, leaked\n"
    "sys.exit(code)\n"
)


def plain(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUN, *args], capture_output=True, text=True, timeout=120
    )


def _package(root: Path) -> Path:
    root.mkdir()
    (root / "README.md").write_text("---\nlicense: mit\n---\n# Tiny\n\nA tiny model.\n")
    (root / "config.json").write_text('{"model_type": "bert"}')
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    blob = len(header).to_bytes(8, "little") + header + b"\x00" * 4
    (root / "model.safetensors").write_bytes(blob)
    return root


def test_audit_scan_probes_and_version_without_extras(tmp_path: Path) -> None:
    from tests.conftest import git

    root = _package(tmp_path / "pkg")
    assert plain("--version").returncode == 0
    assert plain("probes").returncode == 0
    audited = plain("audit", str(root), "-f", "json")
    assert audited.returncode == 0, audited.stderr
    assert json.loads(audited.stdout)["package"]["weights"][0]["format"] == "safetensors"
    scanned = plain("scan", str(root), "-f", "json")
    assert scanned.returncode == 0, scanned.stderr
    assert {f["verdict"] for f in json.loads(scanned.stdout)["files"]} == {"clean"}
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    from_git = plain("audit", str(root), "--source", "git", "-f", "json")
    assert from_git.returncode == 0, from_git.stderr
    assert json.loads(from_git.stdout)["package"]["source"] == "git"


def test_verify_without_its_extra_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = _package(tmp_path / "pkg")
    for args in (("verify", str(root)), ("audit", str(root), "--verify")):
        done = plain(*args)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "pip install 'ptmscope[verify]'" in lines[0], done.stderr


def _smoke_step(name: str, done: subprocess.CompletedProcess[str], expected: int) -> list[str]:
    if done.returncode == expected:
        print(f"ok   {name}")
        return []
    print(f"FAIL {name}: exit {done.returncode}, expected {expected}\n{done.stderr[-2000:]}")
    return [name]


REGISTRY_START_S = 60
"""Longest wait for ``registry serve`` to answer (a bound a working server never reaches)."""


def _registry_step(
    command: str, package: Path, run: Callable[..., subprocess.CompletedProcess[str]]
) -> list[str]:
    """``registry serve`` on 127.0.0.1, then ``audit owner/name`` through it (the Hub client
    path), all from the plain install."""
    import os
    import shutil
    import socket
    import time
    import urllib.request

    served = package.parent / "served"
    shutil.copytree(package, served / "acme" / "tiny")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [command, "registry", "serve", str(served), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + REGISTRY_START_S
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/api/models/acme/tiny", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print(
                        f"FAIL registry serve: {(server.stderr.read() if server.stderr else '')[-2000:]}"
                    )
                    return ["registry serve"]
                time.sleep(0.3)
        print("ok   registry serve")
        env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_HUB_OFFLINE": "0"}
        audited = run("audit", "acme/tiny", "-f", "json", env=env)
        failed = _smoke_step("audit Hub id through registry serve", audited, 0)
        if not audited.returncode and json.loads(audited.stdout)["package"]["source"] != "hub":
            failed.append("audit hub source")
        return failed
    finally:
        server.terminate()
        server.wait(timeout=30)


def smoke(bin_dir: Path) -> int:
    """The installed command, without extras: version, probes, scan, audit (folder, and a Hub
    id through ``registry serve``), export (SPDX and CycloneDX, validated), verify's extra."""
    command = str(bin_dir / "ptmscope")

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [command, *args], capture_output=True, text=True, timeout=300, env=env
        )

    failed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = _package(Path(tmp) / "pkg")
        failed += _smoke_step("--version", run("--version"), 0)
        failed += _smoke_step("probes", run("probes"), 0)
        scanned = run("scan", str(root / "model.safetensors"), "-f", "json")
        failed += _smoke_step("scan FILE", scanned, 0)
        if not scanned.returncode and json.loads(scanned.stdout)["files"][0]["verdict"] != "clean":
            failed.append("scan verdict")
        audited = run("audit", str(root), "-f", "json")
        failed += _smoke_step("audit FOLDER", audited, 0)
        if not audited.returncode and json.loads(audited.stdout)["package"]["source"] != "local":
            failed.append("audit source")
        for form in ("spdx", "cyclonedx"):
            # Validated at run time against the official schema the wheel ships (SPDX:
            # data/spdx-3.0.1-json-schema.json, checked by its published digest).
            exported = run("export", str(root), "-f", form)
            failed += _smoke_step(f"export {form}", exported, 0)
            if not exported.returncode and '"name": "pkg"' not in exported.stdout:
                failed.append(f"export {form} content")
        failed += _registry_step(command, root, run)
        verified = run("verify", str(root))
        failed += _smoke_step("verify (no extra)", verified, 2)
        lines = verified.stderr.strip().splitlines()
        if len(lines) != 1 or "pip install 'ptmscope[verify]'" not in lines[0]:
            print(f"FAIL verify message: {verified.stderr!r}")
            failed.append("verify message")
    print("plain install smoke test:", "FAILED " + ", ".join(failed) if failed else "passed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/test_plain_install.py VENV_BIN_DIR")
    sys.exit(smoke(Path(sys.argv[1])))
