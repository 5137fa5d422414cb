"""The LoRA adapter a fine-tune trains: rank and targets, as the recipe, the stack's API or
PEFT's and QLoRA's defaults choose them, and the parameters it adds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmtrack.catalog.schema import Architecture
from llmtrack.errors import UsageError
from llmtrack.memory.layers import has_ffn, layer_groups
from llmtrack.memory.recipe import DEFAULT_LORA
from llmtrack.memory.shapes import Linear, ffn_linears, mixer_linears
from llmtrack.memory.stacks import stack_named

if TYPE_CHECKING:
    from llmtrack.memory.recipe import Plan, Recipe


def lora_params(arch: Architecture, recipe: Recipe, plan: Plan, notes: list[str]) -> int:
    """Trainable parameters of the LoRA adapter the recipe (or the stack's default) adds,
    with the assumption said."""
    rank, targets = stack_named(recipe.stack).lora_default or DEFAULT_LORA[recipe.mode]
    if recipe.lora_rank is not None:
        rank = recipe.lora_rank
    if recipe.lora_targets is not None:
        targets = recipe.lora_targets
    dense = ffn_linears(arch, dense=True)
    routed = [m for m in ffn_linears(arch) if m.role != "router"] if arch.experts else []
    layer_kinds: list[tuple[list[Linear], int]] = []
    for group in layer_groups(arch):
        mixer = mixer_linears(arch, group.kind)
        if targets == "attention":  # q and v projections, PEFT's default for LLaMA-style models
            # (layers without attention have neither)
            chosen = [m for m in mixer if m.role in ("q", "v")]
        else:  # every nn.Linear: a depthwise convolution is not one
            ffn = (routed if group.moe else dense) if has_ffn(arch, group.kind) else []
            chosen = [m for m in mixer if m.role != "conv"] + ffn
        layer_kinds.append((chosen, group.count))
    if targets == "attention":
        what = "q and v projections"
    else:
        what = "every linear layer" + (", every expert" if arch.experts else "")
    # a rank-r adapter on a matrix adds r x (inputs + outputs) weights
    per_rank = sum(
        layers * sum((m.inputs + m.outputs) * m.count for m in matrices)
        for matrices, layers in layer_kinds
    )
    widest = max((max(m.inputs, m.outputs) for ms, _ in layer_kinds for m in ms), default=0)
    if widest and rank > widest:
        # a rank past every matrix's size adds weights and no capacity: a typo, most likely
        raise UsageError(
            f"--lora-rank {rank:,} is larger than any matrix it adapts (the widest is "
            f"{widest:,}); LoRA ranks are usually 8 to 256"
        )
    params = per_rank * rank
    if arch.decoder_layers:  # encoder-decoder: the decoder's self-attention matches the encoder's
        params += params * arch.decoder_layers // arch.layers
    dtype = "fp32" if plan.adapter_bytes == 4 else "bf16"
    notes.append(f"LoRA rank {rank} on {what}: {params / 1e6:.1f}M trainable parameters, {dtype}")
    return params
