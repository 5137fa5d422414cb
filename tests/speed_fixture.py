"""The published speed measurements, and the speed model held against them.

Shared by the accuracy tests and by `benchmarks/speed.py`, which prints the rows beside the
naive rule (bandwidth over the model's size) and fits each engine's efficiency."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from llmtrack.catalog.store import Catalog
from llmtrack.errors import NotFoundError
from llmtrack.memory.engines import ENGINES, UNIFIED, Engine
from llmtrack.memory.precisions import precision
from llmtrack.memory.shapes import shapes
from llmtrack.memory.speed import (
    Hardware,
    decode_speed,
    half_accumulate_factor,
    prefill_speed,
    read_per_token,
)
from llmtrack.memory.stacks import STACKS, Stack
from llmtrack.memory.training_time import flops_per_token, step_seconds

FIXTURE = Path(__file__).parent / "fixtures" / "speed_measurements.yaml"


def load_rows() -> list[dict]:
    return YAML(typ="safe").load(FIXTURE.read_text(encoding="utf-8"))["rows"]


@dataclass(frozen=True)
class Checked:
    row: dict
    predicted: float  # tokens/s as the row counts them (total over the batch)
    naive: float | None  # bandwidth over the weights' size, for decode rows

    @property
    def measured(self) -> float:
        if self.row["kind"] == "train":
            return train_measured(self.row) or 0.0
        return float(self.row["tokens_per_s"])

    @property
    def error(self) -> float:
        return self.predicted / self.measured - 1

    @property
    def naive_error(self) -> float | None:
        return None if self.naive is None else self.naive / self.measured - 1


def usable(row: dict, catalog: Catalog) -> bool:
    """A row the model can be held to: its card and model are in the catalog, with the
    figures the prediction needs."""
    if not row.get("gpu") or not row.get("model"):
        return False
    try:
        gpu, base = catalog.get(row["gpu"]), catalog.get(row["model"])
    except NotFoundError:
        return False
    if base.architecture is None or base.architecture.vocab_size is None:
        return False
    if row["kind"] == "decode":
        return bool(gpu.bandwidth_gb_s)
    return bool(gpu.bf16_tflops)


def engine_of(row: dict, catalog: Catalog, efficiency: Engine | None = None) -> Engine:
    if efficiency is not None:
        return efficiency
    unified = catalog.get(row["gpu"]).memory_kind == "unified"
    name = row["engine"].lower()
    if unified and name in UNIFIED:
        return UNIFIED[name]
    return ENGINES.get(name, ENGINES["transformers"])


def check(
    row: dict, catalog: Catalog, efficiency: Engine | None = None, stack: Stack | None = None
) -> Checked:
    gpu, base = catalog.get(row["gpu"]), catalog.get(row["model"])
    arch = base.architecture
    s = shapes(arch)
    engine = engine_of(row, catalog, efficiency)
    gpus = int(row.get("gpus") or 1)
    hw = Hardware(
        gpu.bandwidth_gb_s, gpu.bf16_tflops, gpus, half_accumulate=half_accumulate_factor(gpu.name)
    )
    batch = int(row.get("batch") or 1)
    kind = row["kind"]
    # a figure published per GPU ("TPS/GPU") is compared with the prediction per GPU
    share = gpus if row.get("tokens_per_s_basis") == "per_gpu" else 1
    if kind == "train":
        tokens_per_s = _train_rate(row, arch, s, gpu.bf16_tflops, gpus, stack)
        return Checked(row, tokens_per_s / share, None)
    # ExLlamaV2's own format is named by its bits per weight (exl2-4.65)
    bits = row.get("bits_per_weight")
    prec = precision(row.get("precision") or (f"exl2-{bits}" if bits else "fp16"))
    if kind == "decode":
        context = int(row.get("prompt_tokens") or 0) + int(row.get("generated_tokens") or 0) // 2
        per_sequence, _ = decode_speed(arch, s, prec, hw, engine, max(context, 1), batch)
        naive = gpu.bandwidth_gb_s * 1e9 * gpus / read_per_token(arch, s, prec, 1)
        return Checked(row, (per_sequence or 0) * batch / share, naive / share)
    rate, _ = prefill_speed(arch, s, hw, engine, int(row.get("prompt_tokens") or 512), prec)
    return Checked(row, (rate or 0) * batch / share, None)


# the training framework a row names, as the stack llmtrack models it
STACK_OF = {
    "torchtune": "torchtune",
    "megatron-bridge": "megatron",
    "megatron-lm": "megatron",
    "torchtitan": "megatron",
}


def stack_of(row: dict) -> Stack:
    return STACKS[STACK_OF.get(row["engine"].lower(), "transformers")]


def train_measured(row: dict) -> float | None:
    """Tokens per second a training row reports, or works out from its seconds per optimizer
    step (every GPU runs batch x gradient-accumulation sequences of seq_len per step)."""
    if "tokens_per_s" in row:
        return float(row["tokens_per_s"])
    if "seconds_per_step" in row and row.get("seq_len"):
        per_step = int(row.get("batch") or 1) * int(row.get("grad_accum") or 1) * row["seq_len"]
        return per_step * int(row.get("gpus") or 1) / row["seconds_per_step"]
    return None


def _train_rate(row: dict, arch, s, tflops: float, gpus: int, stack: Stack | None = None) -> float:
    mode = row.get("mode") or "full"
    seq_len = int(row.get("seq_len") or 2048)
    recompute = row.get("gradient_checkpointing", row.get("grad_checkpointing"))
    per_token = flops_per_token(arch, s, mode, seq_len, bool(recompute))
    micro_tokens = seq_len * int(row.get("batch") or 1)
    stack = stack or stack_of(row)
    return gpus * micro_tokens / step_seconds(arch, per_token, micro_tokens, stack, mode, tflops)


def quantized(row: dict) -> bool:
    """Whether a row's weights are below 16 bits (llama.cpp runs them through its own kernels)."""
    return precision(row.get("precision") or "fp16").bits < 16


def scored(row: dict) -> bool:
    """Rows of an engine llmtrack models (TensorRT-LLM's tables stay in the fixture, unscored:
    their throughput counts the prompts' time too); training rows by any framework."""
    return row["kind"] == "train" or row["engine"].lower() in ENGINES


def checked(catalog: Catalog, kind: str) -> list[Checked]:
    return [
        check(row, catalog)
        for row in load_rows()
        if row["kind"] == kind
        and (train_measured(row) if kind == "train" else "tokens_per_s" in row)
        and usable(row, catalog)
        and scored(row)
    ]


def median_abs_error(rows: list[Checked]) -> float:
    return statistics.median(abs(r.error) for r in rows)
