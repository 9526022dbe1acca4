"""Maintenance · recent activity: when the package last changed."""

from __future__ import annotations

from datetime import UTC, datetime

from ptmscope.package import Package
from ptmscope.probes.base import SHORT_SHA, Definition, Evidence, Finding, Outcome, Probe
from ptmscope.vocab import ProbeKind

FRESH_DAYS = 180
STALE_DAYS = 3 * 365
"""A fine-tuned checkpoint unchanged this long is stale: its base, libraries and card
conventions have moved on."""
BASE_STALE_DAYS = 6 * 365
"""A base model is released to stay as it is; its activity fades twice as slowly."""
REVISIT_DAYS = 90
"""A change this long after the first commit shows the maintainer came back after release."""
REVISITED_FLOOR = 3.0
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
        "answers to issues; an abandoned one will not. What counts as recent depends on "
        "the model: a base model is meant to stay fixed once released, a fine-tuned "
        "checkpoint ages with the base and libraries it was built on."
    ),
    implementation=(
        f"From the newest commit date (or the registry's lastModified): 10 within {FRESH_DAYS} "
        f"days, falling linearly to 0 at {STALE_DAYS} days for a fine-tuned checkpoint (the "
        f"card names a base_model or says it is a fine-tuned version) and at {BASE_STALE_DAYS} "
        f"days for a base model. Judged against age: a package changed at least "
        f"{REVISIT_DAYS} days after its first commit (or creation) was revisited after "
        f"release and scores at least {REVISITED_FLOOR}. Judged against use: a model "
        f"downloaded more than {STABLE_PERCENTILE:.0f}% of its registry baseline scores at "
        f"least {STABLE_FLOOR} (a stable base model in wide use is not abandoned because its "
        "weights did not change). Unknown without history or metadata."
    ),
    remediation="Keep the card and files current; answer community discussions.",
)


def _last_and_first(package: Package) -> tuple[datetime | None, datetime | None, str]:
    if package.history:
        newest = max(package.history, key=lambda c: c.committer.when)
        oldest = min(package.history, key=lambda c: c.committer.when)
        return newest.committer.when, oldest.committer.when, f"commit {newest.sha[:SHORT_SHA]}"
    meta = package.metadata
    if meta is not None and meta.last_modified is not None:
        return meta.last_modified, meta.created_at, f"{meta.origin}#lastModified"
    return None, None, ""


def run(package: Package) -> Finding:
    """Age of the newest change, judged against the model's kind, age and use."""
    now = package.collected_at or datetime.now(UTC)
    when, first, origin = _last_and_first(package)
    if when is None:
        return Finding(DEFINITION.id, Outcome.UNKNOWN, "no history or lastModified date")
    age = max(0.0, (now - when).total_seconds() / 86400)
    fine_tuned = package.upstream is not None
    stale = STALE_DAYS if fine_tuned else BASE_STALE_DAYS
    kind = "fine-tuned checkpoint" if fine_tuned else "base model"
    score = 10.0 if age <= FRESH_DAYS else max(0.0, 10.0 * (stale - age) / (stale - FRESH_DAYS))
    message = f"last change {when.date().isoformat()} ({age:.0f} days ago; {kind})"
    span = (when - first).total_seconds() / 86400 if first is not None else 0.0
    if span >= REVISIT_DAYS and score < REVISITED_FLOOR:
        score = REVISITED_FLOOR
        message += f"; revisited {span:.0f} days after its first commit"
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
