"""The listing index at mirror scale (issue 20 item 3): ``python benchmarks/registry_index.py``.

Generates (once, cached under ``.cache/registry-index/``) a mirror of ``--packages``
packages: mostly small folders (a card, a config, a small weights file, some with a
nested tokenizer folder) and ``--git`` bare repositories written by the real ``git``
(``git init --bare`` + ``git fast-import``). Then, each a median of ``--repeats`` runs,
every one a fresh ``ptmscope registry serve`` process on 127.0.0.1 timed over HTTP from
the moment it answers until its first ``/api/models`` page arrives:

1. **no index** (the baseline): the index file deleted, so the first listing loads every
   package as the full walk always did (and writes the index as it goes);
2. **up-to-date index** (target < 1 s): a restart after ``registry index ROOT``;
3. **incremental**: in a running server, ``--changed`` packages changed (folder cards
   rewritten, commits on bare repositories' default branch), then the next listing after
   the refresh interval (``INDEX_TTL_S``); and ``registry index ROOT`` after the same.

``--before REV`` also times the first listing of ``registry serve`` from the ``src`` of
git revision ``REV`` (e.g. ``main`` before this change): the code without an index.
Peak resident memory of each server (``VmHWM``) is printed beside its times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
CACHE = ROOT / ".cache" / "registry-index"
MAIN = "from ptmscope.cli import main; raise SystemExit(main())"
LAYOUT = "v1"
"""Bumped when the generated mirror changes shape (a new cache folder)."""
START_TIMEOUT_S = 120
LIST_TIMEOUT_S = 1800
LICENSES = ["mit", "apache-2.0", "bsd-3-clause", "cc-by-4.0", "cc-by-nc-4.0", "openrail"]
TASKS = ["text-classification", "token-classification", "fill-mask", "translation", None]
LIBRARIES = ["transformers", "sentence-transformers", "timm", None]


def _card(rng: random.Random, number: int, edit: int = 0) -> str:
    lines = [f"license: {rng.choice(LICENSES)}", f"tags: [bench, t{number % 17}]"]
    task, library = rng.choice(TASKS), rng.choice(LIBRARIES)
    if task:
        lines.append(f"pipeline_tag: {task}")
    if library:
        lines.append(f"library_name: {library}")
    if number % 5 == 0:
        lines.append(f"base_model: org{(number + 1) % 100:03d}/base")
    body = f"# model {number}\n\nA benchmark package (edit {edit}).\n"
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def _config(number: int) -> str:
    return json.dumps({"model_type": "bert", "architectures": ["BertModel"], "n": number})


def _ids(packages: int) -> list[str]:
    return [f"org{n % 200:03d}/model-{n:05d}" for n in range(packages)]


def _fast_import(git_dir: Path, files: dict[str, str], message: str, first: bool) -> None:
    stream = [f"commit refs/heads/main\ncommitter Bench <bench@example.org> {int(time.time())} "]
    stream.append(f"+0000\ndata {len(message.encode())}\n{message}\n")
    if not first:
        stream.append("from refs/heads/main^0\n")
    for path, text in files.items():
        data = text.encode()
        stream.append(f"M 100644 inline {path}\ndata {len(data)}\n{text}\n")
    subprocess.run(
        ["git", "-C", str(git_dir), "fast-import", "--quiet"],
        input="".join(stream).encode(),
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )


def ensure_mirror(packages: int, gits: int) -> Path:
    """The generated mirror (made once; a ``done`` file marks it complete)."""
    base = CACHE / f"mirror-{packages}-{gits}-{LAYOUT}"
    root = base / "root"
    if (base / "done").is_file():
        return root
    shutil.rmtree(base, ignore_errors=True)
    rng = random.Random(20)
    started = time.perf_counter()
    ids = _ids(packages)
    git_numbers = set(range(0, packages, max(1, packages // max(1, gits)))[:gits])
    for number, repo_id in enumerate(ids):
        if number in git_numbers:
            bare = root / f"{repo_id}.git"
            bare.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
            files = {"README.md": _card(rng, number), "config.json": _config(number)}
            _fast_import(bare, files, "first", first=True)
            continue
        folder = root / repo_id
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(_card(rng, number))
        (folder / "config.json").write_text(_config(number))
        (folder / "model.safetensors").write_bytes(rng.randbytes(256 + number % 512))
        if number % 5 == 1:
            (folder / "tokenizer").mkdir()
            (folder / "tokenizer" / "tokenizer.json").write_text('{"version": "1.0"}')
        if number and number % 1000 == 0:
            print(f"  generated {number} packages ...", file=sys.stderr, flush=True)
    (base / "done").write_text(f"{time.perf_counter() - started:.1f} s\n")
    return root


# ---------------------------------------------------------------- server
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1"}


class Served:
    """A fresh ``registry serve`` over ``root``, from the sources in ``src``."""

    def __init__(self, root: Path, src: Path) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", MAIN, "registry", "serve", str(root), "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=_env(src),
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:  # a route that lists nothing: 404 means it is up
            try:
                urllib.request.urlopen(self.url("/api/models/ready/check"), timeout=2)
            except urllib.error.HTTPError:
                return
            except OSError:
                if self.process.poll() is not None:
                    why = self.process.stderr.read().decode() if self.process.stderr else "died"
                    raise RuntimeError(why) from None
                time.sleep(0.05)
        raise RuntimeError("registry serve did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def listing(self) -> tuple[float, int]:
        """Seconds for one ``/api/models`` page, and how many items it held."""
        started = time.perf_counter()
        with urllib.request.urlopen(self.url("/api/models"), timeout=LIST_TIMEOUT_S) as answer:
            items = json.loads(answer.read())
        return time.perf_counter() - started, len(items)

    def peak_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _drop_index(root: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{root / '.ptmscope' / 'index.sqlite'}{suffix}").unlink(missing_ok=True)


def first_listing(root: Path, src: Path, drop: bool) -> tuple[float, float]:
    """(seconds to the first listing page, server peak MiB) of a fresh server."""
    if drop:
        _drop_index(root)
    served = Served(root, src)
    try:
        seconds, count = served.listing()
        if count == 0:
            raise RuntimeError("the listing is empty")
        return seconds, served.peak_mib()
    finally:
        served.stop()


def index_command(root: Path, src: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "registry", "index", str(root)],
        capture_output=True,
        text=True,
        env=_env(src),
        timeout=LIST_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    return float(done.stdout.rsplit(" in ", 1)[1].split()[0])


def change(root: Path, count: int, round_: int, packages: int) -> None:
    """Change ``count`` packages: folder cards rewritten, bare repositories committed to."""
    rng = random.Random(round_)
    ids = _ids(packages)
    folders = [i for i in ids if (root / i).is_dir()]
    gits = [i for i in ids if (root / f"{i}.git").is_dir()]
    picked_gits = rng.sample(gits, min(len(gits), count // 2))
    picked_folders = rng.sample(folders, count - len(picked_gits))
    for repo_id in picked_folders:
        number = int(repo_id.rsplit("-", 1)[1])
        (root / repo_id / "README.md").write_text(_card(rng, number, edit=round_ + 1))
    for repo_id in picked_gits:
        number = int(repo_id.rsplit("-", 1)[1])
        files = {"README.md": _card(rng, number, edit=round_ + 1)}
        _fast_import(root / f"{repo_id}.git", files, f"edit {round_}", first=False)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--git", type=int, default=300, help="how many are bare git repos")
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", metavar="REV", help="also time the listing of REV's src")
    args = parser.parse_args()

    started = time.perf_counter()
    root = ensure_mirror(args.packages, args.git)
    print(f"mirror: {root} ({args.packages} packages, {args.git} bare git) "
          f"ready in {time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
    sys.path.insert(0, str(SRC))
    from ptmscope.registry.index import INDEX_TTL_S

    rows: list[tuple[str, list[float], list[float]]] = []

    cold = [first_listing(root, SRC, drop=True) for _ in range(args.repeats)]
    rows.append(("no index (full walk, builds it)", [c[0] for c in cold], [c[1] for c in cold]))
    print(f"  no index: {[round(c[0], 2) for c in cold]}", flush=True)

    index_command(root, SRC)  # up to date (the last cold run wrote it already)
    warm = [first_listing(root, SRC, drop=False) for _ in range(args.repeats)]
    rows.append(("up-to-date index", [w[0] for w in warm], [w[1] for w in warm]))
    print(f"  up-to-date index: {[round(w[0], 3) for w in warm]}", flush=True)

    served = Served(root, SRC)
    incremental: list[float] = []
    try:
        served.listing()
        for round_ in range(args.repeats):
            change(root, args.changed, round_, args.packages)
            time.sleep(INDEX_TTL_S + 0.2)
            incremental.append(served.listing()[0])
        peak = served.peak_mib()
    finally:
        served.stop()
    rows.append((f"listing after {args.changed} changed", incremental, [peak]))
    commands = []
    for round_ in range(args.repeats):
        change(root, args.changed, 100 + round_, args.packages)
        commands.append(index_command(root, SRC))
    rows.append((f"`registry index` after {args.changed} changed", commands, []))

    if args.before:
        with tempfile.TemporaryDirectory() as scratch:
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.before, "src"],
                capture_output=True,
                check=True,
            )
            subprocess.run(["tar", "-x", "-C", scratch], input=archive.stdout, check=True)
            old = [
                first_listing(root, Path(scratch) / "src", drop=False) for _ in range(args.repeats)
            ]
        rows.append((f"{args.before} (no index code)", [o[0] for o in old], [o[1] for o in old]))

    baseline = _median(rows[0][1])
    print(f"\nfirst /api/models page, {args.packages} packages, medians of {args.repeats}:")
    print(f"{'case':44} {'median s':>10} {'x baseline':>11} {'peak MiB':>9}")
    for name, times, peaks in rows:
        median = _median(times)
        ratio = median / baseline if baseline else float("nan")
        peak = f"{max(peaks):9.0f}" if peaks else f"{'-':>9}"
        print(f"{name:44} {median:10.3f} {ratio:11.4f} {peak}")
    warm_median = _median(rows[1][1])
    verdict = "met" if warm_median < 1.0 else "NOT met"
    print(f"\ntarget: first listing with an up-to-date index < 1 s: {verdict} "
          f"({warm_median:.3f} s; {baseline / warm_median:.0f}x faster than no index)")  # fmt: skip
    return 0 if warm_median < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
