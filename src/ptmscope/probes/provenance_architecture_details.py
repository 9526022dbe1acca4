"""Provenance · architecture details: what network this is."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="provenance.architecture_details",
    kind=ProbeKind.FACTOR,
    attribute="provenance",
    factor="architecture_details",
    short="Architecture details",
    motivation=(
        "The architecture decides hardware needs, compatible tooling and which upstream "
        "weaknesses are inherited."
    ),
    implementation=(
        "Present if `config.json` names `model_type`/`architectures`, a safetensors header "
        "gives the parameter count, or a filled architecture section or prose describes layers "
        "or parameters."
    ),
    remediation=(
        "Ship `config.json` with `model_type` and `architectures`, and state the architecture "
        "and parameter count in a 'Model details' section."
    ),
)

CUES = Cues(
    config=("model_type", "architectures"),
    headings=(r"model architecture", r"\barchitecture\b", r"model (description|details|type)", r"technical specifications"),
    prose=(
        r"\b\d+(\.\d+)?\s*[MBK]\b.{0,15}param",
        r"\b(\d+ (transformer )?layers?|hidden size|attention heads)\b",
        r"\*\*model type:\*\*\s*\S",
    ),
    files=(r"^modules\.json$", r"(^|/)sentence_bert_config\.json$", r"^params\.json$"),
)  # fmt: skip


def _parameters(package: Package) -> list[Evidence]:
    counted = [w for w in package.weights if w.parameters]
    if not counted:
        return []
    total = sum(w.parameters or 0 for w in counted)
    dtypes = sorted({d for w in counted for d in w.dtypes})
    return [Evidence(counted[0].path, f"{total:,} parameters ({', '.join(dtypes)})")]


PROBE = factor_probe(DEFINITION, CUES, _parameters)
