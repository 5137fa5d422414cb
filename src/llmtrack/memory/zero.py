"""DeepSpeed ZeRO's gradient buckets: memory a ZeRO run holds beyond the weights, gradients
and optimizer state it partitions.

From DeepSpeed's source (deepspeed/runtime/zero/stage_1_and_2.py, ``backward``, and
``zero/config.py``, read at 38327e0, February 2025; the same since 2020): with
``contiguous_gradients`` (on by default) every backward pass of stages 1 and 2 allocates an
``ipg_buffer`` of ``reduce_bucket_size`` elements in the trained parameters' dtype, and a
second one when ``overlap_comm`` is on, held until the optimizer step releases them. Stage 3
keeps one such flat buffer from the start (``stage3.py``, ``__ipg_bucket_flat_buffer``).
``reduce_bucket_size`` defaults to 5e8 elements, so a 16-bit run holds 0.93 GiB per bucket
whatever it trains, a LoRA adapter of a few million parameters too; ``overlap_comm`` is on
by default for stage 3 only. Configs often set both: Qwen's finetune/ds_config_zero2.json
has 2e8 with overlap_comm true; HF's Trainer fills "auto" with hidden_size squared.
"""

from __future__ import annotations

from llmtrack.memory.recipe import Recipe

DEFAULT_REDUCE_BUCKET_SIZE = 500_000_000  # elements, DeepSpeed's zero_optimization default


def zero_buckets(recipe: Recipe, param_bytes: int, notes: list[str]) -> int:
    """Bytes of ZeRO's gradient buckets on each GPU (0 without ZeRO stage 1-3)."""
    stage = recipe.zero
    if not recipe.training or recipe.fsdp or stage is None or stage == 0:
        return 0
    size = recipe.reduce_bucket_size or DEFAULT_REDUCE_BUCKET_SIZE
    overlap = recipe.overlap_comm if recipe.overlap_comm is not None else stage == 3
    buffers = 2 if overlap and stage in (1, 2) else 1
    said = "set" if recipe.reduce_bucket_size else "DeepSpeed's default"
    notes.append(
        f"ZeRO-{stage} gradient bucket{'s' if buffers > 1 else ''}: {buffers} x "
        f"{size:,.0f} elements ({said}) in {8 * param_bytes}-bit"
        + (", overlap_comm on" if overlap else "")
        + " (--reduce-bucket-size, --overlap-comm)"
    )
    return buffers * size * param_bytes
