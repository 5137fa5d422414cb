"""The architecture of an open model: what the memory estimator needs, as config.json says it.

Plain fields are the transformer every model shares (layers, widths, heads, the FFN). The
optional records and fields describe what 2024-26 families add: experts, latent attention,
and layers that differ from one another (a window, chunks, or a recurrent state instead of a
cache). ``memory.layers`` reads them into one description per layer.
"""

from __future__ import annotations

from llmtrack.catalog.records import Record, about, record
from llmtrack.catalog.values import (
    ArchitectureKind,
    Count,
    FfnKind,
    LayerKind,
    PositionKind,
    Size,
    Text,
)


@record
class LatentAttention(Record):
    """DeepSeek-V2's multi-head latent attention: keys and values go through a low-rank
    latent, which is what the KV cache holds."""

    q_lora_rank: Count | None = about("null when queries are a plain projection", None)
    kv_lora_rank: Count = about("the compressed key/value latent the cache holds")
    rope_head_dim: Size = about("qk_rope_head_dim (0: no rotary part, GLM-5.3-Flash)")
    nope_head_dim: Count = about("qk_nope_head_dim")
    v_head_dim: Count = about("v_head_dim")


@record
class LinearAttention(Record):
    """Linear-attention layers (Gated DeltaNet in Qwen3-Next): a fixed-size recurrent state
    per sequence instead of a cache that grows with every token."""

    key_heads: Count = about("linear_num_key_heads", example=16)
    value_heads: Count = about("linear_num_value_heads", example=32)
    key_head_dim: Count = about("linear_key_head_dim", example=128)
    value_head_dim: Count = about("linear_value_head_dim", example=128)
    conv_kernel: Count = about("linear_conv_kernel_dim: the short convolution's width", example=4)


@record
class Mamba(Record):
    """Mamba-2 layers (Granite 4.0-H, Nemotron-H): a state space model whose state per
    sequence does not grow with its length."""

    heads: Count = about("mamba_n_heads", example=128)
    head_dim: Count = about("mamba_d_head", example=64)
    state_size: Count = about("mamba_d_state", example=128)
    groups: Count = about("mamba_n_groups", example=1)
    conv_kernel: Count = about("mamba_d_conv: the short convolution's width", example=4)


@record
class Architecture(Record):
    """What the memory estimator needs, as the model's config states it."""

    kind: ArchitectureKind = about("the transformer's layout", "decoder")
    layers: Count = about("transformer blocks (encoder blocks for encoder-decoder)", example=32)
    decoder_layers: Count | None = about("encoder-decoder models only", None, feature=True)
    hidden_size: Count = about("d_model", example=4096)
    heads: Count = about("attention heads", example=32)
    kv_heads: Count | None = about(
        "key/value heads (fewer than heads with grouped-query attention)", None
    )
    head_dim: Count | None = about("only when it is not hidden_size / heads", None, feature=True)
    ffn_size: Count = about("intermediate size of the feed-forward block", example=11008)
    ffn_kind: FfnKind = about("mlp (two matrices) or gated (three: SwiGLU, GeGLU)", example="gated")
    activation: Text | None = about("e.g. gelu, silu, relu", None)
    vocab_size: Count | None = about("as in config.json (padded size)", None, example=32000)
    tied_embeddings: bool | None = about("true when lm_head shares the embedding matrix", None)
    position: PositionKind | None = about("how positions are encoded (none: NoPE)", None)
    sliding_window: Count | None = about(
        "tokens a windowed layer attends to, when the model uses one", None, feature=True
    )
    sliding_window_pattern: Count | None = about(
        "every Nth layer attends globally (Gemma 2: 2); null: every layer uses the window",
        None,
        feature=True,
    )
    layer_types: tuple[LayerKind, ...] | None = about(
        "each layer's kind, as config.json's layer_types: full, sliding, chunked, linear, "
        "mamba, conv (a short convolution) or ffn (an FFN alone); a shorter list is a "
        "pattern repeated from layer 0 (Qwen3-Next: [linear, linear, linear, full]); null: "
        "every layer is full (or follows sliding_window_pattern)",
        None,
        feature=True,
    )
    separate_ffn: bool | None = about(
        "each layer is one sub-layer, its mixer alone or (kind ffn) an FFN alone, as "
        "Nemotron-H's hybrid_override_pattern; null: every layer has a mixer and an FFN",
        None,
        feature=True,
    )
    conv_kernel: Count | None = about(
        "the short convolution's width in conv layers (LFM2: conv_L_cache)", None, feature=True
    )
    attention_chunk_size: Count | None = about(
        "tokens per chunk of a chunked layer (Llama 4: 8192)", None, feature=True
    )
    linear_attention: LinearAttention | None = about(
        "the shapes of the linear-attention layers", None, feature=True
    )
    mamba: Mamba | None = about("the shapes of the Mamba-2 layers", None, feature=True)
    attention_gate: bool | None = about(
        "attention layers gate their output with a second query-sized projection (Qwen3-Next's "
        "gated attention: q_proj twice as wide)",
        None,
        feature=True,
    )
    global_head_dim: Count | None = about(
        "full-attention layers' head size, when it differs from the others'", None, feature=True
    )
    global_kv_heads: Count | None = about(
        "full-attention layers' key/value heads, when they differ", None, feature=True
    )
    kv_shared_layers: Count | None = about(
        "the last N layers reuse earlier layers' keys and values and cache none (Gemma 3n)",
        None,
        feature=True,
    )
    kv_shared_ffn_size: Count | None = about(
        "the FFN width of those reusing layers, when it differs (Gemma 4 E2B: 12288)",
        None,
        feature=True,
    )
    experts: Count | None = about(
        "mixture of experts: routed experts per layer", None, feature=True
    )
    experts_per_token: Count | None = about(
        "routed experts each token uses (top-k)", None, feature=True
    )
    expert_ffn_size: Count | None = about(
        "one expert's intermediate size, when not ffn_size", None, feature=True
    )
    shared_expert_ffn_size: Count | None = about(
        "all always-on shared experts together", None, feature=True
    )
    dense_layers: Count | None = about(
        "leading layers with a dense FFN instead of experts", None, feature=True
    )
    moe_layer_step: Count | None = about(
        "every Nth layer after the dense ones has experts, the rest a dense FFN of ffn_size "
        "(Llama 4 Maverick: 2)",
        None,
        feature=True,
    )
    latent_attention: LatentAttention | None = about(
        "DeepSeek-V2 multi-head latent attention", None, feature=True
    )
    per_layer_embedding: Count | None = about(
        "Gemma 3n's per-layer embeddings: vocab x layers x this many values, which can be "
        "kept off the GPU",
        None,
        feature=True,
    )
    mtp_layers: Count | None = about(
        "multi-token-prediction modules after the last layer, loaded only for speculative decoding",
        None,
        feature=True,
    )
    vision_params: Count | None = about(
        "parameters of a vision or audio tower and its projector: weights, but no text cache",
        None,
        unit="parameters",
        feature=True,
    )


def inconsistencies(arch: Architecture) -> list[tuple[str, str]]:
    """(field, message) for what an architecture says that cannot be: a layer kind whose
    shapes are missing, or counts that contradict each other. The estimator could not size
    such a model, so a catalog that holds one is refused when it is read."""
    found = []
    kinds = set(arch.layer_types or ())
    needs = {
        "linear": ("linear_attention", arch.linear_attention),
        "mamba": ("mamba", arch.mamba),
        "chunked": ("attention_chunk_size", arch.attention_chunk_size),
        "sliding": ("sliding_window", arch.sliding_window),
        "conv": ("conv_kernel", arch.conv_kernel),
        "ffn": ("separate_ffn: true", arch.separate_ffn or None),
    }
    for kind, (name, value) in needs.items():
        if kind in kinds and value is None:
            found.append(("layer_types", f"{kind} layers need {name}"))
    if arch.layer_types and len(arch.layer_types) > arch.layers:
        found.append(("layer_types", f"{len(arch.layer_types)} kinds for {arch.layers} layers"))
    if arch.layer_types and arch.sliding_window_pattern:
        found.append(("sliding_window_pattern", "give layer_types or this pattern, not both"))
    if arch.kv_shared_layers and arch.kv_shared_layers >= arch.layers:
        found.append(("kv_shared_layers", "must be fewer than layers: some layer must cache"))
    if arch.kv_heads and arch.kv_heads > arch.heads:
        found.append(("kv_heads", f"more key/value heads than the {arch.heads} query heads"))
    if arch.experts and arch.experts_per_token and arch.experts_per_token > arch.experts:
        found.append(("experts_per_token", f"more than the {arch.experts} experts"))
    for name in ("experts_per_token", "expert_ffn_size", "moe_layer_step", "dense_layers"):
        if getattr(arch, name) and not arch.experts:
            found.append((name, "only for a mixture of experts: give experts"))
    return found
