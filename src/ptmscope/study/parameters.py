"""A model's parameter count estimated from its ``config.json`` (no weights needed).

The study database holds cards and configs, not weights, so ``select``'s size baseline
(ranking by model size, which a 2026 transferability benchmark found hard to beat) needs
the count from the architecture's numbers: per transformer layer, attention (4·h²) and
the feed-forward block (2·h·ffn); an encoder-decoder's decoder layers add cross-attention
(4·h²); plus token and position embeddings. Within a few percent of the published counts
for the common families (bert-base 109M, gpt2 124M, t5-base 223M); a config without a
hidden size and a layer count gives ``None`` (unknown), never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_HIDDEN = ("hidden_size", "d_model", "n_embd", "dim", "embed_dim", "model_dim")
_LAYERS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "encoder_layers")
_DECODER = ("num_decoder_layers", "decoder_layers")
_FFN = ("intermediate_size", "d_ff", "n_inner", "ffn_dim", "hidden_dim", "encoder_ffn_dim")
_POSITIONS = ("max_position_embeddings", "n_positions", "max_seq_len")
MAX_PARAMETERS = 10**13
"""Larger estimates come from nonsense configs: unknown instead."""


def _number(config: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def estimate_parameters(config: Mapping[str, Any] | None) -> int | None:
    """The estimated parameter count, or ``None`` when the config does not say enough."""
    if not isinstance(config, Mapping):
        return None
    text = config.get("text_config")  # multimodal configs nest the language model's numbers
    if _number(config, _HIDDEN) is None and isinstance(text, Mapping):
        config = text
    hidden = _number(config, _HIDDEN)
    layers = _number(config, _LAYERS)
    if hidden is None or layers is None:
        return None
    ffn = _number(config, _FFN) or 4 * hidden
    per_layer = 4 * hidden * hidden + 2 * hidden * ffn
    decoder = _number(config, _DECODER) if config.get("is_encoder_decoder") else None
    total = layers * per_layer + (decoder or 0) * (per_layer + 4 * hidden * hidden)
    total += (_number(config, ("vocab_size",)) or 0) * hidden
    total += (_number(config, _POSITIONS) or 0) * hidden
    return total if total <= MAX_PARAMETERS else None
