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

# Model FLOPs utilisation: the share of dense BF16 throughput a fine-tune reaches, by mode:
# the median over the training rows of tests/fixtures/speed_measurements.yaml (38 full, 15
# LoRA and 4 QLoRA rows from torchtune's README, NVIDIA's Megatron-Bridge and NeMo AutoModel
# tables and torchtitan, on RTX 4090, RTX A6000, A100, H100, H200). Frameworks differ more
# than one share per mode holds: Megatron-Bridge reaches about 0.73, NeMo AutoModel 0.3.
MFU = {"full": 0.63, "lora": 0.44, "qlora": 0.51}
# QLoRA dequantizes each 4-bit weight before its matrix product, forward and backward; its
# lower utilisation above already holds that cost.


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
) -> TrainingTime:
    per_token = flops_per_token(arch, s, mode, seq_len, checkpointing)
    notes = [
        f"{tokens:,} training tokens x {per_token / 1e9:.1f} GFLOPs each "
        f"({'forward, backward' if mode == 'full' else 'forward, backward through a frozen base'}"
        f"{', recompute' if checkpointing else ''})"
    ]
    if not tflops:
        notes.append("training time needs the card's tensor throughput (--tflops)")
        return TrainingTime(tokens, per_token, None, None, None, notes)
    mfu = MFU.get(mode, MFU["full"])
    seconds = tokens * per_token / (tflops * 1e12 * gpus * mfu)
    hours = seconds / 3600
    notes.append(
        f"{mfu:.0%} model FLOPs utilisation of {tflops:g} dense TFLOPS x {gpus} GPU(s) ({mode})"
    )
    usd = None
    if usd_per_hour is not None:
        usd = hours * gpus * usd_per_hour
        notes.append(f"${usd_per_hour:g} per GPU-hour{f' ({price_label})' if price_label else ''}")
    return TrainingTime(tokens, per_token, hours, hours * gpus, usd, notes)
