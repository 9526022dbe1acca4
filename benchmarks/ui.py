"""Dashboard benchmark (``make bench-ui``): page renders of ``/ui/`` at 1,000 packages.

Generates a mirror of ``--packages`` small folder packages in a temporary folder (a card
with one of several tasks and licences, a small safetensors file, every tenth package
fine-tuned from another: lineage), starts ``registry serve`` on 127.0.0.1 in its own
process, warms the scorecards (every package audited once through the scorecard API),
then times, over keep-alive HTTP from this process, at least ``--requests`` renders each
of: the index, a filtered and score-sorted index, and model pages of packages whose
scorecards are cached. Prints median and p95 with the ratio to the issue's 100 ms
target, and, measured in the same run as a baseline, the registry's JSON listing
(``/api/models?limit=1000``) of the same mirror. Also reports the cold first index
(the catalog being built), the warm-up time and the server's peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.registry.conftest import Server  # noqa: E402

TARGET_MS = 100.0
"""The issue's bound on a warm page render for a mirror of 1,000 packages."""
TASKS = ("text-classification", "token-classification", "image-classification", "translation")
LICENSES = ("mit", "apache-2.0", "cc-by-4.0", "other")
WARM_WORKERS = 2
"""Audits requested at once while warming (the machine may have 2 cores)."""
TIME_LIMIT_S = 1800.0
"""The whole run stops timing (and says so) past this."""
MODEL_PAGES = 25
"""Distinct model pages timed (each among the most recently audited: cached scorecards)."""


def safetensors_bytes(index: int) -> bytes:
    """A valid safetensors file of one 4x4 float32 tensor (no torch needed)."""
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}, "__metadata__": {}}
    ).encode()
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + index.to_bytes(4, "little") * 16


def generate(root: Path, count: int) -> list[str]:
    ids = []
    for index in range(count):
        owner, name = f"org{index % 37}", f"model-{index:05d}"
        folder = root / owner / name
        folder.mkdir(parents=True)
        base = f"base_model: org{(index - 1) % 37}/model-{index - 1:05d}\n" if index % 10 else ""
        folder.joinpath("README.md").write_text(
            f"---\nlicense: {LICENSES[index % len(LICENSES)]}\n"
            f"pipeline_tag: {TASKS[index % len(TASKS)]}\n{base}---\n"
            f"# {name}\n\n## Training data\n\nSynthetic rows, {index} of them.\n"
        )
        folder.joinpath("model.safetensors").write_bytes(safetensors_bytes(index))
        ids.append(f"{owner}/{name}")
    return ids


def timed(connection: http.client.HTTPConnection, path: str) -> float:
    start = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200 or not body:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(name: str, values: list[float], baseline: float | None = None) -> None:
    median = statistics.median(values)
    line = (
        f"{name:<34} n={len(values):<4} median {median:8.1f} ms  p95 {p95(values):8.1f} ms  "
        f"median/target {median / TARGET_MS:5.2f}  p95/target {p95(values) / TARGET_MS:5.2f}"
    )
    if baseline is not None:
        line += f"  median/listing {median / baseline:5.2f}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (>=20)")
    args = parser.parse_args()
    if args.packages < 1 or args.requests < 20:
        parser.error("--packages must be positive and --requests at least 20")
    deadline = time.monotonic() + TIME_LIMIT_S
    with tempfile.TemporaryDirectory(prefix="ptmscope-bench-ui-") as temp:
        root = Path(temp) / "root"
        start = time.perf_counter()
        ids = generate(root, args.packages)
        print(f"generated {len(ids)} packages in {time.perf_counter() - start:.1f} s", flush=True)
        server = Server(root)
        try:
            host = ("127.0.0.1", server.port)
            connection = http.client.HTTPConnection(*host, timeout=600)
            cold = timed(connection, "/ui/")
            print(f"cold index (catalog built)          {cold:8.1f} ms", flush=True)

            def warm(repo_id: str) -> None:
                own = http.client.HTTPConnection(*host, timeout=600)
                try:
                    timed(own, f"/api/v1/scorecards/{repo_id}")
                finally:
                    own.close()

            start = time.perf_counter()
            with ThreadPoolExecutor(WARM_WORKERS) as pool:
                list(pool.map(warm, ids))
            spent = time.perf_counter() - start
            print(
                f"warmed {len(ids)} scorecards in {spent:.1f} s "
                f"({spent / len(ids) * 1000:.0f} ms per audit, {WARM_WORKERS} at once)",
                flush=True,
            )
            connection.close()  # idle past the server's keep-alive while warming: reconnect
            connection = http.client.HTTPConnection(*host, timeout=600)
            listing = [timed(connection, "/api/models?limit=1000") for _ in range(args.requests)]
            baseline = statistics.median(listing)
            cases = {
                "index /ui/": "/ui/",
                "index filtered + sorted by score": (
                    f"/ui/?task={TASKS[0]}&license=mit&verdict=review&sort=score&q=model"
                ),
            }
            connection.request("GET", "/ui/")  # the index as it is now, once untimed
            if b"not audited yet" in connection.getresponse().read():
                raise RuntimeError("the index still lists packages that are not audited")
            for name, path in cases.items():
                values = []
                for _ in range(args.requests):
                    if time.monotonic() > deadline:
                        print("time limit reached: fewer requests timed", flush=True)
                        break
                    values.append(timed(connection, path))
                report(name, values, baseline)
            recent = ids[-min(len(ids), MODEL_PAGES) :]
            for repo_id in recent:  # drawn once (its lineage and history read once)
                timed(connection, f"/ui/{repo_id}")
            pages = [
                timed(connection, f"/ui/{recent[i % len(recent)]}")
                for i in range(max(args.requests, len(recent)))
            ]
            report(f"model page ({len(recent)} packages)", pages, baseline)
            report("baseline: /api/models?limit=1000", listing)
            print(f"server peak memory (VmHWM)          {server.peak_rss_kb() / 1024:8.1f} MiB")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
