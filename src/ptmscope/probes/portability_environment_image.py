"""Portability · environment image: a container that runs the model anywhere."""

from __future__ import annotations

import re

from ptmscope.package import Package, fold_case
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import Cues, all_of, card_line, factor_probe, model_short_name, stated
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="portability.environment_image",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="environment_image",
    short="Container image",
    motivation=(
        "A container image moves the model between machines with its runtime; practitioners "
        "asked for one to deploy without rebuilding the environment."
    ),
    implementation=(
        "Present if a Dockerfile, compose file or Apptainer/Singularity definition ships, or the "
        "card gives `docker pull/run`, an image reference (nvcr.io, ghcr.io, Docker Hub), a "
        "Space that runs this model (named after it, or linked as a demo or app), or a managed "
        "serving environment (SageMaker, Vertex AI, Azure AI Studio, Inference Endpoints). "
        "Version lists alone do not count (that is the training environment), nor does a link "
        "to a Space that is a leaderboard, a licence page or another model's app."
    ),
    remediation="Publish a container image (or a Dockerfile) that serves the model and name it in the card.",
)

CUES = Cues(
    files=(r"(^|/)Dockerfile$", r"(^|/)docker-compose\.ya?ml$", r"\.def$"),
    headings=(r"\bdocker\b", r"\bcontainer\b"),
    prose=(
        r"docker (pull|run)",
        r"\b(nvcr|ghcr)\.io/",
        r"hub\.docker\.com",
        r"huggingface\.co/spaces/",
        r"\b(sagemaker|azure ai studio|vertex ai|inference endpoints?)\b",
    ),
    code=(r"docker (pull|run)", r"\b(nvcr|ghcr)\.io/"),
)

_SPACE = re.compile(r"huggingface\.co/spaces/([\w.-]+/[\w.-]+)")
_NOT_A_RUNTIME = re.compile(r"leaderboard|licen[cs]e|arena|benchmark")
_RUNS_IT = re.compile(
    r"\b(demo|web ?ui|gradio|streamlit|app|playground|try (it|the model|this)|run)\b"
)


def _space_runs_this_model(package: Package, evidence: Evidence) -> bool:
    """A Space link counts when the Space runs this model: named after it or offered as a
    demo, not a leaderboard or licence page. Other cues on the line are kept as they are."""
    line = card_line(package, evidence)
    if line is None:
        return True
    text = fold_case(line.text)
    spaces = _SPACE.findall(text)
    if not spaces or PATTERN_OTHER.search(text):
        return True
    short = fold_case(model_short_name(package) or "") or None
    for space in spaces:
        if _NOT_A_RUNTIME.search(space):
            continue
        if (short is not None and short in space) or _RUNS_IT.search(_SPACE.sub(" ", text)):
            return True
    return False


PATTERN_OTHER = re.compile(
    r"docker (pull|run)|\b(nvcr|ghcr)\.io/|hub\.docker\.com|\b(sagemaker|azure ai studio|vertex ai|"
    r"inference endpoints?)\b"
)

PROBE = factor_probe(DEFINITION, CUES, keep=all_of(stated, _space_runs_this_model))
