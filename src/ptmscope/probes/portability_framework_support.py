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
        "TensorFlow, JAX/Flax, ONNX, OpenVINO, TFLite, Core ML, GGUF, Rust) or declares "
        "`library_name` / framework tags. Evidence lists every framework found."
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

CUES = Cues(
    yaml=("library_name", r"tags=(pytorch|tf|tensorflow|jax|flax|onnx|safetensors|coreml|openvino|tflite|gguf|keras)"),
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
