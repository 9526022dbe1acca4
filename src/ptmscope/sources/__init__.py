"""Sources turn a reference into files and history; they never interpret content."""

from __future__ import annotations

import os
from pathlib import Path

from ptmscope.errors import InputError
from ptmscope.sources.git import GitSource, is_git_repository
from ptmscope.sources.hub import HubSource, parse_ref
from ptmscope.sources.interface import Source
from ptmscope.sources.local import LocalSource
from ptmscope.sources.worktree import WorktreeSource
from ptmscope.vocab import SourceKind

__all__ = ["GitSource", "HubSource", "LocalSource", "Source", "open_source"]

SOURCE_KINDS = (
    "auto",
    *(kind.value for kind in SourceKind if kind is not SourceKind.RECORD),
)
"""What ``--source`` accepts: ``auto`` or a kind that a reference can name (a registry
record is never named on the command line)."""


def open_source(
    ref: str,
    *,
    revision: str | None = None,
    kind: str = "auto",
    token: str | None = None,
    download: bool = False,
) -> Source:
    """Choose the source for ``ref``.

    ``auto``: a bare git repository, or a work tree at a ``revision``, is read from its
    git objects (history, any revision); a work tree without one is read as the files
    on disk with git's history beside them; any other folder is read as files; a
    reference that is no local path but reads ``owner/name[@revision]`` is a Hub model.
    """
    if kind not in SOURCE_KINDS:
        raise InputError(f"unknown source {kind!r}; choose from {', '.join(SOURCE_KINDS)}")
    path = Path(ref).expanduser()
    hub_ref = parse_ref(ref)
    if kind == "hub" or (kind == "auto" and not path.exists() and hub_ref is not None):
        if hub_ref is None:
            raise InputError(f"{ref}: a Hub model is named owner/name[@revision]")
        repo_id, at_revision = hub_ref
        if at_revision and revision and at_revision != revision:
            raise InputError(
                f"{ref}: two revisions given ({at_revision!r} and --revision {revision!r})"
            )
        return HubSource(repo_id, at_revision or revision, token=token, download=download)
    if not path.exists():
        raise InputError(f"{ref}: no such file or directory (nor an owner/name Hub model)")
    if not path.is_dir():
        raise InputError(f"{ref}: not a folder (a model package is a folder or a git repository)")
    if kind == "auto" and revision is None and os.path.lexists(path / ".git"):
        return WorktreeSource(path)  # what a loader reads: the folder, not HEAD's objects
    if kind == "git" or (kind == "auto" and is_git_repository(path)):
        return GitSource(path, revision=revision)
    if revision is not None:
        raise InputError(f"{ref}: --revision needs a git repository, and this folder is not one")
    return LocalSource(path)
