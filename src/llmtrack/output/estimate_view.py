"""How an estimate is shown: a breakdown with bars against the card, or one JSON object."""

from __future__ import annotations

from typing import Any

from llmtrack.memory.estimate import GIB, Estimate
from llmtrack.memory.fits import Card
from llmtrack.memory.performance import Performance
from llmtrack.memory.recipe import Recipe
from llmtrack.memory.serving import ENGINE_LABELS, Serving
from llmtrack.output.env import Env, console
from llmtrack.output.safe_text import safe_text
from llmtrack.units import format_count, format_estimated_usd, format_gpu_hours, format_hours

_BAR_WIDTH = 32


def estimate_record(
    result: Estimate,
    name: str,
    card: Card | None,
    resolved_from: str | None = None,
    perf: Performance | None = None,
    serving: Serving | None = None,
) -> dict[str, Any]:
    """The JSON contract: peak_gib, components (name -> GiB), assumptions, and a verdict;
    ``resolved_from`` (the name given) when the model is not what that name says exactly;
    speed (decode_tokens_per_s, prefill_tokens_per_s) or a fine-tune's train_hours,
    gpu_hours and train_usd when they can be worked out."""
    from llmtrack.memory.stacks import DEFAULT_STACK

    recipe = result.recipe
    record: dict[str, Any] = {
        "model": result.model,
        "name": name,
        **({"resolved_from": resolved_from} if resolved_from else {}),
        "mode": recipe.mode,
        "precision": recipe.precision,
        "seq_len": recipe.seq_len,
        "batch": recipe.batch,
        "gpus": recipe.gpus,
        **({"stack": recipe.stack or DEFAULT_STACK} if recipe.training else {}),
        **({"packed": True} if recipe.packed else {}),
        # the settings that change the arithmetic, when given
        **{key: value for key, value in _settings(recipe).items() if value},
        "measure": recipe.measure,  # what peak_gib counts: nvidia-smi, reserved or allocated
        "peak_gib": round(result.peak_gib, 3),
        "components": {k: round(v / GIB, 3) for k, v in result.components.items()},
        # what the run keeps in CPU RAM by design (Unsloth's offloaded checkpoints)
        **({"cpu_ram_gib": round(result.host_bytes / GIB, 3)} if result.host_bytes else {}),
        # components that are paged to CPU RAM when the GPU is full, left out of peak_gib
        "paged": sorted(result.paged),
        "assumptions": result.assumptions,
    }
    if card is not None:
        record["card"] = {"name": card.label, "memory_gib": card.memory_gib}
        record["headroom_gib"] = round(card.memory_gib - result.peak_gib, 3)
        record["verdict"] = result.verdict(card.memory_gib)
    if serving is not None:  # vLLM, SGLang: what the KV cache they allocate up front gets
        record["serving"] = {
            "engine": serving.engine,
            "kv_cache_gib": round(serving.kv_pool_bytes / GIB, 3),
            "kv_cache_tokens": serving.kv_tokens,
            "max_sequences": serving.max_sequences,
            **dict(serving.settings),
        }
    if perf is not None:
        record.update(speed_record(perf))
        record["assumptions"] = [*result.assumptions, *perf.assumptions]
    return record


def speed_record(perf: Performance) -> dict[str, Any]:
    """The keys speed and cost add, each only when it could be worked out."""
    record: dict[str, Any] = {}
    if perf.decode_tokens_per_s is not None:
        record["decode_tokens_per_s"] = round(perf.decode_tokens_per_s, 1)
    if perf.prefill_tokens_per_s is not None:
        record["prefill_tokens_per_s"] = round(perf.prefill_tokens_per_s)
    train = perf.training
    if train is not None and train.hours is not None:
        record["train_tokens"] = train.tokens
        record["train_hours"] = round(train.hours, 2)
        record["gpu_hours"] = round(train.gpu_hours or 0, 2)
        if train.usd is not None:
            record["train_usd"] = round(train.usd, 2)
    return record


def render_estimate(
    result: Estimate,
    name: str,
    card: Card | None,
    env: Env,
    perf: Performance | None = None,
    serving: Serving | None = None,
) -> str:
    """The breakdown for a person; the names (the model's, the card's) and the assumptions,
    which quote catalog text, go through ``_inert``: shown as written, driving nothing."""
    from rich import box
    from rich.table import Table

    recipe = result.recipe
    out = console(env)
    title = f"{recipe.mode}, {recipe.precision}, batch {recipe.batch} x {recipe.seq_len} tokens"
    if recipe.gpus > 1:
        title += f", per GPU of {recipe.gpus}"
    out.print(f"[bold]{_inert(name)}[/bold]  [cyan]{_inert(result.model)}[/cyan]  {_inert(title)}")

    scale = card.memory_gib if card else result.peak_gib
    # the bars take the room the labels and figures leave, so a narrow terminal never cuts
    # one short (a cut bar misreads as a smaller share)
    from llmtrack.memory.measure import DEFAULT_MEASURE

    measure = recipe.measure or DEFAULT_MEASURE
    peak = "peak" if measure == DEFAULT_MEASURE else f"peak ({measure})"
    labels = {
        c: _inert(c.replace("_", " ")) + (" (paged)" if c in result.paged else "")
        for c in result.components
    }
    widest = max(len(label) for label in [*labels.values(), peak])
    width = max(8, min(_BAR_WIDTH, env.width - widest - 16))  # the figures and the gaps
    bar = "█" if env.unicode else "#"
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_footer=True)
    table.add_column("component", footer=peak)
    table.add_column("GiB", justify="right", footer=f"{result.peak_gib:.2f}")
    table.add_column(
        f"of {card.memory_gib:g} GiB" if card else "share",
        footer=_bar(result.peak_bytes / GIB, scale, bar, width),
    )
    for component, size in result.components.items():
        gib = size / GIB
        if component in result.paged:
            table.add_row(labels[component], f"[dim]{gib:.2f}[/dim]", "[dim]not in the peak[/dim]")
        else:
            table.add_row(labels[component], f"{gib:.2f}", _bar(gib, scale, bar, width))
    out.print(table)
    if card is not None:
        verdict = result.verdict(card.memory_gib)
        free = card.memory_gib - result.peak_gib
        colour = {"fits": "green", "tight": "yellow", "no": "red"}[verdict]
        named = f"{_inert(card.label)}, {card.memory_gib:g} GiB" if card.preset else card.described
        out.print(
            f"card: {named} -> "
            f"[bold {colour}]{verdict}[/bold {colour}] "
            + (
                f"({free:.2f} GiB free, {free / card.memory_gib:.0%})"
                if free >= 0
                else f"({-free:.2f} GiB short)"
            )
        )
    if serving is not None:
        out.print(
            # the rest of the card, as the assumptions say; one line at 80 columns
            f"{ENGINE_LABELS[serving.engine]}: KV cache {serving.kv_pool_bytes / GIB:.2f} GiB, "
            f"{format_count(serving.kv_tokens, 'token')}: "
            f"{format_count(serving.max_sequences, 'request')} of {recipe.seq_len:,} tokens at once"
            + (": it cannot serve one" if serving.max_sequences < 1 else "")
        )
    if perf is not None:
        for line in speed_lines(perf):
            out.print(line)
    out.print("\n[bold]Assumptions[/bold]")
    # on a terminal at spaces, later lines under the text; in a pipe or a file, unwrapped
    from llmtrack.output.wrapping import wrap_words

    for line in [*result.assumptions, *(perf.assumptions if perf else ())]:
        text = _inert(line)
        lines = wrap_words(text, env.width, "  ", first="- ") if env.is_terminal else [f"- {text}"]
        for shown in lines:
            out.print(shown, soft_wrap=True)
    return out.file.getvalue()


def _settings(recipe: Recipe) -> dict[str, Any]:
    """The options that change what is counted, as the JSON names them."""
    return {
        "new_tokens": recipe.new_tokens,
        "legacy_cache": recipe.legacy_cache,
        "fuse_layers": recipe.fuse_layers,
        "gptq_kernel": recipe.gptq_kernel,
        "half_logits": recipe.half_logits,
        "cuda_context_gib": round(recipe.cuda_context / GIB, 3) if recipe.cuda_context else None,
    }


def speed_lines(perf: Performance) -> list[str]:
    """'speed: 136 tokens/s generating, 4,591 tokens/s reading the prompt', and a budget's
    hours and dollars: what could be worked out."""
    lines = []
    parts = []
    if perf.decode_tokens_per_s is not None:
        parts.append(f"[bold]{perf.decode_tokens_per_s:,.0f}[/bold] tokens/s generating")
    if perf.prefill_tokens_per_s is not None:
        parts.append(f"{perf.prefill_tokens_per_s:,.0f} tokens/s reading the prompt")
    if parts:
        lines.append("speed: " + ", ".join(parts))
    train = perf.training
    if train is not None and train.hours is not None:
        cost = f", [bold]{format_estimated_usd(train.usd)}[/bold]" if train.usd is not None else ""
        lines.append(
            f"training: [bold]{format_hours(train.hours)}[/bold] "
            f"({format_gpu_hours(train.gpu_hours or 0)})"
            f"{cost} for {train.tokens:,} tokens"
        )
    return lines


def _inert(text: str) -> str:
    """Text as rich markup that shows it as written, with no control character in it."""
    from rich.markup import escape

    return escape(safe_text(text, keep_lines=False))


def _bar(gib: float, scale: float, char: str, width: int = _BAR_WIDTH) -> str:
    cells = round(width * min(gib / scale, 1.0)) if scale else 0
    overflow = ">" if scale and gib > scale else ""
    return char * cells + overflow
