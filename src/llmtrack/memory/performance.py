"""Speed and cost beside an estimate: how fast the recipe runs on the card, and for a
training budget how long and how much. One function, used by `estimate` and `reproduce`;
`fits` puts only the decode speed on each row it shows (``row_speed.with_speed``)."""

from __future__ import annotations

from dataclasses import field

from llmtrack.catalog.schema import Architecture
from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.engines import engine_for
from llmtrack.memory.estimate import Estimate
from llmtrack.memory.fits import Card
from llmtrack.memory.kvcache import KV_CACHE_BITS
from llmtrack.memory.precisions import DEFAULT_GROUP_SIZE, precision
from llmtrack.memory.shapes import shapes
from llmtrack.memory.speed import decode_speed, hardware_of, prefill_speed
from llmtrack.memory.stacks import stack_named
from llmtrack.memory.training_time import TrainingTime, training_time


@lazy_dataclass(frozen=True)
class Budget:
    """What a fine-tune trains on: tokens, or examples of a length for some epochs."""

    train_tokens: int | None = None
    examples: int | None = None
    epochs: float = 1.0

    def tokens(self, seq_len: int) -> int | None:
        if self.train_tokens is not None and self.examples is not None:
            raise UsageError("give --train-tokens or --examples, not both")
        if self.train_tokens is not None:
            return self.train_tokens
        if self.examples is not None:
            return round(self.examples * seq_len * self.epochs)
        return None


@lazy_dataclass(frozen=True)
class Performance:
    decode_tokens_per_s: float | None = None
    prefill_tokens_per_s: float | None = None
    training: TrainingTime | None = None
    assumptions: list[str] = field(default_factory=list)


def performance(
    arch: Architecture,
    result: Estimate,
    card: Card,
    engine: str | None = None,
    budget: Budget | None = None,
    ram_gib: float = 0.0,
    ram_bandwidth_gb_s: float | None = None,
    usd_per_hour: float | None = None,
) -> Performance:
    recipe = result.recipe
    group = DEFAULT_GROUP_SIZE if recipe.group_size is None else recipe.group_size
    prec = precision(recipe.precision or "fp16", group)
    s = shapes(arch)
    seq_len = recipe.seq_len or 2048
    hw = hardware_of(card, recipe.gpus, ram_gib, ram_bandwidth_gb_s)
    notes: list[str] = []
    if recipe.mode != "inference":
        tokens = budget.tokens(seq_len) if budget is not None else None
        if tokens is None:
            return Performance(
                assumptions=["training time needs a budget: --train-tokens N or --examples N"]
            )
        rate = usd_per_hour if usd_per_hour is not None else card.usd_per_hour
        label = "--usd-per-hour" if usd_per_hour is not None else card.price_label
        train = training_time(
            arch, s, recipe.mode, tokens, seq_len, bool(recipe.gradient_checkpointing),
            card.tflops, recipe.gpus, rate, label, stack_named(recipe.stack), recipe.batch,
        )  # fmt: skip
        return Performance(training=train, assumptions=train.assumptions)
    if budget and (budget.train_tokens or budget.examples):
        raise UsageError("--train-tokens and --examples size a fine-tune: give --mode too")
    chosen = engine_for(engine, prec, card.unified)
    if result.verdict(card.memory_gib) == "no" and not ram_gib:
        notes.append(
            "it does not fit the card: the speed is what it would be if it did (--ram SIZE "
            "and --ram-bandwidth put the layers that do not fit in system RAM)"
        )
    kv_bits = KV_CACHE_BITS[recipe.kv_cache] if recipe.kv_cache else 16
    decode, decode_notes = decode_speed(arch, s, prec, hw, chosen, seq_len, recipe.batch, kv_bits)
    prefill, prefill_notes = prefill_speed(arch, s, hw, chosen, seq_len, prec)
    notes += decode_notes + prefill_notes
    if engine is None:
        notes.append(f"engine {chosen.name}: the default for {prec.name} (--engine to choose)")
    return Performance(decode, prefill, None, notes)
