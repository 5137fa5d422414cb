"""How fast a model runs on a card, from first principles: generation reads every active
weight and the whole cache once per step, so it is bound by memory bandwidth; a prompt is
processed in one pass of matrix products, so it is bound by tensor throughput. Each engine
reaches a fraction of either peak, a named constant (``engines``), and the arithmetic here
is the same for every engine.

Pure: an architecture, a precision, a card's figures and an engine in; tokens per second
and the assumptions out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from llmtrack.catalog.schema import Architecture
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.engines import Engine
from llmtrack.memory.kvcache import cache_size
from llmtrack.memory.layers import ATTENTION_KINDS, layer_groups
from llmtrack.memory.precisions import Precision
from llmtrack.memory.shapes import Shapes, head_shape
from llmtrack.memory.weights import weight_bytes

if TYPE_CHECKING:
    from llmtrack.memory.fits import Card

GB = 1e9  # bandwidths are decimal GB/s, as vendors state them


@lazy_dataclass(frozen=True)
class Hardware:
    """What speed depends on: per-card bandwidth and dense tensor throughput, and how many."""

    bandwidth_gb_s: float | None
    tflops: float | None  # dense BF16/FP16
    gpus: int = 1
    ram_gib: float = 0.0  # system RAM holding the layers that do not fit
    ram_bandwidth_gb_s: float | None = None
    vram_gib: float | None = None
    # GeForce cards multiply FP16 with FP16 accumulation at twice their FP32-accumulate rate
    # (the figure tflops holds; NVIDIA's Ampere and Ada whitepapers list both); llama.cpp's
    # GEMMs accumulate in FP16, datacenter cards run both at one rate
    half_accumulate: float = 1.0


def half_accumulate_factor(card_name: str) -> float:
    return 2.0 if "geforce" in card_name.lower() else 1.0


def hardware_of(
    card: Card, gpus: int, ram_gib: float = 0.0, ram_bandwidth_gb_s: float | None = None
) -> Hardware:
    """The figures speed needs, from the card the user named (``gpus`` of it)."""
    return Hardware(
        card.bandwidth_gb_s,
        card.tflops,
        gpus,
        ram_gib,
        ram_bandwidth_gb_s,
        card.memory_gib,
        card.half_accumulate,
    )


def read_per_token(arch: Architecture, s: Shapes, prec: Precision, batch: int) -> float:
    """Bytes of weights one generation step reads: every matrix a token passes through (the
    routed experts the batch's tokens pick), the head, never the embedding table (a row
    lookup) or a vision tower."""
    total = weight_bytes(arch, s, prec, 16)
    per_param = total / max(s.total, 1)
    skipped = s.vision + s.per_layer_embedding + (0 if arch.tied_embeddings else s.embedding)
    read = total - skipped * per_param
    if arch.experts and s.expert:
        k = (arch.experts_per_token or arch.experts) / arch.experts
        touched = 1 - (1 - k) ** batch  # the share of experts some token of the batch routes to
        read -= s.expert * (1 - touched) * per_param
    return read


class DecodeStep(NamedTuple):
    """What one generation step of a batch reads and computes: the card-independent half of
    a decode speed (``fits`` remembers it between runs, as it does the peaks)."""

    weights: float  # bytes of weights read
    cache: float  # bytes of KV cache and recurrent state read
    flops: float  # the batch's matrix and attention FLOPs
    layers: int


def decode_step(
    arch: Architecture, s: Shapes, prec: Precision, context: int, batch: int, kv_bits: float
) -> DecodeStep:
    """One step of ``batch`` sequences generating at ``context`` tokens."""
    cache = cache_size(arch, batch, context, kv_bits)
    flops = batch * (2 * s.active + attention_flops(arch, context, decode=True))
    return DecodeStep(
        read_per_token(arch, s, prec, batch), cache.kv + cache.state, flops, arch.layers
    )


def decode_speed(
    arch: Architecture,
    s: Shapes,
    prec: Precision,
    hw: Hardware,
    engine: Engine,
    context: int,
    batch: int = 1,
    kv_bits: float = 16,
) -> tuple[float | None, list[str]]:
    """Tokens per second per sequence while generating at ``context`` tokens."""
    if arch.kind == "encoder":
        return None, ["an encoder does not generate: no decode speed"]
    return step_speed(decode_step(arch, s, prec, context, batch, kv_bits), hw, engine, batch)


def step_speed(
    step: DecodeStep, hw: Hardware, engine: Engine, batch: int = 1
) -> tuple[float | None, list[str]]:
    """Tokens per second per sequence of a decode step on these cards with this engine."""
    notes: list[str] = []
    if not hw.bandwidth_gb_s:
        return None, ["decode speed needs the card's memory bandwidth (--bandwidth)"]
    weights = step.weights
    cards = hw.gpus if engine.split == "tensor" else 1  # layer split: one card at a time
    bandwidth = hw.bandwidth_gb_s * GB * cards * engine.decode_bandwidth
    if cards > 1:
        bandwidth *= engine.tensor_parallel
    seconds = (weights + step.cache) / bandwidth
    offloaded = _offloaded_share(hw, weights)
    if offloaded:
        ram = (hw.ram_bandwidth_gb_s or 0) * GB * engine.decode_bandwidth
        if not ram:
            return None, ["layers in system RAM: give its bandwidth (--ram-bandwidth)"]
        seconds = (weights * (1 - offloaded) + step.cache) / bandwidth
        seconds += weights * offloaded / ram
        notes.append(
            f"{offloaded:.0%} of the weights read from system RAM at {hw.ram_bandwidth_gb_s:g} GB/s"
        )
    if hw.tflops:  # a large batch is bound by the matrix products instead
        compute = step.flops / (hw.tflops * 1e12 * cards * engine.prefill_compute)
        if compute > seconds:
            notes.append(f"batch {batch}: bound by tensor throughput, not bandwidth")
            seconds = compute
    seconds += step.layers * engine.layer_overhead_us * 1e-6
    notes.append(
        f"decode reads {weights / 2**30:.2f} GiB of weights and {step.cache / 2**30:.2f} GiB "
        f"of cache per step at {engine.decode_bandwidth:.0%} of {hw.bandwidth_gb_s:g} GB/s, "
        f"plus {engine.layer_overhead_us:g} us per layer ({engine.name})"
    )
    return 1 / seconds, notes


def prefill_speed(
    arch: Architecture, s: Shapes, hw: Hardware, engine: Engine, prompt: int, prec: Precision
) -> tuple[float | None, list[str]]:
    """Tokens per second of processing a prompt of ``prompt`` tokens with weights in ``prec``."""
    if not hw.tflops:
        return None, ["prompt speed needs the card's tensor throughput (--tflops)"]
    flops = prompt * 2 * s.active + attention_flops(arch, prompt)
    cards = hw.gpus if engine.split == "tensor" else 1  # layer split: one card at a time
    peak = hw.tflops * (hw.half_accumulate if engine.half_accumulate else 1.0)
    share = engine.prompt_share(quantized=prec.bits < 16)
    seconds = flops / (peak * 1e12 * cards * share)
    note = f"prompt processing at {share:.0%} of {hw.tflops:g} dense TFLOPS ({engine.name})"

    return prompt / seconds, [note]


def attention_flops(arch: Architecture, tokens: int, decode: bool = False) -> float:
    """Forward FLOPs of the attention scores and their weighted sum over a causal prompt of
    ``tokens``: each attention layer multiplies every query by the keys before it, twice.
    ``decode``: one new token's, over a cache of ``tokens``."""
    flops = 0.0
    for group in layer_groups(arch):
        if group.kind not in ATTENTION_KINDS:
            continue
        head_dim, _ = head_shape(arch, group.kind)
        reach = tokens
        if group.kind == "sliding" and arch.sliding_window:
            reach = min(tokens, arch.sliding_window)
        elif group.kind == "chunked" and arch.attention_chunk_size:
            reach = min(tokens, arch.attention_chunk_size)
        # QK^T and AV, 2 FLOPs per multiply-add; causal: on average half the reach
        queries = 1 if decode else tokens / 2
        flops += group.count * 2 * 2 * arch.heads * head_dim * queries * reach
    return flops


def _offloaded_share(hw: Hardware, weights: float) -> float:
    """The share of the weights that live in system RAM (0 when they fit the cards)."""
    if not hw.ram_gib or hw.vram_gib is None:
        return 0.0
    room = hw.vram_gib * hw.gpus * 2**30
    return max(0.0, min(1.0, 1 - room / weights)) if weights > room else 0.0
