"""Portability · hardware specification: what it takes to run the model."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

ACCELERATORS = (
    r"A100|H100|H200|V100|P100|K80|T4|L4|A10G?|A6000|RTX ?\d{4}|GTX ?\d{3,4}|TPU|GPUs?|CPUs?"
    r"|M1|M2|M3|Apple Silicon|Jetson|mobile|edge devices?|Raspberry Pi"
)
"""Devices a model may be said to run on."""

DEFINITION = Definition(
    id="portability.hardware_spec",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="hardware_spec",
    short="Inference hardware",
    motivation=(
        "Deployment targets (CPU, edge, a given GPU) need memory and accelerator requirements "
        "before a model is chosen, not after. Training hardware (reproducibility) does not "
        "answer it: a model trained on 64 TPUs may serve from one CPU."
    ),
    implementation=(
        "Inference only: present if the card states the memory needed to run it (VRAM, 'GB of "
        "GPU memory'), the devices it runs on ('runs on CPU/mobile/edge'), hardware named next "
        "to inference, serving, deployment, latency or throughput, or has a filled 'hardware "
        "requirements'/'system requirements' section. Training hardware alone does not count."
    ),
    remediation=(
        "State the memory needed for inference and the devices it was tested on (e.g. 'fits "
        "in 6 GB of GPU memory in fp16; runs on CPU')."
    ),
)

CUES = Cues(
    headings=(r"(hardware|system) requirements", r"inference (hardware|requirements)", r"\bdeployment\b", r"running (the model )?on (a )?(cpu|gpu|single gpu|multiple gpus)"),
    prose=(
        r"\bVRAM\b",
        r"\b\d+(\.\d+)?\s*(GiB|GB) of (GPU )?(memory|RAM|VRAM)\b",
        r"\bruns? (on|in) (a |an |the )?(single )?(CPU|GPU|mobile|edge|laptop|raspberry|phone|browser)",
        rf"\b(inference|deploy\w*|serving|serve[sd]?|latency|throughput)\b.{{0,80}}\b({ACCELERATORS})\b",
        rf"\b({ACCELERATORS})\b.{{0,60}}\b(inference|latency|throughput|per second)\b",
        r"\brequires? (a |an )?(GPU|CPU|TPU)\b|\b(GPU|VRAM) of at least\b",
        r"\boptimi[sz]ed for (CPU|GPU|mobile|edge)",
        rf"\b(timings?|tested|benchmarked|measured)\b.{{0,40}}\bon (a |an )?(single )?({ACCELERATORS})\b",
        rf"\bon (a |an )?(Mac )?({ACCELERATORS})\b.{{0,60}}\b(faster|slower|ms|seconds?|fps)\b",
    ),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
