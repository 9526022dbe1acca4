"""Registry baselines: where a package's downloads and likes stand among its registry's.

As npms scores packages against their registry, popularity here is a percentile of a
population, not a fixed saturation constant. A baseline ships with the package (the
Hub listing of the ICSE 2023 study's crawl, dated below) and can be replaced by one
computed from a ``study`` database (``audit --baseline DB``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ptmscope.errors import InputError
from ptmscope.package import RegistryBaseline

POINTS = 101
"""Percentile points kept (0, 1, …, 100): a small file that still ranks to the percent."""


def _points(values: Sequence[float]) -> tuple[float, ...]:
    ordered = sorted(values)
    if not ordered:
        return ()
    last = len(ordered) - 1
    return tuple(float(ordered[round(last * i / (POINTS - 1))]) for i in range(POINTS))


def from_values(
    source: str, downloads: Iterable[float], likes: Iterable[float] = ()
) -> RegistryBaseline:
    """A baseline from raw counts (unknown counts left out)."""
    counts = [float(d) for d in downloads]
    return RegistryBaseline(
        source, len(counts), _points(counts), _points([float(x) for x in likes])
    )


@lru_cache(maxsize=1)
def shipped() -> RegistryBaseline:
    """The baseline that ships with ptmscope (see ``data/registry_baseline.json``)."""
    text = (resources.files("ptmscope") / "data" / "registry_baseline.json").read_text("utf-8")
    data = json.loads(text)
    return RegistryBaseline(
        data["source"], data["models"], tuple(data["downloads"]), tuple(data.get("likes", ()))
    )


def from_study(db: Path) -> RegistryBaseline:
    """A baseline from a ``study`` database's listing (``audit --baseline DB``)."""
    from ptmscope.study.db import StudyDB

    connection = StudyDB.open(db).connect()  # nothing is created in a folder given by mistake
    rows = connection.execute("SELECT downloads, likes FROM models").fetchall()
    downloads = [d for d, _ in rows if d is not None]
    if not downloads:
        raise InputError(f"{db}: the study database lists no download counts")
    return from_values(
        f"study database {db} ({len(downloads):,} models with downloads)",
        downloads,
        [lk for _, lk in rows if lk is not None],
    )


def write(baseline: RegistryBaseline, path: Path) -> None:
    """Save ``baseline`` as the shipped JSON shape."""
    data = {
        "source": baseline.source,
        "models": baseline.models,
        "downloads": list(baseline.downloads),
        "likes": list(baseline.likes),
    }
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
