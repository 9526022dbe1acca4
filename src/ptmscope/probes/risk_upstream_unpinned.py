"""Risk · upstream models and datasets not pinned to a revision."""

from __future__ import annotations

import re

from ptmscope.package import Package
from ptmscope.probes.base import (
    MAX_EVIDENCE,
    Definition,
    Evidence,
    Finding,
    Probe,
    Severity,
    Stride,
    clear,
    detected,
)
from ptmscope.probes.cues import card_metadata
from ptmscope.vocab import ProbeKind

_PINNED = re.compile(r"@[0-9a-f]{7,64}$")

DEFINITION = Definition(
    id="risk.upstream_unpinned",
    kind=ProbeKind.RISK,
    short="Upstream not pinned",
    motivation=(
        "A base model or dataset named without a revision can change under the same name; a "
        "poisoned upstream then flows into every rebuild of this model."
    ),
    implementation=(
        "Detected when `base_model` or `datasets` in the card YAML name an upstream without a "
        "commit (`owner/name@<sha>`), or a `model-index` dataset has no `revision`. Clear when "
        "everything declared is pinned or nothing upstream is declared."
    ),
    remediation="Pin upstreams to commits (`base_model: owner/name@<sha>`, `dataset.revision` in model-index).",
    severity=Severity.MEDIUM,
    stride=(Stride.TAMPERING,),
)


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def run(package: Package) -> Finding:
    """Every upstream named in the card YAML or ``model-index`` must carry a commit.

    Repeated references are reported once; a card that declares no upstream is clear, since
    nothing can change under a name that is not there.
    """
    meta = card_metadata(package)
    unpinned: list[Evidence] = []
    declared = 0
    for key in ("base_model", "datasets"):
        for name in _names(meta.get(key)):
            declared += 1
            if not _PINNED.search(name.strip()):
                unpinned.append(Evidence(f"README.md#{key}", name))
    for claim in package.claims:
        if claim.source == "model-index" and claim.dataset:
            declared += 1
            if not claim.dataset_revision:
                unpinned.append(
                    Evidence(claim.location.split("#metrics")[0], f"dataset {claim.dataset}")
                )
    unique = list(dict.fromkeys(unpinned))
    if unique:
        return detected(
            DEFINITION,
            f"{len(unique)} upstream reference(s) without a revision",
            unique[:MAX_EVIDENCE],
        )
    if declared == 0:
        return clear(DEFINITION, "no upstream models or datasets declared")
    return clear(DEFINITION, f"all {declared} upstream references pinned")


PROBE = Probe(DEFINITION, run)
