"""Provenance · training logs: how training went, step by step."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="provenance.training_logs",
    kind=ProbeKind.FACTOR,
    attribute="provenance",
    factor="training_logs",
    short="Training logs",
    motivation=(
        "Logs let a reuser see convergence and overfitting, and check that reported results "
        "came from the run that produced these weights."
    ),
    implementation=(
        "Present if `trainer_state.json`, TensorBoard event files or a logs folder ship, or the "
        "card holds a training-results table (loss per epoch/step) or a W&B/TensorBoard/MLflow link."
    ),
    remediation=(
        "Ship `trainer_state.json` or TensorBoard `runs/`, or link the experiment tracker run, "
        "and keep the per-epoch results table."
    ),
)

CUES = Cues(
    files=(r"(^|/)trainer_state\.json$", r"(^|/)runs/.*events\.out\.tfevents", r"\.tfevents\.", r"^logs?/"),
    headings=(r"training (results|logs?|curves?|metrics)",),
    prose=(
        r"^\s*\|\s*training loss\s*\|",
        r"^\s*\|\s*epoch\s*\|.*loss",
        r"wandb\.ai/",
        r"tensorboard\.dev|\btensorboard\b",
        r"comet\.(ml|com)/",
        r"\bmlflow\b",
    ),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
