"""A base model's memory at a glance, for `show`: its weights at 16, 8 and 4 bits and its KV
cache per 1,000 tokens, each from the estimator's own components (so they agree with
`estimate`), with the commands that go further."""

from __future__ import annotations

from typing import NamedTuple

from llmtrack.catalog import schema
from llmtrack.errors import LlmtrackError
from llmtrack.memory.measure import GIB

SUMMARY_PRECISIONS = ("fp16", "int8", "nf4")  # 16-bit, 8-bit and 4-bit weights
CACHE_TOKENS = 1000


class MemorySummary(NamedTuple):
    weights_gib: dict[str, float]  # precision -> GiB of weights
    cache_gib_per_1k: float  # the KV cache (and any recurrent state) of 1,000 tokens, 16-bit


def memory_summary(base: schema.BaseModelEntry) -> MemorySummary | None:
    """None when the estimator cannot model the base (closed weights, no architecture)."""
    from llmtrack.memory.estimate import estimate
    from llmtrack.memory.fits import can_estimate
    from llmtrack.memory.recipe import Recipe

    if not can_estimate(base) or base.architecture is None:
        return None
    weights: dict[str, float] = {}
    cache = 0.0
    for name in SUMMARY_PRECISIONS:
        recipe = Recipe(precision=name, seq_len=CACHE_TOKENS)
        try:
            result = estimate(base.id, base.architecture, recipe, base.context_length)
        except LlmtrackError:  # a precision this model cannot take: left out, not guessed
            continue
        weights[name] = result.components["weights"] / GIB
        if name == "fp16":
            parts = ("kv_cache", "state")
            cache = sum(result.components.get(part, 0) for part in parts) / GIB
    return MemorySummary(weights, cache) if weights else None
