"""Reproducibility · hardware specification: what the model was trained on."""

from __future__ import annotations

import re

from ptmscope.package import Package, fold_case
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import Cues, all_of, card_line, factor_probe, stated
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="reproducibility.hardware_spec",
    kind=ProbeKind.FACTOR,
    attribute="reproducibility",
    factor="hardware_spec",
    short="Training hardware",
    motivation=(
        "Numerics, batch sizes and run time depend on the accelerator; reproducing a result "
        "starts with knowing what it ran on."
    ),
    implementation=(
        "Present if `co2_eq_emissions.hardware_used` is set, a filled hardware/compute section "
        "exists, or prose names accelerators (A100, V100, TPU v3, '8 GPUs'…). An accelerator "
        "named with an inference timing ('2 seconds per image on a V100', 'timings on an RTX "
        "3090') is inference hardware, not training hardware."
    ),
    remediation=(
        "State the training hardware (accelerator model and count) in the card, e.g. under "
        "`co2_eq_emissions.hardware_used` or a 'Compute infrastructure' section."
    ),
)

CUES = Cues(
    yaml=("co2_eq_emissions.hardware_used",),
    headings=(r"\bhardware\b", r"compute infrastructure"),
    prose=(
        r"\b(A100|H100|H200|V100|P100|K80|T4|L4|A10G?|A6000|RTX ?\d{4}|GTX ?\d{3,4}|TPU ?v\d|TPUv\d)\b",
        r"\b\d+\s*x?\s*(GPUs?|TPUs?|NVIDIA)\b",
        r"\*\*hardware type:\*\*\s*[^\[\s]",
        r"\bTPU-?v\d(-\d+)?\b|\bcloud TPUs?\b",
        r"\b(trained|training|pre-?trained)\b.{0,60}\bon (\d+ )?(TPUs?|GPUs?)\b",
        r"\btraining (equipment|hardware)\b",
        r"\b\d+\s*[*x×]\s*(RTX ?)?\d{4}\b",
    ),
    code=(r"^\s*ngpu\s*:\s*\d",),
)  # fmt: skip

_INFERENCE = re.compile(
    r"\b(inference|timings?|latency|throughput|generates?|per image|samples?/s|fps)\b"
    r"|\b\d+(\.\d+)?\s*(s|sec|seconds|ms)\b"
)
_TRAINING = re.compile(r"\b(train|pre-?train|fine-?tun)\w*")


def _training_not_inference(package: Package, evidence: Evidence) -> bool:
    """A line that times inference on an accelerator, without a word on training, describes
    the inference hardware (portability), not what the model was trained on."""
    line = card_line(package, evidence)
    if line is None or line.in_code:
        return True
    text = fold_case(line.text)
    return not (_INFERENCE.search(text) and not _TRAINING.search(text))


PROBE = factor_probe(DEFINITION, CUES, keep=all_of(stated, _training_not_inference))
