"""SPDX export validation against the official SPDX 3.0.1 schema: jsonschema-rs (what
``ptmscope export`` runs) against the pure-Python ``jsonschema`` (the named baseline), and
the SHACL check, on real exports.

The documents: ``ptmscope export --format spdx`` of every git repository in
``../shared/data/registry/git_repos`` (real packages), and the largest of them with its
``software_File`` element repeated to 1,000 files (a large package). Prints, per
document, the median of ``--rounds`` timings for each validator and the ratio
baseline / jsonschema-rs, and the SHACL time when pyshacl is installed. One command:
``make bench-spdx`` (or ``python benchmarks/spdx_validate.py``).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
GIT_REPOS = ROOT.parent / "shared" / "data" / "registry" / "git_repos"
LARGE_FILES = 1000


def _median(rounds: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _large(document: dict[str, Any]) -> dict[str, Any]:
    grown = copy.deepcopy(document)
    [file, *_] = [n for n in grown["@graph"] if n.get("type") == "software_File"]
    for i in range(LARGE_FILES - 1):
        grown["@graph"].append({**copy.deepcopy(file), "spdxId": f"{file['spdxId']}-{i}"})
    return grown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import jsonschema

    from ptmscope.api import export
    from ptmscope.export.validate import (
        SPDX_SCHEMA_PATH,
        spdx_schema_validator,
        spdx_shacl_errors,
    )

    repos = sorted(GIT_REPOS.glob("*.git")) if GIT_REPOS.is_dir() else []
    if not repos:
        print(f"no shared git repositories at {GIT_REPOS}: nothing to measure")
        return 0
    documents = {r.name: json.loads(export(r, "spdx")) for r in repos}
    largest = max(documents.values(), key=lambda d: len(d["@graph"]))
    documents[f"largest x {LARGE_FILES} files"] = _large(largest)
    fast = spdx_schema_validator()
    slow = jsonschema.Draft202012Validator(json.loads(SPDX_SCHEMA_PATH.read_bytes()))
    print(f"{'document':<58} {'elements':>8} {'jsonschema s':>12} {'rs s':>8} {'ratio':>7} "
          f"{'shacl s':>8}")  # fmt: skip
    for name, document in documents.items():
        assert fast.is_valid(document) and slow.is_valid(document), name
        rust = _median(args.rounds, lambda d=document: fast.is_valid(d))
        python = _median(args.rounds, lambda d=document: slow.is_valid(d))
        shacl = _median(1, lambda d=document: spdx_shacl_errors(d))
        print(
            f"{name:<58} {len(document['@graph']):>8} {python:>12.3f} {rust:>8.4f} "
            f"{python / rust:>6.0f}x {shacl:>8.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
