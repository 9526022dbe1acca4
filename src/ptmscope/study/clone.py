"""Bare git clones of registry packages (``study clone``, formerly ``study snapshot``; HFTorrent, done right).

Each id is cloned with ``git clone --bare`` from the endpoint's git smart-HTTP
(``<endpoint>/<owner>/<name>``), so only git objects travel: LFS files stay
pointers. A clone is made in a hidden partial folder and renamed into
``OUT/<owner>__<name>.git`` only when complete, so a rerun after any crash skips
what is done and redoes only the rest. Transient failures are retried with
back-off (:mod:`ptmscope.retry`: the same policy as every Hub request; git gives no
``Retry-After``); every outcome is appended to ``OUT/manifest.jsonl``.

"Clone" is the word for these: a served package version is a *revision*
(:mod:`ptmscope.registry.store`) and reading a package is *collecting*
(:mod:`ptmscope.collector`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ptmscope.errors import InputError
from ptmscope.retry import DEFAULT as DEFAULT_RETRY
from ptmscope.retry import Again, RetryPolicy

_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
_PERMANENT = re.compile(
    r"not found|cannot be cloned|refused by policy|returned error: (?:403|404)\b", re.IGNORECASE
)
"""git's last error line when asking again cannot help: no such repository, or refused.
(Status codes are matched where git names them: a bare ``403`` also occurs in port numbers.)"""
CLONE_TIMEOUT_S = 3600
"""One ``git clone`` is stopped after this long."""


@dataclass
class CloneStats:
    """What a run of :func:`clone_all` did: clones made, already there, and ids that failed."""

    cloned: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)


def read_ids(path: Path) -> list[str]:
    """``owner/name`` ids from a text or CSV file (first column), in order, without repeats."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ids: {exc}") from None
    ids = []
    for number, line in enumerate(lines, 1):
        text = line.strip().split(",")[0]
        if not text or text.startswith("#") or text in ("model_id", "id"):
            continue
        if not _ID.match(text):
            raise InputError(f"{path}:{number}: {text!r} is not an owner/name id")
        ids.append(text)
    return list(dict.fromkeys(ids))


def _clone(url: str, target: Path, token: str | None) -> tuple[bool, str]:
    command = ["git"]
    if token:
        command += ["-c", f"http.extraHeader=Authorization: Bearer {token}"]
    command += ["clone", "--bare", "--quiet", url, str(target)]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_SMUDGE": "1"}
    try:
        done = subprocess.run(
            command, capture_output=True, env=env, timeout=CLONE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return False, "git clone timed out"
    message = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return done.returncode == 0, (message[-1] if message else f"exit {done.returncode}")


def clone_all(
    ids: list[str],
    out: Path,
    endpoint: str,
    *,
    retries: int | None = None,
    workers: int = 4,
    token: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    retry_policy: RetryPolicy = DEFAULT_RETRY,
) -> CloneStats:
    """Clone every id bare into ``out`` (skipping those already there); ``retries`` is the
    number of tries per id (default: ``retry_policy.attempts``). Never raises for one id:
    its failure is recorded in the manifest and in :attr:`CloneStats.failed`."""
    policy = retry_policy if retries is None else replace(retry_policy, attempts=max(1, retries))
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.jsonl"
    lock = threading.Lock()
    stats = CloneStats()
    endpoint = endpoint.rstrip("/")

    def record(model_id: str, status: str, attempts: int, error: str | None) -> None:
        entry = {"id": model_id, "status": status, "attempts": attempts, "error": error,
                 "time": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        with lock, manifest.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def one(model_id: str) -> None:
        owner, name = model_id.split("/")
        target = out / f"{owner}__{name}.git"
        if target.is_dir():
            with lock:
                stats.skipped += 1
            return
        partial = out / f".{owner}__{name}.git.partial"
        tries = 0

        def attempt() -> str | Again:
            nonlocal tries
            tries += 1
            shutil.rmtree(partial, ignore_errors=True)
            ok, error = _clone(f"{endpoint}/{model_id}", partial, token)
            if ok:
                return ""
            if _PERMANENT.search(error):
                return error
            return Again(error)

        outcome = policy.run(attempt)
        if outcome == "":
            partial.rename(target)
            record(model_id, "cloned", tries, None)
            with lock:
                stats.cloned += 1
            return
        shutil.rmtree(partial, ignore_errors=True)
        record(model_id, "failed", tries, outcome.reason if isinstance(outcome, Again) else outcome)
        with lock:
            stats.failed.append(model_id)

    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for _ in pool.map(one, ids):
            done += 1
            if progress:
                progress(done, len(ids))
    return stats
