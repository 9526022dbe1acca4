"""Registry benchmark (``make bench-registry``): load on ``registry serve``, and remote vs download audits.

1. Load: each server runs in its own process; this process drives it over loopback
   with 16 concurrent keep-alive connections: model-info requests and 64 KiB Range
   reads of a 320 MB file (bounded count and time). Servers, same bytes, same run:
   - ``static``: the floor, a Starlette ``StaticFiles`` app on uvicorn (the same HTTP
     stack as ours, with Range support; ``python -m http.server`` has no Range) that
     answers model-info with the JSON our registry returned, precomputed;
   - ``ptmscope``: ``registry serve`` with the gateway on (every file judged);
   - ``olah``: the self-hosted Hub mirror, serving the package as a local git mirror
     offline (``mirrors-path``), installed into its own virtual environment
     (``.cache/olah-venv``); opt-in with ``--olah`` (slow: see the report), skipped with
     the reason when it cannot be installed or does not start.
   Reports requests/s, p50/p99 latency and the server's peak memory (VmHWM), each as
   a ratio against the static floor; any error fails the run.
2. Remote audit vs the naive baseline, same package (320 MB of safetensors), same run,
   medians of 3 with a cold Hub cache each time: ``ptmscope audit owner/name`` (reads
   byte ranges) against ``snapshot_download`` followed by a local audit.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.registry.conftest import MAIN, Server, free_port  # noqa: E402

CONCURRENCY = 16
REQUESTS = 4000
TIME_LIMIT = 120.0
REPEATS = 3


def build(root: Path) -> int:
    import torch
    from safetensors.torch import save_file

    big = root / "acme" / "big"
    big.mkdir(parents=True)
    (big / "README.md").write_text(
        "---\nlicense: mit\npipeline_tag: feature-extraction\n---\n# big\n\nA test model.\n"
    )
    (big / "config.json").write_text(
        json.dumps({"model_type": "bert", "architectures": ["BertModel"]})
    )
    save_file(
        {"embed.weight": torch.zeros(40_000, 1024), "proj.weight": torch.zeros(40_000, 1024)},
        str(big / "model.safetensors"),
    )
    return (big / "model.safetensors").stat().st_size


STATIC = """
import json, sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
folder, info, port = sys.argv[1], open(sys.argv[2], "rb").read(), int(sys.argv[3])
async def model_info(request):
    return Response(info, media_type="application/json")
app = Starlette(routes=[
    Route("/api/models/acme/big", model_info),
    Mount("/acme/big/resolve/main", StaticFiles(directory=folder)),
])
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""
OLAH_VERSION = "0.5.4"


class Process:
    """Any HTTP server in a subprocess, ready when ``probe`` answers."""

    def __init__(self, command: list[str], port: int, probe: str, cwd: Path | None = None) -> None:
        self.port = port
        self.process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", probe)
                if connection.getresponse().status < 500:
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        self.process.stderr.read().decode()[-2000:]
                        if self.process.stderr
                        else "died"
                    ) from None
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def peak_rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def olah_python(base: Path) -> tuple[str | None, str]:
    """olah's interpreter (installed once into .cache/olah-venv), or why there is none."""
    venv = ROOT / ".cache" / "olah-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", f"olah=={OLAH_VERSION}"],
                check=True, timeout=600, capture_output=True,
            )  # fmt: skip
        except (subprocess.SubprocessError, OSError) as exc:
            shutil.rmtree(venv, ignore_errors=True)
            detail = getattr(exc, "stderr", b"") or b""
            return None, f"cannot install olah {OLAH_VERSION}: {exc} {detail.decode()[-300:]}"
    return str(python), ""


def start_olah(python: str, base: Path, package: Path) -> Process:
    mirror = base / "olah-mirrors" / "models" / "acme" / "big"
    mirror.mkdir(parents=True)
    for item in package.iterdir():
        shutil.copy(item, mirror / item.name)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "big"]):
        subprocess.run(["git", *args], cwd=mirror, env=env, check=True)
    port = free_port()
    config = base / "olah.toml"
    config.write_text(
        f'[basic]\nhost = "127.0.0.1"\nport = {port}\nrepos-path = "{base / "olah-repos"}"\n'
        f'mirror-netloc = "127.0.0.1:{port}"\nmirror-lfs-netloc = "127.0.0.1:{port}"\n'
        f'mirrors-path = ["{base / "olah-mirrors"}"]\n\n[accessibility]\noffline = true\n'
    )
    return Process(
        [python, "-m", "olah.server", "--config", str(config)],
        port,
        "/api/models/acme/big",
        cwd=base,
    )


def load(
    server: Server | Process, size: int, label: str = "ptmscope", limit_s: float = TIME_LIMIT
) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(REQUESTS))
    deadline = time.monotonic() + limit_s

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            if index % 2:
                start = rng.randrange(0, size - 65536)
                path, headers, expect = (
                    "/acme/big/resolve/main/model.safetensors",
                    {"Range": f"bytes={start}-{start + 65535}"},
                    206,
                )
            else:
                path, headers, expect = "/api/models/acme/big", {}, 200
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                ok = response.status == expect and (expect != 206 or len(body) == 65536)
            except (OSError, http.client.HTTPException) as exc:
                ok, body = False, str(exc).encode()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(f"{path}: {body[:100]!r}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    rss = server.peak_rss_kb() / 1024
    print(
        f"load {label}: {len(latencies):,} requests (model-info + 64 KiB Range, {CONCURRENCY} "
        f"connections) in {wall:.1f} s -> {len(latencies) / wall:,.0f} req/s; p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms; peak memory {rss:.0f} MiB; {len(errors)} errors"
    )
    if errors:
        print("  first errors:", errors[:3])
        raise SystemExit(1)
    return {"rps": len(latencies) / wall, "p50": p50, "p99": p99, "rss": rss}


def compare(results: dict[str, dict[str, float]]) -> None:
    floor = results["static"]
    for label, stats in results.items():
        if label == "static":
            continue
        print(
            f"{label} / static floor: req/s x{stats['rps'] / floor['rps']:.2f}, "
            f"p50 x{stats['p50'] / floor['p50']:.2f}, p99 x{stats['p99'] / floor['p99']:.2f}, "
            f"peak memory x{stats['rss'] / floor['rss']:.2f}"
        )


def timed(server: Server, home: Path, code: str) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=server.env(home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return elapsed, json.loads(done.stdout.strip().splitlines()[-1])


REMOTE = f"""
import json, subprocess, sys
done = subprocess.run([sys.executable, "-c", {MAIN!r}, "audit", "acme/big", "--format", "json"], capture_output=True, text=True)
report = json.loads(done.stdout)
print(json.dumps({{"bytes": report["transfer"]["bytes_downloaded"], "package": report["transfer"]["package_bytes"]}}))
"""
DOWNLOAD = f"""
import json, os, subprocess, sys
from huggingface_hub import snapshot_download
folder = snapshot_download("acme/big")
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)
done = subprocess.run([sys.executable, "-c", {MAIN!r}, "audit", folder, "--format", "json"], capture_output=True, text=True)
assert done.returncode == 0, done.stderr
print(json.dumps({{"bytes": size}}))
"""


def remote_vs_download(server: Server, base: Path) -> None:
    remote, download = [], []
    for attempt in range(REPEATS):
        remote.append(timed(server, base / f"home-r{attempt}", REMOTE))
        download.append(timed(server, base / f"home-d{attempt}", DOWNLOAD))
    r_time = statistics.median(t for t, _ in remote)
    d_time = statistics.median(t for t, _ in download)
    r_bytes = remote[0][1]["bytes"]
    d_bytes = download[0][1]["bytes"]
    package = remote[0][1]["package"]
    print(
        f"remote audit: {r_bytes:,} bytes ({r_bytes / package:.4%} of {package:,}) in {r_time:.2f} s; "
        f"snapshot_download + local audit: {d_bytes:,} bytes in {d_time:.2f} s -> "
        f"bytes ratio {r_bytes / d_bytes:.5f}, time ratio {r_time / d_time:.2f}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        size = build(base / "root")
        policy = base / "gateway.yaml"
        policy.write_text("version: 1\nblock: high\n")
        results: dict[str, dict[str, float]] = {}
        server = Server(base / "root", "--policy", str(policy), "--audit-log", str(base / "log"))
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            connection.request("GET", "/api/models/acme/big")
            (base / "info.json").write_bytes(connection.getresponse().read())
            port = free_port()
            static = Process(
                [sys.executable, "-c", STATIC, str(base / "root" / "acme" / "big"),
                 str(base / "info.json"), str(port)],
                port, "/api/models/acme/big",
            )  # fmt: skip
            try:
                results["static"] = load(static, size, "static")
            finally:
                static.stop()
            results["ptmscope"] = load(server, size, "ptmscope (gateway on)")
            if "--olah" in sys.argv:
                python, why = olah_python(base)
                if python is None:
                    print(f"olah: skipped: {why}")
                else:
                    try:
                        olah = start_olah(python, base, base / "root" / "acme" / "big")
                    except RuntimeError as exc:
                        print(f"olah: skipped: it did not start: {str(exc)[-300:]}")
                    else:
                        try:
                            results["olah"] = load(olah, size, "olah (offline git mirror)", 60.0)
                        except SystemExit:
                            print("olah: errors under load (see above); not compared")
                        finally:
                            olah.stop()
            compare(results)
            remote_vs_download(server, base)
        finally:
            server.stop()


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    main()
