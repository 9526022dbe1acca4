"""Gateway at scale (``make bench-gateway``): registry serve against nginx serving the same bytes.

On 127.0.0.1 with ``ab`` (apache2-utils) and nginx from Debian, installed here when
missing (skipped with a message when they cannot be), over one package of a small file,
a 16 MiB file read by 64 KiB Range requests, and a 300 MB file:

- ``nginx``: nginx serving the folder itself (the floor: no gateway);
- ``serve-1`` / ``serve-2``: ``registry serve --policy`` with 1 and 2 worker processes,
  bytes sent by the workers;
- ``front-2``: the deployment of ``examples/nginx/ptmscope.conf``: nginx in front,
  ``registry serve --workers 2 --policy --accel-redirect``; every request is decided by
  ptmscope, bodies are moved by nginx;
- ``front-2c``: ``examples/nginx/ptmscope-cached.conf``, the same with ptmscope's answers
  on file bodies cached by nginx for 1 s (refusals, the API and git always reach it).

Prints req/s, p50/p99 (ms) and peak memory (VmHWM summed over the server's processes)
per case, medians of ``--rounds``, and each as a ratio to nginx; then a ``--soak``-second
load on the deployment, which must end without a failed or non-2xx request. Target
(issue 20): >= 0.5x nginx on file bodies with the gateway on.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
EXAMPLES = ROOT / "examples" / "nginx"
POLICY = "version: 1\ntemplates:\n  formats: [safetensors]\n"
TARGET = 0.5
CONNECTIONS = 16
BIG = 300 * 10**6
FILES = {
    "small": ("small.txt", 0, {}),
    "range64k": ("data.dat", 0, {"Range": "bytes=1048576-1114111"}),
    "big300MB": ("big.dat", 4, {}),
}
"""Case -> (file, requests per round (0: for ``SECONDS``), request headers)."""
SECONDS = 4
"""A round of the small cases lasts this long (a fixed count finishes in milliseconds on
nginx, too short to measure)."""


def _install() -> bool:
    missing = [tool for tool in ("nginx", "ab") if shutil.which(tool) is None]
    if not missing:
        return True
    packages = ["nginx", "apache2-utils"]
    for command in (["apt-get", "install", "-y", "-q", *packages],
                    ["sudo", "-n", "apt-get", "install", "-y", "-q", *packages]):  # fmt: skip
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=600)
            return True
        except (OSError, subprocess.SubprocessError):
            continue
    return False


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _package(work: Path) -> Path:
    import numpy as np
    from safetensors.numpy import save_file  # the bench needs the project's test install

    root = work / "root"
    package = root / "acme" / "bench"
    package.mkdir(parents=True)
    (package / "README.md").write_text("---\nlicense: mit\n---\n# bench\n\nA benchmark package.\n")
    save_file({"w": np.zeros((4, 4), dtype=np.float32)}, str(package / "model.safetensors"))
    (package / "small.txt").write_bytes(os.urandom(1024))
    (package / "data.dat").write_bytes(os.urandom(16 << 20))
    with (package / "big.dat").open("wb") as handle:
        block = os.urandom(1 << 20)
        for _ in range(BIG // len(block)):
            handle.write(block)
        handle.write(block[: BIG % len(block)])
    (work / "policy.yaml").write_text(POLICY)
    return root


def _nginx(work: Path, name: str, server_block: str) -> tuple[subprocess.Popen[bytes], Path]:
    folder = work / f"nginx-{name}"
    folder.mkdir()
    temp = " ".join(f"{k}_temp_path {folder / k};" for k in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"{user}daemon off; worker_processes 2; pid {folder / 'nginx.pid'}; "
        f"error_log {folder / 'error.log'};\nevents {{ worker_connections 1024; }}\n"
        f"http {{ access_log off; {temp}\n{server_block}\n}}\n"
    )
    process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return process, folder


def _static_block(root: Path, port: int) -> str:
    """nginx serving the package folder itself, under the Hub's resolve URLs."""
    return (
        f"server {{ listen 127.0.0.1:{port}; sendfile on; tcp_nopush on;\n"
        f"  location ~ ^/([^/]+)/([^/]+)/resolve/main/(.+)$ {{ alias {root}/$1/$2/$3; "
        "types { } default_type application/octet-stream; }\n"
        "  location = /api/models { return 200 '[]'; } }"
    )


def _front_block(example: str, root: Path, work: Path, upstream: int, port: int) -> str:
    """A shipped example pointed at this run's folder and ports, nothing else changed."""
    text = (EXAMPLES / example).read_text()
    for old, new in (("/srv/models", str(root)), ("127.0.0.1:8000", f"127.0.0.1:{upstream}"),
                     ("listen 8080", f"listen 127.0.0.1:{port}"),
                     ("/run/ptmscope-decisions.sock", str(work / f"decisions-{port}.sock")),
                     ("/var/cache/nginx/ptmscope", str(work / f"cache-{port}"))):  # fmt: skip
        text = text.replace(old, new)
    return text


def _serve(root: Path, work: Path, workers: int, port: int, accel: bool) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "ptmscope", "registry", "serve", str(root), "--port",
               str(port), "--workers", str(workers), "--policy", str(work / "policy.yaml")]  # fmt: skip
    if accel:
        command += ["--accel-redirect", "/_ptmscope/objects/"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})  # fmt: skip


def _tree(pid: int) -> list[int]:
    found = [pid]
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if entry.name.isdigit() and int(fields[1]) == pid:
            found += _tree(int(entry.name))
    return found


def _peak_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for p in _tree(pid):
            try:
                for line in Path(f"/proc/{p}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
            except OSError:
                continue
    return total / 1024


@dataclass(frozen=True)
class Run:
    rps: float
    p50: float
    p99: float
    failed: int


KEEPALIVE = True
"""``ab -k`` (as the Hub's clients reuse connections); ``--no-keepalive`` opens one per request."""


def _ab(url: str, requests: int, headers: dict[str, str], seconds: int | None = None) -> Run:
    command = ["ab", "-q", *(["-k"] if KEEPALIVE else []), "-c", str(CONNECTIONS), "-r"]
    command += ["-t", str(seconds), "-n", "10000000"] if seconds else ["-n", str(requests)]
    if requests < CONNECTIONS and not seconds:
        command[command.index("-c") + 1] = str(max(1, requests // 2))
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=900)
    out = done.stdout
    if "Requests per second" not in out:
        raise RuntimeError(f"ab failed: {done.stderr[-500:]}")

    def number(pattern: str) -> float:
        found = re.search(pattern, out, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    failed = int(number(r"^Failed requests:\s+(\d+)")) + int(number(r"^Non-2xx responses:\s+(\d+)"))
    return Run(number(r"^Requests per second:\s+([\d.]+)"), number(r"^\s+50%\s+(\d+)"),
               number(r"^\s+99%\s+(\d+)"), failed)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--soak", type=int, default=60, help="seconds of load on the deployment")
    parser.add_argument("--no-keepalive", action="store_true", help="a connection per request")
    args = parser.parse_args()
    global KEEPALIVE
    KEEPALIVE = not args.no_keepalive
    print(f"ab: {CONNECTIONS} connections, keep-alive {'on' if KEEPALIVE else 'off'}")
    if not _install():
        print("skipped: nginx and ab (apache2-utils) are not installed and cannot be")
        return 0
    work = Path(tempfile.mkdtemp(prefix="ptmscope-gateway-bench-"))
    started: list[subprocess.Popen[bytes]] = []
    try:
        root = _package(work)
        cases: dict[str, tuple[str, list[int]]] = {}
        port = _port()
        nginx, _ = _nginx(work, "static", _static_block(root, port))
        started.append(nginx)
        cases["nginx"] = (f"http://127.0.0.1:{port}", [nginx.pid])
        for workers in (1, 2):
            port = _port()
            server = _serve(root, work, workers, port, accel=False)
            started.append(server)
            cases[f"serve-{workers}"] = (f"http://127.0.0.1:{port}", [server.pid])
        for name, example in (("front-2", "ptmscope.conf"), ("front-2c", "ptmscope-cached.conf")):
            upstream, port = _port(), _port()
            server = _serve(root, work, 2, upstream, accel=True)
            block = _front_block(example, root, work, upstream, port)
            front, _ = _nginx(work, name, block)
            started += [server, front]
            cases[name] = (f"http://127.0.0.1:{port}", [server.pid, front.pid])
        for endpoint, pids in cases.values():
            process = next(p for p in started if p.pid == pids[0])
            _wait(f"{endpoint}/api/models", process)
            for file, _, headers in FILES.values():  # warm: judged, published, cached
                _ab(f"{endpoint}/acme/bench/resolve/main/{file}", 2, headers)
        results: dict[tuple[str, str], Run] = {}
        for case, (file, requests, headers) in FILES.items():
            for name, (endpoint, _) in cases.items():
                url = f"{endpoint}/acme/bench/resolve/main/{file}"
                runs = [_ab(url, requests, headers, seconds=None if requests else SECONDS)
                        for _ in range(args.rounds)]  # fmt: skip
                results[(case, name)] = Run(
                    statistics.median(r.rps for r in runs), statistics.median(r.p50 for r in runs),
                    statistics.median(r.p99 for r in runs), sum(r.failed for r in runs),
                )  # fmt: skip
        memory = {name: _peak_mib(pids) for name, (_, pids) in cases.items()}
        print(f"{'case':10} {'server':9} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'x nginx':>8} {'failed':>6}")  # fmt: skip
        for case in FILES:
            floor = results[(case, "nginx")].rps
            for name in cases:
                run = results[(case, name)]
                ratio = run.rps / floor if floor else 0.0
                print(f"{case:10} {name:9} {run.rps:9.1f} {run.p50:7.0f} {run.p99:7.0f} "
                      f"{ratio:8.2f} {run.failed:6d}")  # fmt: skip
        print("peak memory (MiB, all processes): " + ", ".join(
            f"{name} {mib:.0f} ({mib / memory['nginx']:.1f}x nginx)" for name, mib in memory.items()))  # fmt: skip
        for case in FILES:
            for name in ("front-2", "front-2c"):
                ratio = results[(case, name)].rps / results[(case, "nginx")].rps
                verdict = "meets" if ratio >= TARGET else "below"
                print(f"target {case}: {name} {ratio:.2f}x nginx: {verdict} {TARGET}x")
        failed = 0
        for name in ("front-2", "front-2c") if args.soak else ():
            endpoint = cases[name][0]
            soak = _ab(f"{endpoint}/acme/bench/resolve/main/small.txt", 0, {}, seconds=args.soak)
            print(f"soak: {args.soak} s on {name}, {soak.rps:.0f} req/s, "
                  f"{soak.failed} failed or non-2xx requests")  # fmt: skip
            failed += soak.failed
        return 1 if failed else 0
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
