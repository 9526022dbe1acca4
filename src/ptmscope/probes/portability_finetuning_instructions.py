"""Portability · fine-tuning instructions: how to adapt the model to new data."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="portability.finetuning_instructions",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="finetuning_instructions",
    short="Fine-tuning instructions",
    motivation=(
        "Most reuse adapts the model downstream; instructions save reusers from rediscovering "
        "tokenisation, heads and hyper-parameters."
    ),
    implementation=(
        "Present if a filled fine-tuning/downstream-use/training-your-own section exists, or "
        "the card shows fine-tuning code (`Trainer(`, `run_glue.py`-style scripts, `.fit(`, "
        "PEFT/LoRA)."
    ),
    remediation=(
        "Add a 'Fine-tuning' section with the script or code to adapt the model and the "
        "hyper-parameters that worked."
    ),
)

CUES = Cues(
    headings=(r"fine-?tun", r"downstream use", r"training your own", r"how to (train|fine)", r"\btraining\b.*\bown\b"),
    prose=(r"run_(glue|ner|qa|clm|mlm|summarization|translation|speech_recognition\w*|image_classification)\.py",),
    code=(r"\bTrainer\(", r"\.fit\(", r"\b(peft|LoraConfig|get_peft_model)\b", r"run_\w+\.py", r"\.train\(\)"),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
