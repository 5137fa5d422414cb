"""How long a fine-tune takes and what it costs: the FLOPs each token of the recipe needs,
over the card's dense throughput at the model FLOPs utilisation a framework reaches.

FLOPs per token follow the usual count (Kaplan et al. 2020; Korthikanti et al. 2022): a
forward pass is 2 FLOPs per active parameter plus the attention scores; a backward pass
twice that when every weight trains (gradients for the inputs and for the weights), half
of it when the base is frozen (LoRA, QLoRA: only the inputs' gradients flow through the base,
and the adapters' own are small). Gradient checkpointing runs the forward pass again.
"""

from __future__ import annotations

from dataclasses import field

from llmtrack.catalog.schema import Architecture
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.shapes import Shapes
from llmtrack.memory.speed import attention_flops
from llmtrack.memory.stacks import Stack, stack_named


@lazy_dataclass(frozen=True)
class TrainingTime:
    tokens: int
    flops_per_token: float
    hours: float | None
    gpu_hours: float | None
    usd: float | None
    assumptions: list[str] = field(default_factory=list)


def flops_per_token(
    arch: Architecture, s: Shapes, mode: str, seq_len: int, checkpointing: bool
) -> float:
    forward = 2 * s.active + attention_flops(arch, seq_len) / seq_len
    backward = 2 * forward if mode == "full" else forward
    return forward + backward + (forward if checkpointing else 0)


def training_time(
    arch: Architecture,
    s: Shapes,
    mode: str,
    tokens: int,
    seq_len: int,
    checkpointing: bool,
    tflops: float | None,
    gpus: int,
    usd_per_hour: float | None,
    price_label: str | None = None,
    stack: Stack | None = None,
    micro_batch: int = 1,
) -> TrainingTime:
    """Hours of pushing ``tokens`` through a recipe on ``gpus`` data-parallel cards, each
    step a micro-batch of ``micro_batch`` sequences of ``seq_len`` tokens."""
    stack = stack or stack_named(None)
    per_token = flops_per_token(arch, s, mode, seq_len, checkpointing)
    notes = [
        f"{tokens:,} training tokens x {per_token / 1e9:.1f} GFLOPs each "
        f"({'forward, backward' if mode == 'full' else 'forward, backward through a frozen base'}"
        f"{', recompute' if checkpointing else ''})"
    ]
    if not tflops:
        notes.append("training time needs the card's tensor throughput (--tflops)")
        return TrainingTime(tokens, per_token, None, None, None, notes)
    seconds = step_seconds(arch, per_token, seq_len * micro_batch, stack, mode, tflops)
    seconds *= tokens / (seq_len * micro_batch * gpus)
    hours = seconds / 3600
    overhead = stack.step_overhead_us(mode)
    per_step = f", plus {overhead:g} us per layer per micro-batch" if overhead else ""
    notes.append(
        f"{stack.utilisation(mode):.0%} model FLOPs utilisation of {tflops:g} dense TFLOPS x "
        f"{gpus} GPU(s){per_step}, micro-batches of {micro_batch} x {seq_len} tokens "
        f"({stack.name}, {mode}; --stack to choose)"
    )
    if stack.speed_source:
        notes.append(f"{stack.name}'s speed: {stack.speed_source}")
    usd = None
    if usd_per_hour is not None:
        usd = hours * gpus * usd_per_hour
        notes.append(f"${usd_per_hour:g} per GPU-hour{f' ({price_label})' if price_label else ''}")
    return TrainingTime(tokens, per_token, hours, hours * gpus, usd, notes)


def step_seconds(
    arch: Architecture,
    per_token: float,
    micro_tokens: int,
    stack: Stack,
    mode: str,
    tflops: float,
) -> float:
    """One micro-batch on one card: its FLOPs at the stack's utilisation, plus the stack's
    fixed time per layer."""
    compute = micro_tokens * per_token / (tflops * 1e12 * stack.utilisation(mode))
    return compute + arch.layers * stack.step_overhead_us(mode) * 1e-6
