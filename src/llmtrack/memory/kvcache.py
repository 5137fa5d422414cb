"""What generation keeps per sequence: the key/value cache of attention layers, and the
fixed-size state of linear-attention and Mamba-2 layers.

An attention layer caches 2 x kv-heads x head-dim values per token (MLA: its latent), for
every token (full), the last ``sliding_window`` (sliding) or the current chunk (chunked). A
layer that reuses an earlier layer's keys and values caches nothing. Linear attention and
Mamba-2 hold a state whose size does not depend on the length at all, which is why a hybrid
model's cache at 128k tokens is a fraction of a transformer's.
"""

from __future__ import annotations

from llmtrack.catalog.schema import Architecture
from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.layers import KIND_LABEL, STATE_KINDS, layer_groups
from llmtrack.memory.shapes import head_shape

# Bits per cached value for each --kv-cache type. The ggml types store blocks of 32 values
# with an fp16 scale (q8_0: 34 bytes per 32 values; q4_0: 18; ggml-common.h); vLLM's fp8
# keeps one scale per tensor, which rounds to nothing.
KV_CACHE_BITS: dict[str, float] = {
    "f16": 16,
    "bf16": 16,
    "fp32": 32,
    "fp8": 8,
    "q8_0": 8.5,
    "q5_1": 6,
    "q5_0": 5.5,
    "q4_1": 5,
    "iq4_nl": 4.5,
    "q4_0": 4.5,
}
KV_CACHE_ALIASES = {"fp16": "f16", "float16": "f16", "fp8_e4m3": "fp8", "fp8_e5m2": "fp8"}
KV_CACHE_TYPES: tuple[str, ...] = (*KV_CACHE_BITS, *KV_CACHE_ALIASES)
_GGML_V = "llama.cpp quantizes the V cache only with flash attention on (-fa)"
KV_CACHE_NOTES = {
    "fp8": "fp8 KV cache as vLLM stores it (--kv-cache-dtype fp8): one byte per value, "
    "a scale per tensor",
    **{name: _GGML_V for name in ("q8_0", "q5_1", "q5_0", "q4_1", "iq4_nl", "q4_0")},
}

# Recurrent states are kept in the model's 16-bit dtype (vLLM's mamba_ssm_cache_dtype "auto")
# whatever --kv-cache says: its cache types quantize keys and values only.
STATE_BYTES = 2


def kv_cache_type(name: str) -> str:
    key = name.lower()
    key = KV_CACHE_ALIASES.get(key, key)
    if key not in KV_CACHE_BITS:
        raise UsageError(
            f"unknown KV-cache type {name!r}; choose from: {', '.join(KV_CACHE_TYPES)}"
        )
    return key


@lazy_dataclass(frozen=True)
class CacheSize:
    kv: float  # bytes of keys and values (or latents)
    state: float  # bytes of linear-attention and Mamba-2 states
    notes: tuple[str, ...]


def cache_size(arch: Architecture, batch: int, seq_len: int, kv_bits: float) -> CacheSize:
    """The cache of ``batch`` sequences of ``seq_len`` tokens, in bytes."""
    if arch.kind == "encoder":
        return CacheSize(0, 0, ())
    if arch.kind == "encoder-decoder":  # self- and cross-attention keys and values per token
        decoder = arch.decoder_layers or arch.layers
        return CacheSize(_per_token(arch, "full", kv_bits) * decoder * batch * seq_len * 2, 0, ())
    kv = state = 0.0
    notes: list[str] = []
    for group in layer_groups(arch):
        if group.kind == "ffn":
            continue  # no token mixer, nothing cached
        if group.kind in STATE_KINDS:
            state += group.count * batch * _state_bytes(arch, group.kind)
        elif group.caches:
            tokens = min(seq_len, _reach(arch, group.kind))
            kv += group.count * batch * tokens * _per_token(arch, group.kind, kv_bits)
    groups = layer_groups(arch)
    if len(groups) > 1 or groups[0].kind != "full" or not groups[0].caches:
        notes.append(_layout_note(arch, seq_len, state / batch))
    return CacheSize(kv, state, tuple(notes))


def _reach(arch: Architecture, kind: str) -> float:
    """How many past tokens a layer of this kind keeps."""
    if kind == "sliding" and arch.sliding_window:
        return arch.sliding_window
    if kind == "chunked" and arch.attention_chunk_size:
        return arch.attention_chunk_size
    return float("inf")


def _per_token(arch: Architecture, kind: str, kv_bits: float) -> float:
    if arch.latent_attention:  # one compressed latent and a shared rotary key per token
        latent = arch.latent_attention
        return (latent.kv_lora_rank + latent.rope_head_dim) * kv_bits / 8
    head_dim, kv_heads = head_shape(arch, kind)
    return 2 * kv_heads * head_dim * kv_bits / 8


def _state_bytes(arch: Architecture, kind: str) -> float:
    """One sequence's state in one layer: the recurrent (or SSM) state and the last
    ``conv_kernel - 1`` inputs of the short convolution."""
    if kind == "linear" and arch.linear_attention:
        la = arch.linear_attention
        recurrent = la.value_heads * la.key_head_dim * la.value_head_dim
        conv = (2 * la.key_heads * la.key_head_dim + la.value_heads * la.value_head_dim) * (
            la.conv_kernel - 1
        )
        return (recurrent + conv) * STATE_BYTES
    if kind == "mamba" and arch.mamba:
        m = arch.mamba
        ssm = m.heads * m.head_dim * m.state_size
        conv = (m.heads * m.head_dim + 2 * m.groups * m.state_size) * (m.conv_kernel - 1)
        return (ssm + conv) * STATE_BYTES
    if kind == "conv" and arch.conv_kernel:  # the last inputs of the convolution
        return arch.hidden_size * (arch.conv_kernel - 1) * STATE_BYTES
    raise UsageError(f"the architecture has {kind} layers but not their shapes")


def _layout_note(arch: Architecture, seq_len: int, state_per_sequence: float) -> str:
    counts: dict[str, int] = {}  # what a layer keeps -> how many layers (routed or dense alike)
    for group in layer_groups(arch):
        label = KIND_LABEL[group.kind]
        if group.kind == "ffn":
            what = f"{label}, no cache"
        elif group.kind in STATE_KINDS:
            what = f"{label}, a fixed state per sequence"
        elif not group.caches:
            what = f"{label} reusing earlier layers' keys and values"
        elif seq_len <= _reach(arch, group.kind):
            what = f"{label} caching all {seq_len} tokens"
        else:
            unit = "window" if group.kind == "sliding" else "chunk"
            what = f"{label} caching a {_reach(arch, group.kind):.0f}-token {unit} only"
        counts[what] = counts.get(what, 0) + group.count
    note = "layers: " + "; ".join(f"{n} {what}" for what, n in counts.items())
    if state_per_sequence:
        note += f" ({state_per_sequence / 2**20:.1f} MiB of state per sequence, 16-bit)"
    return note
