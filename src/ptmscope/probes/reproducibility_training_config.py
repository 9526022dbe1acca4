"""Reproducibility · training configuration: scripts and hyper-parameters."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="reproducibility.training_config",
    kind=ProbeKind.FACTOR,
    attribute="reproducibility",
    factor="training_config",
    short="Training configuration",
    motivation=(
        "Without hyper-parameters and scripts, practitioners in the study 'still could not "
        "reproduce the results' even following the documented steps."
    ),
    implementation=(
        "Present if training arguments or scripts ship (`training_args.bin` — inspected only "
        "by name, it is a pickle — `trainer_state.json`, `hparams.yaml`, `train*.py/sh/yaml`, "
        "`configs/`, `args.json`) or the card lists hyper-parameters (learning rate, batch "
        "size, epochs, optimizer) or has a filled training-procedure section."
    ),
    remediation=(
        "List the hyper-parameters (learning rate, batch size, epochs, optimizer, seed) in a "
        "'Training procedure' section and ship the training script or config file."
    ),
)

CUES = Cues(
    files=(
        r"(^|/)training_args\.bin$", r"(^|/)trainer_state\.json$", r"(^|/)hparams\.ya?ml$",
        r"(^|/)train[^/]*\.(py|sh|ya?ml|json)$", r"^configs?/", r"(^|/)args\.json$",
        r"(^|/)(training|train)_config\.(json|ya?ml)$",
    ),
    headings=(r"training (procedure|hyper[- ]?parameters|details|configuration|setup)", r"hyper[- ]?parameters"),
    prose=(
        r"learning[_ ]rate\s*[:=]", r"batch[_ ]size\s*[:=]", r"num_(train_)?epochs\s*[:=]",
        r"\bepochs?\s*[:=]\s*\d", r"optimi[sz]er\s*[:=]", r"\bwarmup", r"\bseed\s*[:=]\s*\d",
    ),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
