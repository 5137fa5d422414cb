"""The bytes of a model's weights in a format: which tensors the format quantizes, at how
many bits each, and which it leaves at 16 bits."""

from __future__ import annotations

from llmtrack.catalog.schema import Architecture
from llmtrack.memory.precisions import Precision
from llmtrack.memory.shapes import Shapes, params_by_role, quantized_matrices

# Tensors no weight format here quantizes: a convolution's few weights are kept as they are
UNQUANTIZED_ROLES = frozenset({"conv"})


def weight_bytes(arch: Architecture, s: Shapes, prec: Precision, kept_bits: float) -> float:
    """The loaded weights (multi-token prediction left out) in ``prec``; ``kept_bits`` is
    the width of what the format leaves unquantized."""
    outside = prec.bits if prec.quantizes_embeddings else kept_bits
    # a tied embedding is the output head too, and quantized as one (llama.cpp)
    embedding_role = "head" if arch.tied_embeddings else "embedding"
    total = s.embedding * prec.bits_for(embedding_role, outside)
    total += s.per_layer_embedding * prec.bits_for("embedding", outside)
    total += s.head * prec.bits_for("head", outside)
    if not prec.ggml:  # llama.cpp loads a vision tower from its own mmproj file, for images only
        total += s.vision * (prec.bits if prec.quantizes_embeddings else kept_bits)
    if prec.is_uniform:  # one width for every matrix: no need to split them by role
        return (total + s.linear * prec.bits) / 8
    if prec.overrides and all(role in ("head", "embedding") for role, _ in prec.overrides):
        return (total + s.linear * prec.bits) / 8
    for role, params in params_by_role(arch).items():
        if role in UNQUANTIZED_ROLES or (prec.experts_only and not role.startswith("expert.")):
            total += params * kept_bits
        else:
            total += params * prec.bits_for(role, prec.bits)
    return total / 8


def dequantized_matrix(arch: Architecture, prec: Precision, act_bytes: int) -> tuple[int, str]:
    """Bytes of the one 4-bit matrix a fine-tune has dequantized at a time, and what says
    so; 0 for other precisions. bitsandbytes' ``MatMul4Bit`` multiplies by
    ``dequantize_4bit(B, quant_state).to(A.dtype)`` in its forward and backward passes
    (0.45.0, ``autograd/_functions.py``): the 16-bit matrix, and its copy when the
    activations are fp32 (PEFT's cast); Unsloth's ``fast_dequantize`` makes the same 16-bit
    matrix."""
    if not prec.name.startswith("nf4"):
        return 0, ""
    copy = 0 if act_bytes == 2 else act_bytes
    size = max(i * o for i, o in quantized_matrices(arch)) * (2 + copy)
    said = "16-bit and in the fp32 activations' dtype" if copy else "16-bit"
    return size, f"one 4-bit matrix at a time dequantized to multiply ({said}), freed after"
