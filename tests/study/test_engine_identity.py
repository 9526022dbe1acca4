"""The study's numbers are a function of the ingested data, not of how the ingest ran (issue 14).

The same sources are ingested with the local pool (1 worker; 2 workers with chunks of
one package, so chunks finish out of order, and the sources given in reverse) and on
a real Dask cluster (``dask scheduler`` and ``dask worker`` processes on 127.0.0.1,
started here and torn down afterwards), and ``study report --format json`` must be
byte-identical. The data holds what made reports differ before: equal and unknown
downloads (deciles were cut by arrival order), and an id listed twice in one source
with different values.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import ptmscope
from ptmscope.cli import main
from tests.study.test_study import _cards, _processes_naming, _sources

STARTUP_S = 90
"""Longest wait for the Dask scheduler and worker to come up on a loaded 2-core machine."""


def _all_sources(tmp_path: Path) -> list[Path]:
    tmp_path.mkdir()
    sources = _sources(tmp_path)
    _cards(tmp_path / "cards.parquet", count=24)  # replaces the 4 cards with 24
    ties = tmp_path / "ties.csv"
    lines = ["model_id,author,downloads,pipeline_tag"]
    lines += [f"org/m{i:05d},org,7,fill-mask" for i in range(4, 20)]  # equal downloads
    lines += ["org/m00006,org,9000,translation"]  # listed twice in one source (no card task)
    ties.write_text("\n".join(lines) + "\n")  # org/m00020.. have unknown downloads
    return [*sources, ties]


@contextmanager
def _dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler and one worker, each its own process (and session), on 127.0.0.1."""
    folder = tmp_path / "dask"
    folder.mkdir()
    address_file = folder / "scheduler.json"
    source_root = str(Path(ptmscope.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([source_root, os.environ.get("PYTHONPATH", "")]),
    }
    common = ["--scheduler-file", str(address_file)]
    scheduler = [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                 "--no-dashboard", *common]  # fmt: skip
    worker = [sys.executable, "-m", "dask", "worker", "--host", "127.0.0.1", "--nworkers", "1",
              "--nthreads", "1", "--no-nanny", "--no-dashboard", "--local-directory",
              str(folder / "work"), *common]  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    logs = [open(folder / "scheduler.log", "wb"), open(folder / "worker.log", "wb")]  # noqa: SIM115
    try:
        for command, log in zip((scheduler, worker), logs, strict=True):
            processes.append(
                subprocess.Popen(
                    command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline and not address_file.exists():
            assert all(p.poll() is None for p in processes), (folder / "scheduler.log").read_text()
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        yield address
    finally:
        for process in reversed(processes):  # the worker first: without its scheduler it
            if process.poll() is None:  # keeps trying to reconnect before it ends
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in logs:
            log.close()


def _wait_for_worker(address: str) -> None:
    from distributed import Client

    with Client(address, timeout=STARTUP_S) as client:  # type: ignore[no-untyped-call]
        client.wait_for_workers(1, timeout=STARTUP_S)  # type: ignore[no-untyped-call]


def _ingest_and_report(
    db: Path, sources: list[Path], capsys: pytest.CaptureFixture[str], *options: str
) -> str:
    assert main(["study", "ingest", "--db", str(db), *options, *map(str, sources)]) == 0
    capsys.readouterr()
    assert main(["study", "report", "--db", str(db), "--format", "json"]) == 0
    return capsys.readouterr().out


def test_report_is_the_same_for_pool_and_dask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    sources = _all_sources(tmp_path / "sources")
    marker = str(tmp_path / "dask")
    with _dask_cluster(tmp_path) as address:  # starts while the local ingests run
        one = _ingest_and_report(tmp_path / "one", sources, capsys, "--workers", "1")
        two = _ingest_and_report(
            tmp_path / "two", sources[::-1], capsys, "--workers", "2", "--chunk-size", "1"
        )
        _wait_for_worker(address)
        dask = _ingest_and_report(
            tmp_path / "dask-db", sources, capsys, "--engine", "dask", "--scheduler", address,
            "--chunk-size", "2",
        )  # fmt: skip
    assert not _processes_naming(marker), "orphaned Dask processes"
    assert two == one
    assert dask == one
    # the data holds what used to split: ties, unknown downloads, an id listed twice
    report = {m["id"]: m for m in json.loads(one)["measurements"]}
    deciles = {r["key"].split(" · ")[0] for r in report["factors_by_decile"]["rows"]}
    assert "unknown popularity (not in a decile)" in deciles and len(deciles) == 11
    tasks = {r["key"] for r in report["claims_by_task"]["rows"]}
    assert "fill-mask" in tasks and "translation" not in tasks  # the first row of m00006 wins
