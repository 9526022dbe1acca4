"""Quality · configuration: a config that says how to rebuild the network."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence, Finding, Outcome, Probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="quality.config_valid",
    kind=ProbeKind.SIGNAL,
    attribute="quality",
    short="Model configuration",
    motivation=(
        "Loaders rebuild the network from its configuration; a missing or broken config.json "
        "makes the weights unusable without guesswork."
    ),
    implementation=(
        "10 if `config.json` parses and names `model_type` or `architectures`; 5 if it parses "
        "without them; 0 if it does not parse. Unknown when the package has no config.json "
        "(many non-transformers libraries use none)."
    ),
    remediation="Ship a valid `config.json` with `model_type` and `architectures` (save_pretrained does).",
)


def run(package: Package) -> Finding:
    """A config that exists but cannot be read scores 0, not unknown.

    Loaders read ``config.json`` before anything else; one that does not parse breaks every
    reuse, so its presence with broken content is worse than its absence (unknown).
    """
    entry = package.file("config.json")
    if entry is None:
        return Finding(DEFINITION.id, Outcome.UNKNOWN, "no config.json")
    problem = next((p for p in package.problems if p.path == "config.json"), None)
    if package.config is None:
        detail = problem.message if problem else "content absent"
        return Finding(
            DEFINITION.id,
            Outcome.MISSING,
            f"config.json unusable: {detail}",
            (Evidence("config.json", detail),),
            0.0,
        )
    named = [k for k in ("model_type", "architectures") if package.config.get(k)]
    if named:
        detail = ", ".join(f"{k}={package.config[k]!r}" for k in named)
        return Finding(
            DEFINITION.id, Outcome.PRESENT, detail, (Evidence("config.json", detail),), 10.0
        )
    return Finding(
        DEFINITION.id,
        Outcome.PRESENT,
        "config.json names no architecture",
        (Evidence("config.json"),),
        5.0,
    )


PROBE = Probe(DEFINITION, run)
