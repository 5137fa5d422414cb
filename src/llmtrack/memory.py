"""Memory arithmetic from a model's architecture. Pure functions, no I/O."""

from __future__ import annotations

from llmtrack.schema import Architecture


def parameter_count(arch: Architecture, context_length: int | None = None) -> int | None:
    """Weights implied by the architecture: embeddings, attention and FFN matrices, and an
    untied output head. Biases and norms are left out (well under 1 % of any model here), so
    this is a check on a published count, not a replacement for it. None when the
    architecture lacks a number it needs."""
    if arch.vocab_size is None or arch.tied_embeddings is None:
        return None
    head_dim = arch.head_dim or arch.hidden_size // arch.heads
    kv_heads = arch.kv_heads or arch.heads
    query_out = arch.hidden_size * arch.heads * head_dim * 2  # W_q and W_o
    key_value = arch.hidden_size * kv_heads * head_dim * 2
    attention = query_out + key_value
    ffn = arch.hidden_size * arch.ffn_size * (3 if arch.ffn_kind == "gated" else 2)

    embeddings = arch.vocab_size * arch.hidden_size
    if arch.position == "learned" and context_length:
        embeddings += context_length * arch.hidden_size
    head = (
        0 if arch.tied_embeddings or arch.kind == "encoder" else arch.vocab_size * arch.hidden_size
    )

    layers = arch.layers * (attention + ffn)
    if arch.kind == "encoder-decoder":
        # each decoder block adds cross-attention to the encoder's output
        layers += (arch.decoder_layers or arch.layers) * (2 * attention + ffn)
    return embeddings + layers + head
