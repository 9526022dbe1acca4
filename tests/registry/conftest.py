"""A real registry server on 127.0.0.1 (a subprocess running ``ptmscope registry serve``)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import FULL_CARD, SHARED_DATA, git, write_safetensors
from tests.scan import builders as b

MAIN = "from ptmscope.cli import main; raise SystemExit(main())"
LAUNCH = """
import json, sys
from pathlib import Path
from ptmscope.registry.serve import build, serve
options = json.loads(sys.argv[1])
for key in ("root", "policy", "audit_log"):
    if options.get(key):
        options[key] = Path(options[key])
port = options.pop("port")
serve(build(**options), "127.0.0.1", port)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``registry serve`` in a subprocess: through the CLI, or through ``build(**options)``
    when options the CLI does not (yet) have are given (limits, timeouts)."""

    def __init__(
        self, root: Path, *extra: str, env: dict[str, str] | None = None, **options: object
    ) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        if options:
            launch = json.dumps({"root": str(root), "port": self.port, **options}, default=str)
            command = [sys.executable, "-c", LAUNCH, launch]
        else:
            command = [sys.executable, "-c", MAIN, "registry", "serve", str(root)]
            command += ["--port", str(self.port), *extra]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/api/models?limit=1", timeout=2):
                    return
            except OSError as exc:
                if self.process.poll() is not None:
                    output = (
                        self.process.stdout.read().decode()
                        if self.process.stdout
                        else "server died"
                    )
                    raise RuntimeError(output) from exc
                time.sleep(0.1)
        raise RuntimeError("registry did not start")

    def env(self, home: Path) -> dict[str, str]:
        return {
            **os.environ,
            "HF_ENDPOINT": self.endpoint,
            "HF_HOME": str(home),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        }

    def peak_rss_kb(self) -> int:
        """The server process's peak resident memory (``VmHWM``), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_client(server: Server, home: Path, code: str) -> object:
    """Run client code in a subprocess with HF_ENDPOINT set; it prints one JSON line."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=server.env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_cli(server: Server, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        env=server.env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )


def build_root(root: Path) -> Path:
    """Packages of every kind: folders, a git work tree with history, a bare clone, a malicious one."""
    tiny = root / "acme" / "tiny"
    tiny.mkdir(parents=True)
    (tiny / "README.md").write_text(FULL_CARD)
    (tiny / "config.json").write_text(
        json.dumps({"model_type": "bert", "architectures": ["BertModel"]})
    )
    write_safetensors(tiny / "model.safetensors")
    (tiny / "sub").mkdir()
    (tiny / "sub" / "notes.txt").write_text("nested file\n")

    evil = root / "evil" / "zip"
    evil.mkdir(parents=True)
    (evil / "README.md").write_text("---\nlicense: mit\n---\n# evil\n")
    b.write_torch_zip(evil / "pytorch_model.bin", root.parent / "MARKER")

    work = root / "acme" / "history"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("---\nlicense: apache-2.0\n---\n# v1\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    git(work, "tag", "v1")
    (work / "README.md").write_text("---\nlicense: apache-2.0\n---\n# v2\n")
    (work / "config.json").write_text("{}")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "second")
    git(work, "branch", "release/2024")
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(root / "acme" / "bare.git")], check=True
    )
    return root


@pytest.fixture(scope="session")
def registry_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_root(tmp_path_factory.mktemp("registry") / "root")
    if SHARED_DATA.joinpath("git_repos").is_dir():
        for repo in sorted(SHARED_DATA.joinpath("git_repos").glob("*.git")):
            owner, _, name = repo.name.removesuffix(".git").rpartition("__")
            target = root / (owner or "community") / f"{name}.git"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(repo, target)
    return root


@pytest.fixture(scope="session")
def server(registry_root: Path) -> Iterator[Server]:
    running = Server(registry_root)
    yield running
    running.stop()


@pytest.fixture
def make_server() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(root: Path, *extra: str, **options: object) -> Server:
        started.append(Server(root, *extra, **options))
        return started[-1]

    yield start
    for running in started:
        running.stop()
