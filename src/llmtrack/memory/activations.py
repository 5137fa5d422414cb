"""What a forward pass keeps for the backward pass (training), per token and layer, after
Korthikanti et al. (2022), adapted to the FFN's size and kind and to layers whose token
mixer is not attention; and what a forward pass without gradients holds at its peak
(inference), the larger of one layer's phases."""

from __future__ import annotations

from llmtrack.catalog.schema import Architecture
from llmtrack.memory.layers import ATTENTION_KINDS, has_ffn, layer_groups
from llmtrack.memory.shapes import ffn_linears, mixer_linears


def layer_activations(
    arch: Architecture,
    batch: int,
    seq_len: int,
    dtype_bytes: int,
    flash: bool,
    *,
    kind: str = "full",
    moe: bool | None = None,
) -> float:
    """Bytes one layer keeps for its backward pass (no dropout masks)."""
    tokens = batch * seq_len
    h = arch.hidden_size
    mixer = mixer_linears(arch, kind)
    attention = 0.0
    if mixer:
        heads_out = mixer[-1].inputs  # what the output projection reads
        projected = sum(m.outputs for m in mixer[:-1] if m.role != "conv")
        # the norm's output, q/k/v (or the latents, or the recurrent layer's projections),
        # and what the output projection reads
        attention = tokens * (h + projected + heads_out) * dtype_bytes
    if kind in ATTENTION_KINDS:
        if flash:
            attention += tokens * arch.heads * 4  # softmax statistics only
        else:
            # probabilities in fp32 (softmax is computed in fp32) and in the compute dtype
            attention += batch * arch.heads * seq_len * seq_len * (4 + dtype_bytes)
    # the FFN's input, the outputs of its input projections (gate and up, or fc1), what the
    # down projection reads (and, gated, the gate's activation apart from that product); with
    # experts, only the routed ones
    routed = bool(arch.experts) if moe is None else moe
    inner = 0
    for m in ffn_linears(arch, dense=not routed, active=True):
        if m.role.endswith(".in"):
            inner += m.outputs * m.count
        elif m.role.endswith(".out"):
            inner += m.inputs * m.count * (2 if arch.ffn_kind == "gated" else 1)
        else:  # the router's scores
            inner += m.outputs
    ffn = tokens * (h + inner) * dtype_bytes if has_ffn(arch, kind) else 0
    # Each of the two norms keeps its input, the residual stream. Gated-FFN models pair with
    # RMSNorm, which LLaMA-style code computes in fp32, so that copy is fp32.
    norm_bytes = 4 if arch.ffn_kind == "gated" else dtype_bytes
    sublayers = 1 if arch.separate_ffn else 2
    norms = sublayers * tokens * h * norm_bytes
    return attention + ffn + norms


def widest_layer(arch: Architecture, batch: int, seq_len: int, dtype_bytes: int, flash: bool):
    """Every tensor the widest layer makes, live at once or not: what gradient checkpointing
    recomputes at a time, and what inference's allocator has handed out within a layer."""
    return max(
        layer_activations(arch, batch, seq_len, dtype_bytes, flash, kind=group.kind, moe=group.moe)
        for group in layer_groups(arch)
    )


def inference_peak(
    arch: Architecture,
    batch: int,
    seq_len: int,
    dtype_bytes: int,
    flash: bool,
    fused_softmax: bool = False,
) -> tuple[float, str]:
    """Bytes a forward pass without gradients holds at its peak inside one layer, and the
    phase that holds them ("attention" for any token mixer, or "FFN").

    Nothing is kept for a backward pass, so each part of a layer frees its tensors before
    the next runs: the peak is the larger of the token mixer's phase and the FFN's, not the
    sum that ``layer_activations`` counts. Both phases hold the residual stream and the
    norm's output. The mixer holds its projections and what its output projection reads;
    eager attention also its scores, as transformers computes them (the masked scores in the
    compute dtype, their fp32 softmax, and its copy back: ``softmax(dtype=torch.float32)
    .to(dtype)`` while the input is still referenced), or as AutoAWQ's fused attention does
    (``fused_softmax``: ``F.softmax(scores.float())``, the scores, an fp32 copy and the fp32
    softmax; ``awq/modules/fused/attn.py`` line 190 in 0.1.6). A gated FFN holds the gate's
    activation, the up projection and their product at once (the gate's own output is freed
    as its activation is made), a plain one the first projection and its activation; with
    experts, those of the experts a token is routed to."""
    tokens = batch * seq_len
    stream = 2 * tokens * arch.hidden_size * dtype_bytes
    again = 0 if dtype_bytes == 4 else dtype_bytes  # .to(fp32) of fp32 is no copy
    per_score = 0 if flash else dtype_bytes + 4 + (4 if fused_softmax else again)
    peak, phase = 0.0, "attention"
    for group in layer_groups(arch):
        mixer = mixer_linears(arch, group.kind)
        mixing = 0.0
        if mixer:
            projected = sum(m.outputs for m in mixer[:-1] if m.role != "conv")
            mixing = tokens * (projected + mixer[-1].inputs) * dtype_bytes
        if group.kind in ATTENTION_KINDS:
            mixing += batch * arch.heads * seq_len * seq_len * per_score
        ffn = 0.0
        if has_ffn(arch, group.kind):
            matrices_in = 2 if arch.ffn_kind == "gated" else 1
            inner = sum(
                m.outputs * m.count // matrices_in
                for m in ffn_linears(arch, dense=not group.moe, active=True)
                if m.role.endswith(".in")
            )
            ffn = tokens * inner * (matrices_in + 1) * dtype_bytes
        if stream + max(mixing, ffn) > peak:
            peak, phase = stream + max(mixing, ffn), ("FFN" if ffn > mixing else "attention")
    return peak, phase


def training_activations(
    arch: Architecture,
    batch: int,
    seq_len: int,
    dtype_bytes: int,
    flash: bool,
    checkpointing: bool,
    *,
    offloaded: bool = False,
) -> float:
    """Bytes of activations on the GPU at the peak of a training step; ``offloaded``: the
    checkpointed layer inputs are kept in CPU RAM (Unsloth's), so only the layer being
    recomputed is on the GPU."""
    groups = layer_groups(arch)
    widest = widest_layer(arch, batch, seq_len, dtype_bytes, flash)
    layers = arch.layers + (arch.decoder_layers or 0)
    if checkpointing and offloaded:
        return widest
    if checkpointing:
        # each layer keeps its input; one layer at a time is recomputed in full
        return layers * batch * seq_len * arch.hidden_size * dtype_bytes + widest
    kept = sum(
        group.count
        * layer_activations(
            arch, batch, seq_len, dtype_bytes, flash, kind=group.kind, moe=group.moe
        )
        for group in groups
    )
    if arch.decoder_layers:  # encoder-decoder: decoder blocks counted like encoder blocks
        kept += arch.decoder_layers * widest
    return kept
