"""Benchmark scripts run as ``python benchmarks/NAME.py``, which puts ``benchmarks/`` first
on ``sys.path``: a script named like a standard-library module (``select.py`` did) would be
imported in its place by every other benchmark (``subprocess`` imports ``select``)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_no_benchmark_shadows_a_standard_library_module() -> None:
    names = {p.stem for p in BENCHMARKS.glob("*.py")} | {
        p.name for p in BENCHMARKS.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }
    assert names, "no benchmarks found"
    assert not names & set(sys.stdlib_module_names), names & set(sys.stdlib_module_names)
