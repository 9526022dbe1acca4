"""Portability · quantized model: a smaller variant for constrained targets."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import Cues, factor_probe, stated
from ptmscope.vocab import ProbeKind
from ptmscope.weights import QUANTIZED_DTYPES

DEFINITION = Definition(
    id="portability.quantized_model",
    kind=ProbeKind.FACTOR,
    attribute="portability",
    factor="quantized_model",
    short="Quantized variant",
    motivation=(
        "Edge and CPU deployments need int8/int4 weights; a quantized variant saves the reuser "
        "a calibration step and its accuracy risk."
    ),
    implementation=(
        "Present if quantized files ship (GGUF, `quantize_config.json`, int8/int4 file names, "
        "integer or fp8 safetensors dtypes), `config.json` has `quantization_config`, YAML says "
        "`base_model_relation: quantized` or tags gptq/awq/gguf, or prose names a quantization "
        "scheme. fp16/bf16 are precisions, not quantization; a heading over an empty section "
        "and a promise ('8-bit weights coming soon') are not a variant."
    ),
    remediation=(
        "Publish a quantized variant (GGUF, GPTQ/AWQ, ONNX int8) and link it, with its accuracy "
        "difference."
    ),
)

CUES = Cues(
    yaml=("base_model_relation=quantized", r"tags=(gguf|gptq|awq|4-?bit|8-?bit|int[48]|quantized|exl2)"),
    config=("quantization_config",),
    files=(r"\.gguf$", r"(^|/)quantize_config\.json$", r"(int8|int4|q4|q8|quant)[^/]*\.(onnx|bin|safetensors|tflite)$"),
    headings=(r"quantiz",),
    prose=(r"\b(int8|int4|8-?bit|4-?bit|gguf|gptq|awq|bitsandbytes|q[2-8]_k(_[sml])?)\b",),
)  # fmt: skip


def _dtypes(package: Package) -> list[Evidence]:
    for weight in package.weights:
        quantized = QUANTIZED_DTYPES.intersection(weight.dtypes)
        if quantized and weight.parameters:
            return [Evidence(weight.path, f"quantized dtypes {', '.join(sorted(quantized))}")]
    return []


PROBE = factor_probe(DEFINITION, CUES, _dtypes, keep=stated)
