"""Registry benchmark (``make bench-registry``): load on ``registry serve``, and remote vs download audits.

1. Load: the server runs in its own process; this process drives it over loopback
   with 16 concurrent keep-alive connections: model-info requests and 64 KiB Range
   reads of a 320 MB file (bounded count and time). Reports requests/s and p50/p99
   latency; any error fails the run.
2. Remote audit vs the naive baseline, same package (320 MB of safetensors), same run,
   medians of 3 with a cold Hub cache each time: ``ptmscope audit owner/name`` (reads
   byte ranges) against ``snapshot_download`` followed by a local audit.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.registry.conftest import MAIN, Server  # noqa: E402

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


def load(server: Server, size: int) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(REQUESTS))
    deadline = time.monotonic() + TIME_LIMIT

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
    print(
        f"load: {len(latencies):,} requests (model-info + 64 KiB Range, {CONCURRENCY} connections) in "
        f"{wall:.1f} s -> {len(latencies) / wall:,.0f} req/s; p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
        f"{len(errors)} errors"
    )
    if errors:
        print("  first errors:", errors[:3])
        raise SystemExit(1)


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
        server = Server(base / "root")
        try:
            load(server, size)
            remote_vs_download(server, base)
        finally:
            server.stop()


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    main()
