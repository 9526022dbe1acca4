"""Reproducibility · demos: runnable examples of using the model."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="reproducibility.demos",
    kind=ProbeKind.FACTOR,
    attribute="reproducibility",
    factor="demos",
    short="Demos and usage examples",
    motivation=(
        "A working example is the fastest reusability assessment: it shows the expected "
        "inputs, outputs and loading code."
    ),
    implementation=(
        "Present if the card has a usage code block (`from_pretrained`, `pipeline(`, "
        "`SentenceTransformer(`…), a Colab or Spaces link, a `widget`/`inference` YAML entry, "
        "a filled usage section, or notebooks/examples ship."
    ),
    remediation=(
        "Add a 'How to use' section with a minimal, runnable code block that loads the model "
        "and runs one input."
    ),
)

CUES = Cues(
    yaml=("widget", "inference"),
    headings=(r"how to (get started|use)", r"\busage\b", r"\bexamples?\b", r"\bdemo\b", r"quick ?start", r"\binference\b"),
    code=(
        r"from_pretrained\(", r"pipeline\(", r"SentenceTransformer\(", r"\.encode\(",
        r"\bimport (torch|transformers|tensorflow|onnxruntime)", r"hf_hub_download\(",
    ),
    prose=(r"colab\.research\.google\.com", r"huggingface\.co/spaces/"),
    files=(r"\.ipynb$", r"^(examples?|notebooks?)/"),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
