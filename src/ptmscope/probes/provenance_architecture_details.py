"""Provenance · architecture details: what network this is."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import Cues, factor_probe, stated
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
        "Architecture facts beyond a name: present if `config.json` names `model_type`/"
        "`architectures`, a safetensors header gives the parameter count, or the card states "
        "layers, sizes, heads, vocabulary, parameter count or compute (GMACs), maximum sequence "
        "length, the kinds of layers or blocks it is built from, an encoder- or decoder-only "
        "layout, 'the same architecture as X' with what differs, or a pipeline of several "
        "components (prose, tables or a printed architecture), or has a filled architecture "
        "section. A name alone does not count: 'a fine-tuned version of X', 'an "
        "encoder-decoder Transformer', a template 'Model type:' line, a one-component pipeline."
    ),
    remediation=(
        "Ship `config.json` with `model_type` and `architectures`, and state the architecture "
        "and parameter count in a 'Model details' section."
    ),
)

CUES = Cues(
    config=("model_type", "architectures"),
    headings=(r"model architecture", r"\barchitecture\b", r"technical specifications", r"full model architecture"),
    prose=(
        r"\b\d+(\.\d+)?\s*[MBK]\b.{0,40}\bparam",
        r"\bparam(eter)?s? (\([mbk]\)|count|\(millions?\))\W{0,3}\d|\bgmacs\b\W{0,3}\d",
        r"\b\d+[- ](transformer |encoder |decoder |hidden )?(layers?|blocks)\b",
        r"\b(hidden|embedding|model) size|\b(hidden|embedding|model) dimension",
        r"\battention heads\b",
        r"\b(encoder|decoder)-only\b",
        r"\b\d[\d,.]*k? ?(wordpiece|sentencepiece|bpe|byte-level bpe|token)s? vocab",
        r"\bvocabulary (size )?of \d",
        r"\b(bi-?lstm|crf layer)\b",
        r"\b(convolution(al)?|conv|attention|self-attention|normali[sz]ation|pooling|residual|mbconv|lstm|gru|recurrent|feed-?forward|dense)[ -](blocks?|layers?|modules?)\b",
        r"\b(silu|gelu|relu|swish|mish) activations?\b",
        r"\bmax(imum)? (sequence|input|context) length (of|is) \d|\bmax_position_embeddings\b\W{0,3}\d",
        r"\bposition(al)? embedding(s| matrix)\b",
        r"\(\d+(\.\d+)?m\)|\(\d+(\.\d+)?b\)",
        r"\b(same|identical) architecture\b",
        r"\|\s*\*\*components\*\*\s*\|[^|\n]*,",
        r"\b\d+[ -]?layer\b",
    ),
    code=(
        r"^\s*(encoder|decoder)\s*:\s*\w+",
        r"\b(num_hidden_layers|n_layers?|num_layers|hidden_size|d_model|num_attention_heads|n_head|output_size|elayers|dlayers)\b\s*[:=]\s*\d",
        r"\(0\): Transformer\(|\bPooling\(\{",
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


PROBE = factor_probe(DEFINITION, CUES, _parameters, keep=stated)
