"""Maintenance · recent activity: when the package last changed."""

from __future__ import annotations

from datetime import UTC, datetime

from ptmscope.package import Package
from ptmscope.probes.base import SHORT_SHA, Definition, Evidence, Finding, Outcome, Probe
from ptmscope.vocab import ProbeKind

FRESH_DAYS = 180
STALE_DAYS = 3 * 365
STABLE_PERCENTILE = 90.0
"""A model downloaded more than this share of its registry is in wide use: no recent
change there means stable, not abandoned."""
STABLE_FLOOR = 6.0
"""The least a widely used model scores for activity, however old its last change."""

DEFINITION = Definition(
    id="maintenance.recent_activity",
    kind=ProbeKind.SIGNAL,
    attribute="maintenance",
    short="Recent activity",
    motivation=(
        "A maintained model gets card fixes, security fixes (safetensors conversions) and "
        "answers to issues; an abandoned one will not."
    ),
    implementation=(
        f"From the newest commit date (or the registry's lastModified): 10 within {FRESH_DAYS} "
        f"days, falling linearly to 0 at {STALE_DAYS} days. Judged against the model's use: "
        f"a model downloaded more than {STABLE_PERCENTILE:.0f}% of its registry baseline scores "
        f"at least {STABLE_FLOOR} (a stable base model in wide use is not abandoned because its "
        "weights did not change). Unknown without history or metadata."
    ),
    remediation="Keep the card and files current; answer community discussions.",
)


def run(package: Package) -> Finding:
    """Age of the newest change, judged against how widely the model is used."""
    now = package.collected_at or datetime.now(UTC)
    when = None
    origin = ""
    if package.history:
        newest = max(package.history, key=lambda c: c.committer.when)
        when, origin = newest.committer.when, f"commit {newest.sha[:SHORT_SHA]}"
    elif package.metadata is not None and package.metadata.last_modified is not None:
        when, origin = package.metadata.last_modified, f"{package.metadata.origin}#lastModified"
    if when is None:
        return Finding(DEFINITION.id, Outcome.UNKNOWN, "no history or lastModified date")
    age = max(0.0, (now - when).total_seconds() / 86400)
    if age <= FRESH_DAYS:
        score = 10.0
    else:
        score = max(0.0, 10.0 * (STALE_DAYS - age) / (STALE_DAYS - FRESH_DAYS))
    message = f"last change {when.date().isoformat()} ({age:.0f} days ago)"
    meta, baseline = package.metadata, package.baseline
    used = (
        baseline.percentile("downloads", meta.downloads)
        if baseline is not None and meta is not None and meta.downloads is not None
        else None
    )
    if used is not None and used >= STABLE_PERCENTILE and score < STABLE_FLOOR:
        score = STABLE_FLOOR
        message += f"; stable: downloaded more than {used:.0f}% of the registry"
    return Finding(
        DEFINITION.id, Outcome.PRESENT, message, (Evidence(origin, message),), round(score, 2)
    )


PROBE = Probe(DEFINITION, run)
