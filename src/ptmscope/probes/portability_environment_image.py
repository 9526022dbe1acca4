"""Portability · environment image: a container that runs the model anywhere."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
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
        "Space, or a managed serving environment (SageMaker, Vertex AI, Azure AI Studio, "
        "Inference Endpoints). Version lists alone do not count (that is the training "
        "environment)."
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

PROBE = factor_probe(DEFINITION, CUES)
