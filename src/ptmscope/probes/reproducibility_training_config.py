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
        "`configs/`, `args.json`), or the card gives values a reader could reuse: hyper-"
        "parameters in prose, lists or code (learning rate, batch size, epochs or steps, "
        "optimizer, warm-up, seed), a hyper-parameters section, or the training script or "
        "recipe it used. A 'Training procedure' section without values does not count."
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
    headings=(r"training hyper[- ]?parameters", r"^hyper[- ]?parameters", r"parameters of the fit"),
    prose=(
        r"learning[_ ]rate\s*(of\s*)?[:=]?\s*\d", r"\blr\s*[:=]\s*\d", r"batch[_ ]size\s*(of\s*)?[:=]?\s*\d",
        r"num_(train_)?epochs\s*[:=]", r"\bepochs?\s*[:=]\s*\d", r"optimi[sz]er\s*[:=]", r"\bwarm-?up\b",
        r"\bseed\s*[:=]\s*\d",
        r"\b(trained|fine-?tuned|pre-?trained)\b.{0,60}\bfor (over )?(\d[\d,. ]*(k|m)?|several|a few|\w+ hundred) (optimi[sz]ation )?(steps|epochs|updates|iterations)\b",
        r"\b\d[\d,. ]*(k|m)?\s*(training )?(steps|epochs|updates)\b",
        r"\b(training scripts?|train script|recipe)\b",
        r"\bthe model was trained with the parameters\b",
    ),
    code=(
        r"[\"']?(lr|learning_rate)[\"']?\s*[:=]\s*[\d.e-]+", r"[\"']?(batch_size|train_batch_size)[\"']?\s*[:=]\s*\d",
        r"[\"']?(epochs|num_train_epochs|max_epoch|max_steps)[\"']?\s*[:=]\s*\d", r"\b(Adam|AdamW|SGD)\(",
        r"[\"']?warmup_steps[\"']?\s*[:=]\s*\d",
    ),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
