"""Maintenance · commit activity: how much care the history shows."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence, Finding, Outcome, Probe
from ptmscope.vocab import ProbeKind

SATURATION_COMMITS = 20
SATURATION_PEOPLE = 3

DEFINITION = Definition(
    id="maintenance.commit_activity",
    kind=ProbeKind.SIGNAL,
    attribute="maintenance",
    short="Commit activity",
    motivation=(
        "A single upload commit means nobody revisited the package; several commits by several "
        "people show it has been corrected and kept up."
    ),
    implementation=(
        f"Half from the number of commits (10 at {SATURATION_COMMITS}+), half from distinct "
        f"authors (10 at {SATURATION_PEOPLE}+). Unknown without git history."
    ),
    remediation="Publish the package as a git repository with its history (as the Hub does).",
)


def run(package: Package) -> Finding:
    if not package.history:
        return Finding(DEFINITION.id, Outcome.UNKNOWN, "no git history")
    commits = len(package.history)
    people = len({c.author.email.lower() or c.author.name for c in package.history})
    score = 5.0 * min(1.0, commits / SATURATION_COMMITS) + 5.0 * min(
        1.0, people / SATURATION_PEOPLE
    )
    message = f"{commits} commits by {people} author(s)"
    return Finding(
        DEFINITION.id, Outcome.PRESENT, message, (Evidence("history", message),), round(score, 2)
    )


PROBE = Probe(DEFINITION, run)
