"""Portability · framework support: which frameworks can load the weights."""

from __future__ import annotations

import re

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="portability.framework_support",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="framework_support",
    short="Framework support",
    motivation=(
        "A model usable only from one framework ties the reuser to it; interchange formats "
        "(ONNX, safetensors) and multi-framework weights widen where it can run."
    ),
    implementation=(
        "Present if the package ships weights in a recognised framework format (PyTorch, "
        "TensorFlow, JAX/Flax, ONNX, OpenVINO, TFLite, Core ML, GGUF, Rust), declares "
        "`library_name` or framework/library tags, shows code that loads it with a framework "
        "or library (transformers, sentence-transformers, stable-baselines3, spaCy…), or names "
        "a framework with its version or as what the model runs in. Evidence lists every "
        "framework found."
    ),
    remediation=(
        "Declare `library_name` in the card YAML and ship weights in safetensors; add ONNX or "
        "other framework exports if the model targets several runtimes."
    ),
)

MAX_FRAMEWORKS = 4
"""Frameworks listed as evidence, leaving room for the card's own cues."""

FRAMEWORK_FILES: tuple[tuple[str, str], ...] = (
    (r"(^|/)(pytorch_model|model)[^/]*\.(bin|safetensors)$|\.pt$|\.pth$", "PyTorch"),
    (r"\.safetensors$", "safetensors"),
    (r"(^|/)tf_model[^/]*\.h5$|(^|/)saved_model\.pb$|\.keras$", "TensorFlow/Keras"),
    (r"(^|/)flax_model[^/]*\.msgpack$", "JAX/Flax"),
    (r"\.onnx$", "ONNX"),
    (r"(^|/)openvino[^/]*\.(xml|bin)$|^openvino/", "OpenVINO"),
    (r"\.tflite$", "TFLite"),
    (r"\.mlmodel$|\.mlpackage/", "Core ML"),
    (r"\.gguf$", "GGUF (llama.cpp)"),
    (r"(^|/)rust_model\.ot$", "Rust (tch)"),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), name) for p, name in FRAMEWORK_FILES)

FRAMEWORK_WORDS = (
    r"pytorch|torch|tensorflow|tf|keras|jax|flax|onnx|safetensors|coreml|openvino|tflite|gguf"
    r"|transformers|sentence-transformers|stable-baselines3|sample-factory|ml-agents|spacy"
    r"|flair|fairseq|nemo|espnet|speechbrain|timm|fastai|paddlepaddle|paddlenlp|adapter-transformers"
    r"|diffusers|peft|setfit|keras-nlp|open_clip|allennlp|asteroid|pyannote-audio|sklearn|scikit-learn"
)
"""Frameworks and the libraries that load models (a library named in the card runs the model)."""

CUES = Cues(
    yaml=("library_name", rf"tags=({FRAMEWORK_WORDS})"),
    prose=(
        r"^\s*[-*]?\s*(pytorch|tensorflow|jax|flax|keras|onnx ?runtime)\s+v?\d+\.\d+",
        r"\b(pytorch|tensorflow|jax/flax|onnx|tensorflow\.js|tflite|core ?ml|openvino)\b (model|version|weights|checkpoint|implementation|port)",
        r"\b(in|with|for|using) (pytorch|tensorflow|jax|keras|onnx)\b",
    ),
    code=(
        r"^\s*(from|import) (transformers|torch|tensorflow|keras|jax|flax|sentence_transformers|stable_baselines3|huggingface_sb3|sample_factory|spacy|flair|fairseq|nemo|speechbrain|timm|fastai|paddle\w*|diffusers|setfit|open_clip|onnxruntime|optimum|sklearn|allennlp|espnet\w*|pyannote|asteroid|peft)\b",
        r"\bSentenceTransformer\(",
        r"\b(AutoModel\w*|pipeline)\(|\.from_pretrained\(",
        r"\bspacy\.load\(",
        r"\bload_from_hub\(",
    ),
)  # fmt: skip


def _frameworks(package: Package) -> list[Evidence]:
    seen: dict[str, str] = {}
    for entry in package.files:
        for pattern, name in _COMPILED:
            if name not in seen and pattern.search(entry.path):
                seen[name] = entry.path
    if not seen:
        return []
    return [Evidence(path, f"framework: {name}") for name, path in seen.items()][:MAX_FRAMEWORKS]


PROBE = factor_probe(DEFINITION, CUES, _frameworks)
