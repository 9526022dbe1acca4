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
        "Instructions for the reuser, not a mention: present if a filled section is headed as "
        "instructions ('How to fine-tune', 'Fine-tuning on your data', 'Training your own'), or "
        "the card shows fine-tuning code (`Trainer(`, `run_glue.py`-style scripts, `.fit(`, "
        "PEFT/LoRA). A 'Fine-tuning' heading describing the authors' own run, 'Downstream "
        "use', and 'This model is a fine-tuned version of…' do not count."
    ),
    remediation=(
        "Add a 'Fine-tuning' section with the script or code to adapt the model and the "
        "hyper-parameters that worked."
    ),
)

CUES = Cues(
    headings=(r"how to (train|fine-?tune)", r"fine-?tun\w* (it|this model|the model|on your|your own|guide|instructions|tutorial)", r"training your own", r"\btrain(ing)? (it |this model )?on your"),
    prose=(
        r"run_(glue|ner|qa|clm|mlm|summarization|translation|speech_recognition\w*|image_classification)\.py",
        r"\b(fine-?tun\w*|training) (notebooks?|examples?|scripts?|code|recipes?|tutorials?)\b",
        r"\btrain(ing)? your own\b",
        r"\bcan (effectively )?be fine-?tuned\b.{0,80}\b(notebook|colab|script|example|code)",
        r"\b(notebook|colab)\b.{0,80}\b(fine-?tun\w*|train(ing)? the model)",
        r"\bto (train|fine-?tune)\b.{0,60}\b(you (will )?need|install|run|see)\b",
    ),
    code=(
        r"\bTrainer\(", r"\.fit\(", r"\b(peft|LoraConfig|get_peft_model)\b", r"run_\w+\.py",
        r"\.train\(\)", r"\btrain\.py\b", r"^\s*\S+ train --", r"\.backward\(\)", r"\bAdamW?\(",
    ),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
