"""Deprecated import path: the study's bare clones live in :mod:`ptmscope.study.clone`.

Kept only so ``ptmscope.cli`` (owned elsewhere) keeps working until it imports
``clone_all`` from :mod:`ptmscope.study.clone`; remove it then.
"""

from __future__ import annotations

from ptmscope.study.clone import CloneStats, clone_all, read_ids

snapshot = clone_all
SnapshotStats = CloneStats

__all__ = ["CloneStats", "SnapshotStats", "clone_all", "read_ids", "snapshot"]
