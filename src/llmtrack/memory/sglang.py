"""Serving with SGLang: a static share of the card for the weights and its KV pool.

Read in sglang 0.5.23 (the PyPI wheel of October 2026). ``mem_fraction_static`` is "(model
weights + KV cache pool) / GPU memory capacity"; the rest of the card is left for the
activations and the CUDA graphs. When it is not given, ``srt/arg_groups/memory_hook.py``
(``handle_gpu_memory_settings``) derives it from the card's memory as nvidia-smi reports
it, in MiB:

- ``chunked_prefill_size``: 2,048 tokens under 20 GB, 4,096 under 60 GB, 8,192 under
  160 GB, else 16,384; the decode CUDA graphs' largest batch: 8 under 20 GB, then 48 or 32
  (160 from 4 GPUs) under 35 and 60 GB, 256 (512 from 4 GPUs) under 160 GB, else 512;
- a reserve of 512 MB, 1.5 MB per token of the prefill chunk (at least 2,048), 1,024 MB per
  8 GPUs, 2 MB per decode graph batch and 8 MB per captured prefill graph (breakable CUDA
  graphs, on by default on CUDA, one per size of ``generate_prefill_cuda_graph_batch_sizes``
  up to the chunk), at least 10,240 MB on a card over 60 GB;
- ``mem_fraction_static = round((card - reserve) / card, 3)``.

The pool is then what is free after loading less the reserve's share of what was free
before (``mem_cache/kv_cache_configurator.py``, ``_profile_available_bytes``): the card less
its CUDA context, times ``mem_fraction_static``, less the weights. SGLang refuses to start
when that is not positive ("Loaded weights leave no GPU memory for the KV cache").
Speculative decoding, DP attention and a vision tower each take more of the card; they are
not modelled.
"""

from __future__ import annotations

from dataclasses import replace

from llmtrack.catalog.schema import Architecture
from llmtrack.memory.estimate import GIB, Estimate
from llmtrack.memory.measure import CUDA_CONTEXT_BYTES
from llmtrack.memory.serving import (
    Serving,
    engine_notes,
    refuse_generate_options,
    split_by_tensor,
    what_the_pool_holds,
)
from llmtrack.units import article_for, format_count

_GB = 1024  # SGLang's thresholds are in MiB, as nvidia-smi's memory.total
# (card below, in GB: prefill chunk, decode graph batch below 4 GPUs, from 4 GPUs)
_BY_CARD = (
    (20, 2048, 8, 8),
    (35, 4096, 48, 160),
    (60, 4096, 32, 160),
    (160, 8192, 256, 512),
    (None, 16384, 512, 512),
)


def prefill_graph_sizes(chunk: int) -> list[int]:
    """The token counts SGLang captures a prefill CUDA graph for, up to ``chunk``."""
    sizes = [
        *range(4, 33, 4),
        *range(48, 257, 16),
        *range(288, 513, 32),
        *range(576, 1025, 64),
        *range(1280, 4097, 256),
        *range(4608, chunk + 1, 512),
    ]
    return [size for size in sizes if size <= chunk]


def sglang_defaults(card_gib: float, gpus: int) -> tuple[int, int, float]:
    """``chunked_prefill_size``, the decode CUDA graphs' largest batch and
    ``mem_fraction_static``, as SGLang picks them for this card and tensor-parallel size."""
    card_mib = card_gib * _GB
    _, chunk, small_tp, large_tp = next(
        row for row in _BY_CARD if row[0] is None or card_mib < row[0] * _GB
    )
    max_bs = small_tp if gpus < 4 else large_tp
    reserve = _reserve_mib(chunk, max_bs, gpus)
    if card_mib > 60 * _GB:
        reserve = max(reserve, 10 * _GB)
    return chunk, max_bs, round((card_mib - reserve) / card_mib, 3)


def _reserve_mib(chunk: int, max_bs: int, gpus: int) -> float:
    """MiB SGLang keeps off its static share for activations and CUDA graphs."""
    reserve = 512 + max(chunk, 2048) * 1.5 + gpus / 8 * 1024
    return reserve + max_bs * 2 + len(prefill_graph_sizes(chunk)) * 8


# the least its default ever keeps: the smallest cards' chunk and decode graphs, one GPU
_LEAST_RESERVE = _reserve_mib(*_BY_CARD[0][1:3], 1) * 2**20


def on_sglang(
    result: Estimate,
    arch: Architecture,
    card_gib: float,
    mem_fraction_static: float | None = None,
) -> tuple[Estimate, Serving]:
    """The estimate as SGLang runs it on the card, and what its KV pool holds."""
    recipe = result.recipe
    refuse_generate_options(result, "SGLang")
    parts, split = split_by_tensor(result.components, arch, recipe.gpus, "SGLang")
    chunk, max_bs, default_fraction = sglang_defaults(card_gib, recipe.gpus)
    fraction = default_fraction if mem_fraction_static is None else mem_fraction_static
    context = parts.get("cuda_context", CUDA_CONTEXT_BYTES)
    free_before = card_gib * GIB - context
    reserve = round(free_before * (1 - fraction))
    pool = int(free_before * fraction - parts["weights"])
    components = {
        "weights": parts["weights"],
        "kv_cache": parts["kv_cache"],
        **({"state": parts["state"]} if "state" in parts else {}),
        "sglang_reserve": reserve,
        "cuda_context": context,
    }
    kv_tokens, sequences = what_the_pool_holds(parts, recipe, max(pool, 0))
    said = (
        f"mem_fraction_static {fraction:g} (--mem-fraction-static)"
        if mem_fraction_static is not None
        else f"mem_fraction_static {fraction:g}, SGLang 0.5.23's default for "
        f"{article_for(f'{card_gib:g}')} {card_gib:g} GiB "
        f"card and {recipe.gpus} GPU{'s' if recipe.gpus > 1 else ''} (prefill chunk "
        f"{chunk:,} tokens, decode graphs to batch {max_bs})"
    )
    notes = engine_notes(result, split, "SGLang")
    notes += [
        f"SGLang: {said}: the weights and the KV pool take that share of the card, the rest "
        f"({reserve / GIB:.2f} GiB) is kept for activations and CUDA graphs",
        f"the KV pool gets {max(pool, 0) / GIB:.2f} GiB, {format_count(kv_tokens, 'token')}, "
        f"{format_count(sequences, 'request')} of {recipe.seq_len:,} at once; nvidia-smi shows "
        "the weights and the pool from the start, and what activations and CUDA graphs take "
        "of the rest as it serves",
        "speculative decoding, DP attention and a vision tower, which take more, are not counted",
    ]
    if reserve < _LEAST_RESERVE:
        notes.append(
            f"only {reserve / GIB:.2f} GiB is left for activations and CUDA graphs, less than "
            "SGLang's own default ever keeps: serving may run out of memory (a lower "
            "--mem-fraction-static)"
        )
    if pool <= 0:
        notes.append(
            "SGLang would not start: the weights leave no memory for the KV pool under "
            f"mem_fraction_static {fraction:g} (raise --mem-fraction-static, or more GPUs)"
        )
    elif sequences < 1:
        notes.append(
            f"its KV pool cannot hold one request of {recipe.seq_len:,} tokens "
            "(lower --seq-len; SGLang's --context-length)"
        )
    serving = Serving(
        "sglang",
        max(pool, 0),
        kv_tokens,
        sequences,
        (
            ("mem_fraction_static", fraction),
            ("chunked_prefill_size", chunk),
            ("cuda_graph_max_bs", max_bs),
        ),
    )
    return replace(result, components=components, assumptions=notes, paged=frozenset()), serving
