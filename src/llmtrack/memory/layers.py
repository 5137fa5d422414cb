"""What each layer of a model is: its token mixer, whether its FFN is routed experts, and
whether it keeps a cache of its own. The one place the architecture's layer patterns are read.

Layers come in groups of identical layers (``LayerGroup``), so that a 94-layer model with
two kinds of layer costs two entries, not 94, wherever a size is summed.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

from llmtrack.catalog.schema import Architecture
from llmtrack.lazyclass import lazy_dataclass

ATTENTION_KINDS = frozenset({"full", "sliding", "chunked"})  # kinds that cache keys and values
STATE_KINDS = frozenset({"linear", "mamba", "conv"})  # a fixed state per sequence

KIND_LABEL = {
    "full": "full attention",
    "sliding": "sliding-window attention",
    "chunked": "chunked attention",
    "linear": "linear attention (Gated DeltaNet)",
    "mamba": "Mamba-2",
    "conv": "short convolution",
    "ffn": "FFN-only",
}


@lazy_dataclass(frozen=True)
class LayerGroup:
    """``count`` identical layers."""

    kind: str  # full, sliding, chunked, linear or mamba
    moe: bool  # its FFN is routed experts (else a dense FFN of ffn_size)
    caches: bool  # False when it reuses an earlier layer's keys and values
    count: int

    @property
    def attends(self) -> bool:
        return self.kind in ATTENTION_KINDS


def has_mixer(kind: str) -> bool:
    return kind != "ffn"


def has_ffn(arch: Architecture, kind: str) -> bool:
    """Whether a layer of this kind has an FFN: every layer, unless the model splits them
    into mixer-only and FFN-only layers (Nemotron-H)."""
    return kind == "ffn" or not arch.separate_ffn


def kind_of_layer(arch: Architecture, index: int) -> str:
    """The token mixer of layer ``index`` (from 0)."""
    if arch.layer_types:
        return arch.layer_types[index % len(arch.layer_types)]
    if not arch.sliding_window:
        return "full"
    every = arch.sliding_window_pattern
    # as transformers reads sliding_window_pattern: every Nth layer, counting from 1, is global
    return "full" if every and (index + 1) % every == 0 else "sliding"


def _kind_period(arch: Architecture) -> int:
    if arch.layer_types:
        return len(arch.layer_types)
    return (arch.sliding_window_pattern or 1) if arch.sliding_window else 1


def has_experts(arch: Architecture, index: int) -> bool:
    if not arch.experts or index < (arch.dense_layers or 0):
        return False
    step = arch.moe_layer_step or 1
    return (index + 1) % step == 0  # transformers' Llama 4: layers step-1, 2*step-1, ... routed


# Worked out once per architecture object: `fits` sizes every model several times.
_GROUPS: dict[int, tuple[Architecture, tuple[LayerGroup, ...]]] = {}


def layer_groups(arch: Architecture) -> tuple[LayerGroup, ...]:
    """The model's layers, grouped by what they are, in order of first appearance."""
    known = _GROUPS.get(id(arch))
    if known is not None and known[0] is arch:
        return known[1]
    shared_from = arch.layers - min(arch.kv_shared_layers or 0, arch.layers)
    counts: Counter = Counter()
    # what a layer is repeats with a period (its kind's pattern, the experts' step) within
    # segments cut by the leading dense layers and the trailing KV-sharing ones: a segment
    # is counted over one period times its repeats, never layer by layer (a config may say
    # 10^8 layers)
    period = math.lcm(_kind_period(arch), arch.moe_layer_step or 1)
    cuts = sorted({0, arch.layers, min(arch.dense_layers or 0, arch.layers), shared_from})
    for start, end in itertools.pairwise(cuts):
        repeats, rest = divmod(end - start, period)
        for i in range(start, start + min(period, end - start)):
            n = repeats + (1 if i - start < rest else 0)
            kind = kind_of_layer(arch, i)
            routed = has_experts(arch, i) and has_ffn(arch, kind)  # a mixer alone has none
            counts[(kind, routed, i < shared_from)] += n
    groups = tuple(
        LayerGroup(kind, moe, caches, n) for (kind, moe, caches), n in counts.items() if n
    )
    _GROUPS[id(arch)] = (arch, groups)
    return groups


def count_by_kind(arch: Architecture) -> dict[str, int]:
    counts: dict[str, int] = {}
    for group in layer_groups(arch):
        counts[group.kind] = counts.get(group.kind, 0) + group.count
    return counts


def is_uniform(arch: Architecture) -> bool:
    """Every layer plain full attention with the same FFN: the 2023 transformer."""
    groups = layer_groups(arch)
    return len(groups) == 1 and groups[0].kind == "full" and groups[0].caches
