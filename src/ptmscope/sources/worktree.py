"""A git work tree as a loader meets it: the files on disk, with git's history beside them.

``from_pretrained("./model")`` reads what is in the folder, not what HEAD holds, so
an audit of a work tree (without ``--revision``) reads the folder: an untracked
pickle, an edited ``config.json`` or a stray ``.py`` file is part of what would be
loaded. History and signatures still come from the repository. ``--revision`` (or
``--source git``) reads a commit's objects instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ptmscope.package import Commit, FileEntry
from ptmscope.sources.git import GitSource
from ptmscope.sources.interface import Source, SourceInfo
from ptmscope.sources.local import LocalSource
from ptmscope.vocab import SourceKind

WORK_TREE = "work tree"
"""The revision a work tree audit reports: the folder as it is, on top of HEAD."""


class WorktreeSource(Source):
    """A git work tree audited as it is on disk (files from the folder, history from git)."""

    def __init__(self, path: Path) -> None:
        self._ref = str(path)
        self._local = LocalSource(path)
        self._git = GitSource(path)

    def info(self) -> SourceInfo:
        git = self._git.info()
        return SourceInfo(self._ref, SourceKind.GIT, git.name, WORK_TREE, git.commit)

    def files(self) -> Sequence[FileEntry]:
        return self._local.files()

    def skipped(self) -> tuple[tuple[str, str], ...]:
        return self._local.skipped()

    def history(self) -> tuple[Commit, ...] | None:
        return self._git.history()

    def close(self) -> None:
        self._git.close()
