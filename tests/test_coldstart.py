"""``ptmscope scan FILE`` imports only what scanning needs (cold start, issue 13).

Pre-commit hooks and CI gates start one process per file, so start-up is most
of a scan's cost: imports the scan path never uses cost more than the scan.
Each case runs the real command with ``python -X importtime`` and reads the
modules it imported. Timing lives in ``benchmarks/coldstart.py``, not here.
"""

from __future__ import annotations

import contextlib
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scan import builders as b

HEAVY = (
    "huggingface_hub", "rich", "duckdb", "pyarrow", "pandas", "torch", "numpy",
    "transformers", "safetensors", "dask", "distributed", "starlette", "uvicorn",
    "httpx", "requests", "jinja2", "h5py", "sklearn", "scipy",
)  # fmt: skip
"""Third-party packages a local scan never needs (safetensors and numpy files are read
as bytes; chat templates are parsed by ptmscope's own reader)."""
ENGINES = (
    "ptmscope.audit", "ptmscope.collector", "ptmscope.study", "ptmscope.registry",
    "ptmscope.probes", "ptmscope.card.claims", "ptmscope.sources", "ptmscope.verify.engine",
    "ptmscope.formats.audit", "ptmscope.formats.study", "ptmscope.formats.escape",
    "ptmscope.formats.terminal",
)  # fmt: skip
"""ptmscope's own modules that only other commands (or the terminal view) use."""


def imported(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ptmscope", "scan", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", done.stderr, re.MULTILINE)
    assert "ptmscope.scan.scanner" in names, "importtime output not read"
    return set(names)


def _heavy(names: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == r or n.startswith(r + ".") for r in roots))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("coldstart")
    small = root / "small.pkl"
    small.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}, protocol=4))
    torch_zip = root / "model.pt"
    with contextlib.suppress(ImportError):  # torch is an extra: the case is skipped without it
        b.write_torch_zip(torch_zip)
    evil = root / "evil.pkl"
    evil.write_bytes(b.canary_pickle(root / "marker"))
    return {"small": small, "torch": torch_zip, "evil": evil, "folder": root}


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("small", ()),
        ("torch", ()),
        ("evil", ()),
        ("folder", ()),
        ("small", ("-f", "json")),
        ("evil", ("-f", "sarif")),
    ],
)
def test_scan_imports_no_heavy_package(
    files: dict[str, Path], name: str, options: tuple[str, ...]
) -> None:
    if not files[name].exists():
        pytest.skip("torch is not installed")
    names = imported(str(files[name]), *options)
    assert _heavy(names, HEAVY) == []
    assert _heavy(names, ENGINES) == []
    assert not (files["folder"] / "marker").exists()


def test_scan_without_a_policy_file_does_not_import_yaml(files: dict[str, Path]) -> None:
    assert _heavy(imported(str(files["small"])), ("yaml",)) == []


def test_the_check_sees_an_import_that_happens(files: dict[str, Path]) -> None:
    """Not vacuous: the Markdown view does import the escaper (and with it rich)."""
    names = imported(str(files["small"]), "-f", "markdown")
    assert "ptmscope.formats.escape" in names and "rich" in names


def test_a_small_pickle_loads_only_what_it_reads(files: dict[str, Path]) -> None:
    """Start-up savings a later change could undo without noticing: argparse's help width
    without ``shutil`` (and bz2/lzma), the blob and inflation code only when a file needs it."""
    names = imported(str(files["small"]))
    assert _heavy(names, ("shutil", "ptmscope.scan.blobs", "ptmscope.scan.decompress")) == []
