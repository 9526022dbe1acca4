"""Reproducibility · hardware specification: what the model was trained on."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
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
        "exists, or prose names accelerators (A100, V100, TPU v3, '8 GPUs'…)."
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

PROBE = factor_probe(DEFINITION, CUES)
