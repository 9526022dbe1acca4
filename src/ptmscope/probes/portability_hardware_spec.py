"""Portability · hardware specification: what it takes to run the model."""

from __future__ import annotations

from dataclasses import replace

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import factor_probe
from ptmscope.probes.reproducibility_hardware_spec import CUES as TRAINING_CUES
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="portability.hardware_spec",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="hardware_spec",
    short="Hardware requirements",
    motivation=(
        "Deployment targets (CPU, edge, a given GPU) need memory and accelerator requirements "
        "before a model is chosen, not after."
    ),
    implementation=(
        "Everything the training-hardware probe accepts, plus statements of memory or target "
        "devices (VRAM, 'GB of GPU memory', 'runs on CPU/mobile/edge')."
    ),
    remediation=(
        "State the memory needed for inference and the devices it was tested on (e.g. 'fits "
        "in 6 GB of GPU memory in fp16; runs on CPU')."
    ),
)

CUES = replace(
    TRAINING_CUES,
    prose=(
        *TRAINING_CUES.prose,
        r"\bVRAM\b",
        r"\b\d+(\.\d+)?\s*(GiB|GB) of (GPU )?(memory|RAM)\b",
        r"\bruns? on (a )?(CPU|GPU|mobile|edge|laptop|raspberry)",
    ),
    headings=(*TRAINING_CUES.headings, r"system requirements", r"\bmemory\b"),
)

PROBE = factor_probe(DEFINITION, CUES)
