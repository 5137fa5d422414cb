"""Sharded training: what a ZeRO or FSDP run holds beyond the weights, gradients and
optimizer state it partitions, its gradient buckets and the parameters it gathers whole.

Gradient buckets (DeepSpeed):

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

Gathered parameters: a sharded layer computes on its whole parameters, all-gathered from
every GPU just before it runs and freed after.

- FSDP (PyTorch 2.x, read in the 2.3.1 wheel): with the default ``limit_all_gathers=True``
  at most two units are gathered at once, "the current instance running computation and
  the next instance whose all-gather is prefetched"; with the default ``backward_prefetch
  = BACKWARD_PRE`` the backward pass "holds the current set of parameters, next set of
  parameters, and current set of gradients" (``fsdp/api.py``). The root unit, which the
  usual per-layer wrapping leaves with the embeddings, the final norm and the output head,
  is never freed between forward and backward ("Do not free the root's parameters in the
  post-forward for FULL_SHARD", ``_runtime_utils.py``, ``_post_forward_reshard``).
- ZeRO-3 (DeepSpeed) gathers each module's parameters as it runs and prefetches the next
  ``stage3_prefetch_bucket_size`` elements (5e7 by default): at the peak, the largest
  module's parameters and that bucket.
"""

from __future__ import annotations

from llmtrack.catalog.schema import Architecture
from llmtrack.memory.measure import GIB
from llmtrack.memory.recipe import Recipe
from llmtrack.memory.shapes import Shapes

DEFAULT_REDUCE_BUCKET_SIZE = 500_000_000  # elements, DeepSpeed's zero_optimization default
DEFAULT_PREFETCH_BUCKET_SIZE = 50_000_000  # elements, stage3_prefetch_bucket_size's default


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


def gathered_parameters(
    arch: Architecture,
    s: Shapes,
    recipe: Recipe,
    weights: float,
    kept_bytes: float,
    grad_bytes: int,
    logits: float,
    notes: list[str],
) -> float:
    """Bytes of parameters (and, for FSDP, gradients) gathered whole on each GPU at the peak,
    beyond its shard: 0 unless FSDP or ZeRO-3 shards the weights over several GPUs.

    ``weights`` is the whole model's, unsharded; ``kept_bytes`` the width of what stays
    unquantized (the embeddings and head); ``grad_bytes`` the base's gradient width when it
    is trained (0 for an adapter, whose gradients are small); ``logits`` what the loss holds,
    which is freed before the layers' backward passes gather them again."""
    if not recipe.training or recipe.gpus == 1 or not (recipe.fsdp or recipe.zero == 3):
        return 0.0
    root = (s.embedding + s.head) * kept_bytes
    layers = arch.layers + (arch.decoder_layers or 0)
    layer = max(weights - root, 0.0) / layers
    per_param = layer / (s.linear / layers) if s.linear else 0.0  # a layer's bytes per weight
    if recipe.fsdp:
        gradients = s.linear / layers * grad_bytes  # one layer's, unsharded
        # the layers' backward passes begin once the loss has freed the logits and their
        # gradient, so the two gathered layers (and one's gradients) and the logits never
        # meet: the peak holds the larger
        layers_at_once = 2 * layer + gradients
        gathered = root + max(0.0, layers_at_once - logits)
        layers_said = "two layers" + (" and one layer's gradients" if gradients else "")
        notes.append(
            f"FSDP gathers whole parameters: the root unit (embeddings and head, "
            f"{root / GIB:.2f} GiB, from the forward to the backward pass), and {layers_said} "
            f"({layers_at_once / GIB:.2f} GiB) once the loss has freed the logits: "
            f"{gathered / GIB:.2f} GiB more at the peak"
        )
        return gathered
    largest = max(s.embedding * kept_bytes, s.head * kept_bytes, _widest_linear(arch) * per_param)
    bucket = DEFAULT_PREFETCH_BUCKET_SIZE * kept_bytes
    notes.append(
        f"ZeRO-3 gathers each module's parameters as it runs: the largest module "
        f"({largest / GIB:.2f} GiB) and a prefetch bucket of {DEFAULT_PREFETCH_BUCKET_SIZE:,} "
        f"elements ({bucket / GIB:.2f} GiB)"
    )
    return largest + bucket


def _widest_linear(arch: Architecture) -> int:
    """The weights of the largest matrix in any layer (a set of experts counts as one each)."""
    from llmtrack.memory.layers import layer_groups
    from llmtrack.memory.shapes import ffn_linears, mixer_linears

    matrices = [m for g in layer_groups(arch) for m in mixer_linears(arch, g.kind)]
    matrices += ffn_linears(arch, dense=True) + (ffn_linears(arch) if arch.experts else [])
    return max((m.inputs * m.outputs for m in matrices), default=0)
