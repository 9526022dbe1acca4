"""Portability · hardware specification: what it takes to run the model."""

from __future__ import annotations

import re

from ptmscope.package import Package
from ptmscope.probes import portability_latency
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import ACCELERATORS, Cues, factor_probe, fold_pattern, stated
from ptmscope.vocab import ProbeKind

__all__ = ["ACCELERATORS", "CUES", "DEFINITION", "PROBE"]

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
        "GPU memory'), the devices it runs on or fits on ('runs on CPU/mobile/edge', 'fits on "
        "a single GPU'), hardware named next to inference, serving, latency or throughput, the "
        "hardware a timing was measured on (an accelerator named in the section that reports "
        "latency or throughput), or has a filled 'hardware requirements'/'system requirements' "
        "section. Training hardware alone does not count, nor does a deployment section that "
        "names a serving product without hardware."
    ),
    remediation=(
        "State the memory needed for inference and the devices it was tested on (e.g. 'fits "
        "in 6 GB of GPU memory in fp16; runs on CPU')."
    ),
)

CUES = Cues(
    headings=(r"(hardware|system) requirements", r"inference (hardware|requirements)", r"running (the model )?on (a )?(cpu|gpu|single gpu|multiple gpus)"),
    prose=(
        r"\bVRAM\b",
        r"\b\d+(\.\d+)?\s*(GiB|GB) of (GPU )?(memory|RAM|VRAM)\b",
        r"\b(runs?|fits?|fit) (on|in|into) (a |an |one |the )?(single )?(nvidia )?(CPU|GPU|mobile|edge|laptop|raspberry|phone|browser)",
        rf"\b(inference|deploy\w*|serving|serve[sd]?|latency|throughput)\b.{{0,80}}\b({ACCELERATORS})\b",
        rf"\b({ACCELERATORS})\b.{{0,60}}\b(inference|latency|throughput|per second)\b",
        r"\brequires? (a |an )?(GPU|CPU|TPU)\b|\b(GPU|VRAM) of at least\b",
        r"\boptimi[sz]ed for (CPU|GPU|mobile|edge)",
        rf"\b(timings?|tested|benchmarked|measured)\b.{{0,40}}\bon (a |an )?(single )?({ACCELERATORS})\b",
        rf"\bon (a |an )?(Mac )?({ACCELERATORS})\b.{{0,60}}\b(faster|slower|ms|seconds?|fps)\b",
    ),
)  # fmt: skip

_DEVICE_WORDS = (
    "gpu",
    "cpu",
    "tpu",
    "v100",
    "a100",
    "h100",
    "p100",
    "t4",
    "l4",
    "a10",
    "a6000",
    "rtx",
    "gtx",
    "m1",
    "m2",
    "m3",
    "apple",
    "jetson",
    "mobile",
    "edge",
    "raspberry",
)
"""Literals one of which any device name contains (a cheap test before the pattern)."""
_TIMING_WORDS = ("ms", "sec", "/s", "per s", "fps", "throughput", "latency", "speed")
"""Literals one of which a latency or throughput statement contains (a cheap test first)."""
_DEVICE = re.compile(rf"(?<![a-z0-9_-])({fold_pattern(ACCELERATORS)})(?![a-z0-9_-])")


def _timed_on(package: Package) -> list[Evidence]:
    """The accelerator named in the section where the card reports a latency or throughput:
    the hardware that timing was measured on, whatever language the note is written in."""
    card = package.card
    if card is None:
        return []
    text = card.searchable(False)
    if not any(word in text for word in _TIMING_WORDS):
        return []
    if not any(word in text for word in _DEVICE_WORDS) or not _DEVICE.search(text):
        return []
    timing = portability_latency.PROBE.run(package)
    for evidence in timing.evidence:
        _, _, where = evidence.location.rpartition(":")
        if not where.isdigit():
            continue
        section = card.section_for_line(int(where))
        if section is None:
            continue
        for line in card.lines:
            in_section = section.line <= line.number <= section.end_line and not line.in_code
            if in_section and _DEVICE.search(line.text.lower()):
                return [Evidence(f"{card.path}:{line.number}", "hardware of a timing")]
    return []


PROBE = factor_probe(DEFINITION, CUES, _timed_on, keep=stated)
