"""The collector pause of the CLI's start-up leaves a process as it found it."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from ptmscope.cli import main

_CHILD = """
import gc, sys
before = gc.isenabled()
import ptmscope.cli
after_import = gc.isenabled()
code = ptmscope.cli.main(["scan", sys.argv[1]])
print(before, after_import, gc.isenabled(), code)
"""


def test_importing_and_running_the_cli_leaves_collection_on(tmp_path: Path) -> None:
    """In a fresh interpreter (the pause happens at the CLI's first import)."""
    target = tmp_path / "weights.json"
    target.write_text("{}")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(target)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split()[-4:] == ["True", "True", "True", "0"]


def test_a_failing_command_resumes_collection(tmp_path: Path) -> None:
    assert gc.isenabled()
    assert main(["scan", str(tmp_path / "missing.pkl")]) != 0
    assert gc.isenabled()


def test_a_process_that_turned_collection_off_keeps_it_off(tmp_path: Path) -> None:
    target = tmp_path / "weights.json"
    target.write_text("{}")
    gc.disable()
    try:
        assert main(["scan", str(target)]) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_in_process_caller_keeps_its_heap_collectable(tmp_path: Path) -> None:
    """Only the console script (argv from the command line) freezes what it loaded; a
    program calling ``main([...])`` must not have its objects frozen for good."""
    target = tmp_path / "weights.json"
    target.write_text("{}")
    frozen = gc.get_freeze_count()
    assert main(["scan", str(target)]) == 0
    assert gc.get_freeze_count() == frozen
