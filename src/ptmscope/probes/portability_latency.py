"""Portability · latency: how fast the model answers."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="portability.latency",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="latency",
    short="Latency / throughput",
    motivation=(
        "Serving budgets are set in milliseconds; practitioners in the study had to measure "
        "latency themselves for every candidate."
    ),
    implementation=(
        "Present if a filled latency/speed/throughput section exists or prose gives a timing "
        "with a unit (ms, tokens/s, samples/s, it/s, fps, img/s)."
    ),
    remediation=(
        "Report inference latency or throughput with the hardware, batch size and sequence "
        "length used (e.g. '12 ms per sentence on one T4, batch 1')."
    ),
)

CUES = Cues(
    headings=(r"\blatency\b", r"\bspeed\b", r"\bthroughput\b", r"inference (time|speed)"),
    prose=(
        r"\b\d+(\.\d+)?\s*(ms|milliseconds?)\b",
        r"\b\d+(\.\d+)?\s*(tokens?|samples?|sentences?|queries|images?|img|it)\s*(/|per )\s*(s|sec|second)\b",
        r"\b\d+(\.\d+)?\s*fps\b",
    ),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
