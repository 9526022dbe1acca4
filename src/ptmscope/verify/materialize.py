"""A local folder with the package's model files, to load the model from."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ptmscope.package import Package
from ptmscope.sources.interface import Source

_MODEL_FILES = (
    ".json",
    ".safetensors",
    ".bin",
    ".txt",
    ".model",
    ".vocab",
    ".spm",
    ".tiktoken",
    ".py",
)


@contextmanager
def model_folder(source: Source, package: Package) -> Iterator[Path]:
    """A local folder holding the package's files at the audited revision.

    Folders are used in place; git revisions and Hub models are written to a
    temporary folder (Hub files through the Hub cache, weights in safetensors
    when the package has them, never both formats).
    """
    info = source.info()
    if info.kind == "local":
        root = Path(info.ref)
        configs = sorted(root.rglob("config.json"), key=lambda p: len(p.parts))
        yield configs[0].parent if configs and not (root / "config.json").exists() else root
        return
    folder = Path(tempfile.mkdtemp(prefix="ptmscope-verify-"))
    try:
        has_safetensors = any(f.path.endswith(".safetensors") for f in package.files)
        for entry in package.files:
            if not entry.available or not entry.path.endswith(_MODEL_FILES):
                continue
            if has_safetensors and entry.path.endswith(".bin"):
                continue
            target = folder / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            fetch = getattr(source, "fetch", None)
            if info.kind == "hub" and callable(fetch):
                shutil.copyfile(fetch(entry.path), target)
            else:
                target.write_bytes(entry.read())
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
