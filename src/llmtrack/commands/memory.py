"""The memory estimator's commands: estimate and fits."""

import json
from dataclasses import replace
from typing import Annotated

import typer

from llmtrack.cli import (
    OutputSpec,
    _card,
    _catalog,
    _completer,
    _emit_rows,
    _note,
    _resolve,
    app,
    listing,
)
from llmtrack.errors import UsageError

VramOption = Annotated[
    str | None,
    typer.Option("--vram", help="Memory of one card, e.g. 24GB (GiB, as nvidia-smi counts)."),
]
GpuOption = Annotated[
    str | None,
    typer.Option(
        "--gpu",
        help='A GPU preset by name, e.g. "RTX 4090" (see llmtrack gpus).',
        autocompletion=_completer("gpus"),
    ),
]
GpusOption = Annotated[
    int, typer.Option("--gpus", min=1, help="Number of GPUs (memory is per GPU).")
]
SeqLenOption = Annotated[
    int | None,
    typer.Option(
        "--seq-len", min=1, help="Tokens per sequence [default: context up to 2048; 512 to train]."
    ),
]
BatchOption = Annotated[int, typer.Option("--batch", min=1, help="Sequences per batch (per GPU).")]


def _estimable_base(catalog, name: str):
    """The base model ``name`` denotes. A project stands for its base model: the one its name
    gives (``vicuna-13b``), or its only one."""
    from llmtrack.errors import NotFoundError
    from llmtrack.match import NameIndex

    index = NameIndex.build(catalog, ["base_models", "projects"])
    resolution = _resolve(index, name, "model")
    entry = catalog.get(resolution.entry_id)
    if entry.section == "projects":
        if resolution.base:
            base = catalog.get(resolution.base)
        else:
            bases = [catalog.get(b) for b in entry.base_models]
            open_bases = [b for b in bases if b.architecture is not None]
            if len(open_bases) != 1:
                options = (
                    ", ".join(b.id for b in open_bases) or "none with a published architecture"
                )
                raise NotFoundError(
                    f"{entry.name} is built on several base models; which one: {options}?"
                )
            base = open_bases[0]
        _note(f"estimating {entry.name} on its base model {base.id}")
        entry = base
    if entry.architecture is None or entry.architecture.vocab_size is None:
        raise NotFoundError(
            f"{entry.name} has no published architecture (access: {entry.access}); "
            "the estimator needs layers, hidden size, heads and vocabulary"
        )
    return entry


@app.command("estimate")
def estimate_command(
    model: Annotated[
        str,
        typer.Argument(
            help="A base model (or a project on one base): llama-7b, 'Pythia 12B', ...",
            autocompletion=_completer("base_models", "projects"),
        ),
    ],
    mode: Annotated[
        str, typer.Option("--mode", help="inference, lora, qlora or full.")
    ] = "inference",
    precision_name: Annotated[
        str | None,
        typer.Option(
            "--precision",
            help="fp32, fp16, bf16, int8, nf4, nf4-dq, gptq-4bit, gptq-3bit, q4_0, q4_1, q5_0, "
            "q5_1, q8_0, f16 (int4 = nf4) [default: fp16; nf4-dq for qlora; bf16 for full].",
        ),
    ] = None,
    seq_len: SeqLenOption = None,
    batch: BatchOption = 1,
    gradient_checkpointing: Annotated[
        bool | None,
        typer.Option(
            "--gradient-checkpointing/--no-gradient-checkpointing",
            help="Recompute activations in the backward pass [default: on for qlora].",
        ),
    ] = None,
    lora_rank: Annotated[
        int | None, typer.Option("--lora-rank", min=1, help="LoRA rank [default: 8; 64 for qlora].")
    ] = None,
    lora_targets: Annotated[
        str | None,
        typer.Option(
            "--lora-targets",
            help="attention (q, v) or all-linear [default: attention; all-linear for qlora].",
        ),
    ] = None,
    optimizer: Annotated[
        str | None,
        typer.Option(
            "--optimizer",
            help="adamw, adamw-8bit, paged-adamw or sgd "
            "[default: paged-adamw for qlora, else adamw].",
        ),
    ] = None,
    gpus: GpusOption = 1,
    zero: Annotated[
        int | None, typer.Option("--zero", help="DeepSpeed ZeRO stage 0-3 for multi-GPU training.")
    ] = None,
    fsdp: Annotated[
        bool, typer.Option("--fsdp", help="PyTorch FSDP full sharding (like ZeRO-3).")
    ] = False,
    group_size: Annotated[
        int, typer.Option("--group-size", help="GPTQ group size (-1: one scale per column).")
    ] = 128,
    eager_attention: Annotated[
        bool,
        typer.Option(
            "--eager-attention", help="Materialise the attention matrix (no FlashAttention/SDPA)."
        ),
    ] = False,
    all_logits: Annotated[
        bool,
        typer.Option(
            "--all-logits",
            help="Inference: logits for every prompt position, not just the last "
            "(older transformers releases).",
        ),
    ] = False,
    vram: VramOption = None,
    gpu: GpuOption = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="text (default), json or yaml.")
    ] = None,
) -> None:
    """Estimate the peak GPU memory of running or fine-tuning a model, component by component.

    Examples:

      llmtrack estimate llama-7b --mode qlora --gpu "RTX 4090"

      llmtrack estimate pythia-12b --precision int8 --seq-len 1024 --vram 16GB

      llmtrack estimate llama-13b --mode full --gpus 8 --zero 3 --format json
    """
    from llmtrack.estimate_view import estimate_record, render_estimate
    from llmtrack.fits import estimate_base
    from llmtrack.memory import Recipe
    from llmtrack.output import check_format, to_yaml, write_output

    fmt = check_format(fmt or "text", ("text", "json", "yaml"))
    recipe = Recipe(
        mode=mode,
        precision=precision_name,
        seq_len=seq_len,
        batch=batch,
        gradient_checkpointing=gradient_checkpointing,
        lora_rank=lora_rank,
        lora_targets=lora_targets,
        optimizer=optimizer,
        gpus=gpus,
        zero=zero,
        fsdp=fsdp,
        group_size=group_size,
        flash_attention=not eager_attention,
        all_logits=all_logits,
    )
    catalog = _catalog()
    card = _card(catalog, vram, gpu, gpus)
    base = _estimable_base(catalog, model)
    result = estimate_base(base, recipe)
    if fmt == "text":
        write_output(render_estimate(result, base.name, card), None)
    elif fmt == "json":
        write_output(json.dumps(estimate_record(result, base.name, card), indent=2) + "\n", None)
    else:
        write_output(to_yaml(estimate_record(result, base.name, card)), None)


_FIT_FIELDS = (
    "kind",
    "model",
    "name",
    "mode",
    "precision",
    "peak_gib",
    "headroom_gib",
    "verdict",
    "fits",
    "params",
    "source",
    "note",
)
_FIT_TABLE = ("model", "mode", "precision", "peak_gib", "headroom_gib", "verdict", "note")
_FIT_PLAIN = ("kind", "model", "mode", "precision", "peak_gib", "headroom_gib", "verdict", "source")


@app.command("fits")
@listing
def fits_command(
    vram: VramOption = None,
    gpu: GpuOption = None,
    gpus: GpusOption = 1,
    mode: Annotated[
        list[str] | None, typer.Option("--mode", help="inference, lora, qlora, full (repeatable).")
    ] = None,
    precision_name: Annotated[
        list[str] | None,
        typer.Option("--precision", help="Weight precision (repeatable), e.g. fp16, int8, nf4."),
    ] = None,
    seq_len: SeqLenOption = None,
    batch: BatchOption = 1,
    show_all: Annotated[bool, typer.Option("--all", help="Also list what does not fit.")] = False,
    *,
    out: OutputSpec,
) -> None:
    """What fits on a card: every open model x recipe, estimated, and what projects report.

    Default recipes: inference at fp16, int8 and nf4, LoRA (fp16), QLoRA (nf4-dq) and full
    fine-tuning (bf16, AdamW). Best first: what fits, biggest model first.

    Examples:

      llmtrack fits --vram 24GB

      llmtrack fits --gpu "RTX 4090" --mode qlora --mode lora

      llmtrack fits --gpu t4 --precision int8 --format json
    """
    from llmtrack.fits import DEFAULT_RECIPES, estimable, fit_rows, reported_rows
    from llmtrack.memory import Recipe
    from llmtrack.records import Row

    catalog = _catalog()
    card = _card(catalog, vram, gpu, gpus)
    if card is None:
        raise UsageError("give the card: --vram SIZE (e.g. 24GB) or --gpu NAME")
    if mode or precision_name:
        modes = mode or ["inference"]
        precisions = precision_name or [None]
        recipes = [Recipe(m, p, seq_len=seq_len, batch=batch) for m in modes for p in precisions]
    else:
        recipes = [replace(r, seq_len=seq_len, batch=batch) for r in DEFAULT_RECIPES]
    rows = fit_rows(estimable(catalog), recipes, card)
    if not show_all:
        rows = [row for row in rows if row.fits]
    rows += reported_rows(catalog, card)
    size = f"{card.memory_gib:g} GiB" + (f" x {card.gpus} GPUs" if card.gpus > 1 else "")
    _note(f"card: {card.label}, {size}")
    records = []
    for row in rows:
        record = {name: getattr(row, name) for name in _FIT_FIELDS}
        records.append(Row(record, record))
    _emit_rows(
        records,
        lambda: _FIT_FIELDS,
        (_FIT_TABLE, _FIT_PLAIN),
        out,
        "models",
        title=f"{card.label} ({size})",
    )
