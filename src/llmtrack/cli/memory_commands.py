"""The memory estimator's main command: estimate (fits and reproduce have their own modules)."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtrack.cli import session
from llmtrack.cli.estimator_options import (
    BandwidthOption,
    CudaContextOption,
    EngineOption,
    FuseLayersOption,
    GptqKernelOption,
    HalfLogitsOption,
    KvCacheOption,
    LegacyCacheOption,
    MeasureOption,
    MemFractionStaticOption,
    NewTokensOption,
    OverlapCommOption,
    ReduceBucketOption,
    StackOption,
    TflopsOption,
    UnquantizedOption,
)
from llmtrack.cli.options import (
    DETAIL_FORMATS,
    BatchOption,
    DetailFormatOption,
    EpochsOption,
    ForceOption,
    GpuOption,
    GpusOption,
    OutputOption,
    SeqLenOption,
    UsdPerHourOption,
    VramOption,
    choice_option,
    complete_ids,
)
from llmtrack.errors import UsageError
from llmtrack.memory.precisions import EXL_FORMS, PRECISIONS
from llmtrack.memory.recipe import LORA_TARGETS, MODES, OPTIMIZERS


def estimate_command(
    model: Annotated[
        str,
        typer.Argument(
            help="A base model (or a project on one base): llama-7b, 'Pythia 12B', ...; "
            "or a config.json or .gguf file, or a Hugging Face repo id (Org/Name).",
            autocompletion=complete_ids("base_models", "projects"),
        ),
    ],
    mode: Annotated[
        str,
        choice_option("--mode", values=MODES),
    ] = "inference",
    precision_name: Annotated[
        str | None,
        choice_option(
            "--precision",
            values=PRECISIONS,
            forms=EXL_FORMS,
            after=" [default: fp16; nf4-dq for qlora; bf16 for full].",
        ),
    ] = None,
    kv_cache: KvCacheOption = None,
    unquantized: UnquantizedOption = None,
    measure: MeasureOption = None,
    seq_len: SeqLenOption = None,
    batch: BatchOption = 1,
    packed: Annotated[
        bool,
        typer.Option(
            "--packed",
            help="Fine-tuning: every batch packed to --seq-len, all of one shape "
            "[default: padded to each batch's longest].",
        ),
    ] = False,
    gradient_checkpointing: Annotated[
        bool | None,
        typer.Option(
            "--gradient-checkpointing/--no-gradient-checkpointing",
            help="Recompute activations in the backward pass [default: on for qlora and LoRA on a "
            "bitsandbytes or GPTQ base; the --stack's own for axolotl (off) and unsloth (on, "
            "offloaded)].",
        ),
    ] = None,
    lora_rank: Annotated[
        int | None,
        typer.Option(
            "--lora-rank",
            metavar="N",
            min=1,
            help="LoRA rank [default: 8; 64 for qlora; 16 with --stack unsloth].",
        ),
    ] = None,
    lora_targets: Annotated[
        str | None,
        choice_option(
            "--lora-targets",
            values=LORA_TARGETS,
            after=" (attention: q and v) [default: attention; all-linear for qlora and --stack "
            "unsloth].",
        ),
    ] = None,
    optimizer: Annotated[
        str | None,
        choice_option(
            "--optimizer",
            values=OPTIMIZERS,
            after=" [default: paged-adamw for qlora, else adamw; adamw-8bit with --stack unsloth, "
            "adamw with axolotl].",
        ),
    ] = None,
    gpus: GpusOption = 1,
    zero: Annotated[
        int | None,
        typer.Option(
            "--zero", metavar="STAGE", help="DeepSpeed ZeRO stage 0-3 for multi-GPU training."
        ),
    ] = None,
    reduce_bucket_size: ReduceBucketOption = None,
    overlap_comm: OverlapCommOption = None,
    fsdp: Annotated[
        bool, typer.Option("--fsdp", help="PyTorch FSDP full sharding (like ZeRO-3).")
    ] = False,
    group_size: Annotated[
        int | None,
        typer.Option(
            "--group-size",
            metavar="N",
            help="GPTQ/AWQ group size (-1: one scale per column) [default: the checkpoint's, "
            "else 128].",
        ),
    ] = None,
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
    new_tokens: NewTokensOption = None,
    legacy_cache: LegacyCacheOption = False,
    cuda_context: CudaContextOption = None,
    fuse_layers: FuseLayersOption = False,
    gptq_kernel: GptqKernelOption = None,
    half_logits: HalfLogitsOption = False,
    vram: VramOption = None,
    gpu: GpuOption = None,
    bandwidth: BandwidthOption = None,
    tflops: TflopsOption = None,
    engine: EngineOption = None,
    mem_fraction_static: MemFractionStaticOption = None,
    ram: Annotated[
        str | None,
        typer.Option(
            "--ram",
            metavar="SIZE",
            help="System RAM for layers that do not fit the GPU, e.g. 64GB.",
        ),
    ] = None,
    ram_bandwidth: Annotated[
        str | None,
        typer.Option(
            "--ram-bandwidth",
            metavar="RATE",
            help="Its bandwidth, e.g. 90GB/s (dual-channel DDR5).",
        ),
    ] = None,
    train_tokens: Annotated[
        int | None,
        typer.Option(
            "--train-tokens", metavar="N", min=1, max=10**15, help="Training budget in tokens."
        ),
    ] = None,
    examples: Annotated[
        int | None,
        typer.Option(
            "--examples",
            metavar="N",
            min=1,
            max=10**12,
            help="Training budget in examples of --seq-len.",
        ),
    ] = None,
    epochs: EpochsOption = None,
    stack: StackOption = None,
    usd_per_hour: UsdPerHourOption = None,
    fmt: DetailFormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Estimate the peak GPU memory of running or fine-tuning a model, component by component,
    and, when the card's figures are known, how fast it runs (or, with a training budget,
    how long a fine-tune takes and what it costs).

    Examples:

      llmtrack estimate llama-7b --mode qlora --gpu "RTX 4090"

      llmtrack estimate pythia-12b --precision int8 --seq-len 1024 --vram 16GB

      llmtrack estimate llama-13b --mode full --gpus 8 --zero 3 --format json

      llmtrack estimate gpt-oss-120b --precision mxfp4 --gpu h100-80gb

      llmtrack estimate ./Qwen3-8B/config.json --precision q4_k_m --kv-cache q8_0

      llmtrack estimate model.gguf --seq-len 32768 --gpu "RTX 4090"

      llmtrack estimate llama-3-8b --mode lora --batch 4 --measure reserved

      llmtrack estimate qwen3-8b --engine vllm --gpu "RTX 4090" --seq-len 16384

      llmtrack estimate qwen2.5-7b --precision gptq-4bit --gptq-kernel exllamav2

      llmtrack estimate llama-3.1-8b --mode qlora --stack unsloth --seq-len 32768
    """
    from llmtrack.cli.engine_choice import (
        on_serving_engine,
        refuse_another_engines_cache,
        remembered_engine_and_ram,
        serving_engine_checked,
    )
    from llmtrack.memory.models import model_to_estimate
    from llmtrack.memory.performance import Budget
    from llmtrack.memory.recipe import Recipe
    from llmtrack.output.estimate_view import estimate_record, render_estimate
    from llmtrack.output.write import output_env, write_detail

    fmt = session.output_format(fmt, output, DETAIL_FORMATS, "text")
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
        kv_cache=kv_cache,
        stack=stack,
        measure=measure,
        packed=packed,
        reduce_bucket_size=reduce_bucket_size,
        overlap_comm=overlap_comm,
        unquantized=unquantized,
        new_tokens=new_tokens,
        legacy_cache=legacy_cache,
        cuda_context=_bytes_of(cuda_context, "--cuda-context"),
        fuse_layers=fuse_layers,
        gptq_kernel=gptq_kernel,
        half_logits=half_logits,
    )
    if recipe.mode == "inference" and (train_tokens or examples or epochs is not None):
        raise UsageError(
            "--train-tokens, --examples and --epochs size a fine-tune: give --mode lora, "
            "qlora or full"
        )
    catalog = session.load()

    settings = session.settings()  # the card, the engine and the RAM it remembers
    card = session.card(catalog, vram, gpu, gpus, bandwidth, tflops, remembered=settings)
    typed_engine = engine
    engine, ram = remembered_engine_and_ram(engine, ram, settings, precision_name)
    refuse_another_engines_cache(engine, typed_engine, legacy_cache, fuse_layers, gptq_kernel)
    engine = serving_engine_checked(engine, typed_engine, recipe, measure, mem_fraction_static)
    chosen = model_to_estimate(catalog, model)
    base, resolved_from = chosen.base, chosen.resolved_from
    for line in chosen.notes:
        session.note(line)
    result, serving = on_serving_engine(
        chosen.estimate(recipe), base, card, engine, typed_engine, mem_fraction_static
    )
    if result.host_bytes and ram:
        _say_if_ram_runs_short(result.host_bytes, ram)
    budget = Budget(train_tokens, examples, 1.0 if epochs is None else epochs)
    if serving is not None and serving.max_sequences < 1:
        perf = None  # an engine that cannot serve one request has no speed to tell
    else:
        perf = _performance(base, result, card, engine, ram, ram_bandwidth, budget, usd_per_hour)
    env = output_env(session.current().env, output)
    write_detail(
        fmt,
        lambda: render_estimate(result, base.name, card, env, perf, serving),
        lambda: estimate_record(result, base.name, card, resolved_from, perf, serving),
        output,
        force,
        env,
    )


def _performance(base, result, card, engine, ram, ram_bandwidth, budget, usd_per_hour):
    """Speed or a fine-tune's time and cost when the card is known; None otherwise."""
    from llmtrack.memory.performance import performance
    from llmtrack.units import parse_bandwidth, parse_memory_gib, parse_positive

    if card is None:
        ram_for_speed = ram and not result.host_bytes  # else it checked the offloaded part
        if budget.train_tokens or budget.examples or engine or ram_for_speed or usd_per_hour:
            rate = "--tflops" if result.recipe.training else "--bandwidth"
            raise UsageError(f"speed and cost need the card: --gpu NAME, or --vram with {rate}")
        return None
    return performance(
        base.architecture,
        result,
        card,
        engine,
        budget,
        parse_memory_gib(ram) if ram else 0.0,
        parse_bandwidth(ram_bandwidth) if ram_bandwidth else None,
        parse_positive(usd_per_hour, "--usd-per-hour", 10**6, "2.49") if usd_per_hour else None,
    )


def _say_if_ram_runs_short(host_bytes: int, ram: str) -> None:
    """What the run keeps in CPU RAM by design, against the RAM it was told of: a run whose
    offloaded checkpoints outgrow it fails there, whatever the card says."""
    from llmtrack.units import parse_memory_gib

    needed, have = host_bytes / 2**30, parse_memory_gib(ram)
    if needed > have:
        session.note(
            f"the checkpoints kept in CPU RAM ({needed:,.2f} GiB) are more than the "
            f"{have:g} GiB of RAM given: the run would fail there"
        )


def _bytes_of(size: str | None, option: str) -> int | None:
    """A memory size as the user writes it (1343MiB, 1.3GB), in bytes."""
    if size is None:
        return None
    from llmtrack.units import parse_memory_gib

    try:
        return round(parse_memory_gib(size) * 1024**3)
    except (ValueError, UsageError) as error:
        raise UsageError(f"{option}: {error}") from None
