"""The decode speed `fits` puts on each inference row it shows.

A speed has two halves: what one generation step reads and computes (the model, its
precision, the context: ``speed.decode_step``), and how fast the card does that
(``speed.step_speed``). The first half does not depend on the card, so `fits` remembers it
between runs beside the peaks (``remembered.remembered_steps``), and a later `fits` on any
card only divides.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmtrack.catalog import schema
from llmtrack.catalog.store import Catalog
from llmtrack.memory.fits import Card, FitRow
from llmtrack.memory.remembered import remembered_steps
from llmtrack.memory.speed import DecodeStep


def step_of(
    base: schema.BaseModelEntry,
    precision_name: str | None,
    seq_len: int | None,
    batch: int,
    kv_cache: str | None,
) -> DecodeStep | None:
    """One generation step of the model at the row's context (``seq_len``, or its own
    context up to 2,048 tokens); None for a model that does not generate."""
    from llmtrack.memory.kvcache import KV_CACHE_BITS, kv_cache_type
    from llmtrack.memory.precisions import precision
    from llmtrack.memory.shapes import shapes
    from llmtrack.memory.speed import decode_step

    arch = base.architecture
    if arch is None or arch.kind == "encoder":
        return None
    context = seq_len or min(base.context_length or 2048, 2048)
    kv_bits = KV_CACHE_BITS[kv_cache_type(kv_cache)] if kv_cache else 16
    return decode_step(
        arch, shapes(arch), precision(precision_name or "fp16"), context, batch, kv_bits
    )


def with_speed(
    row: FitRow,
    base: schema.BaseModelEntry,
    seq_len: int | None,
    batch: int,
    card: Card,
    kv_cache: str | None = None,
    step: list | None = None,
) -> FitRow:
    """The row with its decode speed, for an inference row on a card whose bandwidth is
    known, from the default engine for its format. ``step``: its decode step, when already
    worked out."""
    if row.mode != "inference" or not card.bandwidth_gb_s or base.architecture is None:
        return row
    from llmtrack.memory.engines import engine_for
    from llmtrack.memory.precisions import precision
    from llmtrack.memory.speed import hardware_of, step_speed

    worked_out = (
        DecodeStep(*step) if step else step_of(base, row.precision, seq_len, batch, kv_cache)
    )
    if worked_out is None:
        return row
    engine = engine_for(None, precision(row.precision or "fp16"), card.unified)
    speed, _ = step_speed(worked_out, hardware_of(card, card.gpus), engine, batch)
    row.decode_tokens_per_s = round(speed, 1) if speed else None
    return row


def with_speeds(
    rows: list[FitRow],
    catalog: Catalog,
    seq_len: int | None,
    batch: int,
    card: Card,
    kv_cache: str | None,
    precisions: Sequence[str],
) -> list[FitRow]:
    """Every row with its decode speed, the steps of ``precisions`` (and each model's own
    format) remembered between runs."""
    if not card.bandwidth_gb_s or not any(row.mode == "inference" for row in rows):
        return rows
    steps = remembered_steps(catalog, precisions, seq_len, batch, kv_cache) or {}
    return [
        with_speed(
            row,
            catalog.get(row.model),
            seq_len,
            batch,
            card,
            kv_cache,
            steps.get(row.model, {}).get(row.precision or "fp16"),
        )
        for row in rows
    ]
