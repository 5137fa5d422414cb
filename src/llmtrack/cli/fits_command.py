"""`llmtrack fits`: what fits on a card, every open model x recipe, and what projects report."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtrack.cli import session
from llmtrack.cli.estimator_options import KvCacheOption, MeasureOption, StackOption
from llmtrack.cli.options import (
    BatchOption,
    GpuOption,
    GpusOption,
    SeqLenOption,
    VramOption,
    choice_option,
    complete_ids,
    listing,
)
from llmtrack.memory.measure import measure_named
from llmtrack.memory.precisions import EXL_FORMS, PRECISIONS
from llmtrack.memory.recipe import MODES
from llmtrack.output.listing import OutputSpec


@listing
def fits_command(
    vram: VramOption = None,
    gpu: GpuOption = None,
    gpus: GpusOption = 1,
    mode: Annotated[
        list[str] | None,
        choice_option("--mode", values=MODES, after=" (repeatable)."),
    ] = None,
    precision_name: Annotated[
        list[str] | None,
        choice_option(
            "--precision",
            values=PRECISIONS,
            forms=EXL_FORMS,
            before="Weight precision (repeatable): ",
        ),
    ] = None,
    kv_cache: KvCacheOption = None,
    measure: MeasureOption = None,
    stack: StackOption = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            metavar="MODEL",
            help="Only these models, every recipe (repeatable): a catalog name, a "
            "config.json or .gguf file, or a Hugging Face repo id.",
            autocompletion=complete_ids("base_models", "projects"),
        ),
    ] = None,
    seq_len: SeqLenOption = None,
    batch: BatchOption = 1,
    show_all: Annotated[bool, typer.Option("--all", help="Also list what does not fit.")] = False,
    all_recipes: Annotated[
        bool,
        typer.Option("--all-recipes", help="Every precision of each mode, not only the best."),
    ] = False,
    *,
    out: OutputSpec,
) -> None:
    """What fits on a card: every open model x recipe, estimated, and what projects report.

    Each mode is tried at its precisions: inference at fp16, int8 and nf4, LoRA (fp16),
    QLoRA (nf4-dq), full fine-tuning (bf16, AdamW); --mode picks modes, --precision
    precisions. One row per model and mode, its highest precision that fits (--all-recipes
    for every one). Best first: what fits, biggest model first.

    Examples:

      llmtrack fits --vram 24GB

      llmtrack fits --gpu "RTX 4090" --mode qlora --mode lora

      llmtrack fits --gpu t4 --precision int8 --format json

      llmtrack fits --gpu rtx-5090 --model qwen3-32b --model ./config.json

      llmtrack fits --vram 24GB --mode qlora --stack unsloth --seq-len 16384
    """
    from llmtrack.memory.fits import fits_on
    from llmtrack.output.listing import emit
    from llmtrack.output.listings import fits_listing

    if measure is not None:
        measure = measure_named(measure)  # as spelled here, for the caption
    if stack is not None:
        from llmtrack.memory.stacks import stack_named

        stack = stack_named(stack).name
    catalog = session.load()

    card = session.card(catalog, vram, gpu, gpus, remembered=session.settings())
    if model:
        rows = _fits_of_models(
            catalog, card, model, mode, precision_name, seq_len, batch, kv_cache, measure, stack
        )
        emit(fits_listing(rows, card, seq_len, batch, measure, stack), out, session.current().env)
        return
    notes: list[str] = []
    rows = fits_on(
        catalog,
        card,
        mode or (),
        precision_name or (),
        seq_len,
        batch,
        show_all,
        all_recipes,
        kv_cache,
        notes,
        measure,
        stack,
    )
    for line in notes:
        session.note(line)
    emit(fits_listing(rows, card, seq_len, batch, measure, stack), out, session.current().env)


def _fits_of_models(
    catalog, card, names, modes, precisions, seq_len, batch, kv_cache, measure, stack
):
    from llmtrack.errors import UsageError
    from llmtrack.memory.models import fits_of, model_to_estimate

    if card is None:
        raise UsageError(
            "give the card: --vram SIZE (e.g. 24GB) or --gpu NAME, or remember one with "
            "`llmtrack config set gpu NAME`"
        )
    models = []
    for name in names:
        chosen = model_to_estimate(catalog, name)
        for line in chosen.notes:
            session.note(line)
        models.append(chosen)
    return fits_of(
        models, card, modes or (), precisions or (), seq_len, batch, kv_cache, measure, stack
    )
