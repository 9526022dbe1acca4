"""Portability · cost estimate: what training or running the model costs."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="portability.cost_estimate",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="cost_estimate",
    short="Cost estimate",
    motivation=(
        "Reusers budget compute and energy before they retrain or serve; the study found such "
        "estimates almost never published."
    ),
    implementation=(
        "Present if `co2_eq_emissions` gives emissions or training details, a filled "
        "environmental-impact/cost section exists (template text removed), or prose gives GPU "
        "hours, kWh, CO2 or a price."
    ),
    remediation=(
        "Report training compute (GPU-hours, hardware, region) and CO2 emissions under "
        "`co2_eq_emissions`, and the cost of serving if known."
    ),
)

CUES = Cues(
    yaml=("co2_eq_emissions",),
    headings=(r"environmental impact", r"\bcosts?\b", r"\bcarbon\b", r"compute (budget|cost)"),
    prose=(
        r"\b(gpu|tpu|compute)[- ]hours?\b", r"\$\s?\d", r"\bUSD\b", r"\bkWh\b",
        r"\bco2(eq|e)?\b.{0,20}\d", r"\*\*hours used:\*\*\s*\d",
    ),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
