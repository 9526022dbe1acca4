"""Portability · fine-tuning instructions: how to adapt the model to new data."""

from __future__ import annotations

import re

from ptmscope.package import Package, fold_case
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import Cues, all_of, code_block_intro, factor_probe, stated
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
        "instructions ('How to fine-tune', 'Fine-tuning on your data'), the card points the "
        "reader to a fine-tuning resource (a fine-tuning notebook, script or example; 'see the "
        "training code'; a notebook that shows how the model is fine-tuned), or shows "
        "fine-tuning code (`Trainer(`, `.fit(`, a training command with arguments, PEFT/LoRA, "
        "an optimizer step). Not counted: 'This model is a fine-tuned version of…', "
        "'Downstream use', 'you can fine-tune it', what to install to fine-tune, a link to the "
        "authors' own training scripts, 'train your own model' from scratch, and a training "
        "command the card introduces as the settings the authors used (that is training "
        "config)."
    ),
    remediation=(
        "Add a 'Fine-tuning' section with the script or code to adapt the model and the "
        "hyper-parameters that worked."
    ),
)

RESOURCE = r"(code|scripts?|notebooks?|examples?|recipes?|tutorials?|guides?)"

CUES = Cues(
    headings=(r"how to (train|fine-?tune)", r"fine-?tun\w* (it|this model|the model|on your|your own|guide|instructions|tutorial)", r"\btrain(ing)? (it |this model )?on your"),
    prose=(
        r"run_(glue|ner|qa|clm|mlm|summarization|translation|speech_recognition\w*|image_classification)\.py",
        rf"\bfine-?tuning {RESOURCE}\b",
        rf"\b(check out|see|have a look at|refer to|follow|try)\b(.|\n){{0,30}}\b(training|fine-?tuning) {RESOURCE}\b",
        rf"\b{RESOURCE} (for|of|on|to) ([\w-]+ ){{0,3}}fine-?tun",
        r"\bcan (effectively )?be fine-?tuned\b.{0,80}\b(notebook|colab|script|example|code)",
        r"\b(notebook|colab)\b(\]\([^)\s]*\))?.{0,80}\b(fine-?tun\w*|train(ing)? the model)",
    ),
    code=(
        r"\bTrainer\(", r"\.fit\(", r"\b(peft|LoraConfig|get_peft_model)\b", r"run_\w+\.py",
        r"\.train\(\)", r"\btrain\.py\b", r"^\s*\S+ train --", r"\.backward\(\)", r"\bAdamW?\(",
    ),
)  # fmt: skip

_AUTHORS_RUN = re.compile(
    r"\b(were|was) used (in|for|during) (the )?training\b|\bsettings? (were|was) used\b"
    r"|\b(this|the) model was trained (with|using)\b|\bwe (trained|used|ran)\b"
)
"""A code block introduced as the authors' own run documents the training config; it is
not an instruction for the reader."""


def _instruction(package: Package, evidence: Evidence) -> bool:
    """False for a training command that the card presents as the settings it was trained
    with."""
    intro = code_block_intro(package, evidence)
    return intro is None or not _AUTHORS_RUN.search(fold_case(intro))


PROBE = factor_probe(DEFINITION, CUES, keep=all_of(stated, _instruction))
