"""Reproducibility · environment image: the software environment to rebuild the run."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="reproducibility.environment_image",
    kind=ProbeKind.FACTOR,
    attribute="reproducibility",
    factor="environment_image",
    short="Environment specification",
    motivation=(
        "Library versions change numerics and APIs; a pinned environment or image is what "
        "makes a result reproducible later."
    ),
    implementation=(
        "Present if requirements/environment/Docker/pyproject files ship, or the card gives "
        "install commands (`pip install`, `conda`, `docker pull`) or a filled installation/"
        "requirements section. The Trainer's 'Framework versions' list alone does not count."
    ),
    remediation=(
        "Ship `requirements.txt` (pinned) or an `environment.yml`/Dockerfile, or give the exact "
        "install command in an 'Installation' section."
    ),
)

CUES = Cues(
    files=(
        r"(^|/)requirements[^/]*\.txt$", r"(^|/)environment\.ya?ml$", r"(^|/)Dockerfile$",
        r"(^|/)docker-compose\.ya?ml$", r"(^|/)pyproject\.toml$", r"\.def$", r"(^|/)setup\.py$",
    ),
    headings=(r"\binstallation\b", r"\brequirements\b", r"\benvironment\b(?!al)", r"\bsetup\b"),
    prose=(r"\bpip install\b", r"\bconda (env|install|create)\b", r"\bdocker (pull|run)\b"),
    code=(r"\bpip install\b", r"\bconda (env|install|create)\b", r"\bdocker (pull|run)\b"),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
