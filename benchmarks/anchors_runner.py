"""Runs one anchor scanner over files, inside the anchors' own virtual environment.

Invoked by benchmarks/scanners.py as ``python anchors_runner.py TOOL < paths.json``;
prints ``{"results": {path: {"detected", "error", "flagged_any", "seconds"}}, "seconds": total}``.
Each tool is driven through its public Python API in one process, the way a
pipeline embedding it would, so start-up costs are excluded for every tool.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def picklescan(path: str) -> tuple[bool, bool, bool]:
    from picklescan.scanner import scan_file_path

    result = scan_file_path(path)
    return (
        result.infected_files > 0,
        bool(result.scan_err),
        result.issues_count > 0 or result.infected_files > 0,
    )


def modelscan(path: str) -> tuple[bool, bool, bool]:
    from modelscan.modelscan import ModelScan

    result = ModelScan().scan(path)
    issues = result.get("issues", [])
    errors = result.get("errors", [])
    serious = [
        i for i in issues if str(i.get("severity", "")).upper() in ("CRITICAL", "HIGH", "MEDIUM")
    ]
    return bool(serious), bool(errors), bool(issues)


def fickling(path: str) -> tuple[bool, bool, bool]:
    import zipfile

    import fickling as fk

    if zipfile.is_zipfile(path):
        results = list(fk.scan_zip_archive(path, graceful=True).values())
    else:
        results = [fk.scan_file(path, graceful=True)]
    unsafe = any(not r.is_safe for r in results)
    return unsafe, any(r.errors for r in results) or not results, unsafe


def modelaudit(path: str) -> tuple[bool, bool, bool]:
    from modelaudit.core import scan_model_directory_or_file

    result = scan_model_directory_or_file(path)
    issues = list(getattr(result, "issues", []) or [])
    levels = [str(getattr(i, "severity", "")).lower() for i in issues]
    serious = any(level.endswith(("critical", "warning")) for level in levels)
    error = bool(getattr(result, "has_errors", False)) or not getattr(result, "success", True)
    return serious, error, bool(issues)


TOOLS = {
    "picklescan": picklescan,
    "modelscan": modelscan,
    "fickling": fickling,
    "modelaudit": modelaudit,
}


def main() -> None:
    tool = TOOLS[sys.argv[1]]
    paths = json.load(sys.stdin)
    import logging
    import os

    logging.disable(logging.CRITICAL)
    devnull = open(os.devnull, "w")  # noqa: SIM115 - silence tools that print
    results: dict[str, Any] = {}
    started = time.perf_counter()
    real_stdout = sys.stdout
    for path in paths:
        t0 = time.perf_counter()
        sys.stdout = devnull
        try:
            detected, error, flagged = tool(path)
        except BaseException as exc:  # a crash is an error, not a verdict
            detected, error, flagged = False, True, False
            if isinstance(exc, KeyboardInterrupt):
                raise
        finally:
            sys.stdout = real_stdout
        results[path] = {
            "detected": detected,
            "error": error,
            "flagged_any": flagged,
            "seconds": time.perf_counter() - t0,
        }
    print(json.dumps({"results": results, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
