"""The software a fine-tune runs on: what it keeps in memory, and how fast it drives a card.

Memory: transformers with PEFT trains in mixed precision (16-bit weights and gradients,
fp32 master weights and AdamW moments) and casts a k-bit base's unquantized parameters to
fp32 (``prepare_model_for_kbit_training``); torchtune trains in pure bf16 (its recipes set
``dtype: bf16`` for the model, so the gradients and AdamW's moments are bf16 too, with no
master copy) and quantizes with torchao's NF4 tensor
(``torchtune/modules/low_precision/nf4tensor.py``), which nothing casts to fp32.

A training step costs the FLOPs of its tokens at the share of the card's dense throughput
the stack's kernels reach (model FLOPs utilisation), plus a fixed time per layer for every
micro-batch: kernel launches, the framework's own Python and the optimizer's bookkeeping,
which is what makes a micro-batch of a few hundred tokens slow whatever the card. Both are
fitted, per stack, on the training rows of ``tests/fixtures/speed_measurements.yaml`` and
the reported runs of ``tests/fixtures/training_runs.yaml`` (``python benchmarks/speed.py
--fit`` prints the fit).
"""

from __future__ import annotations

from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass


@lazy_dataclass(frozen=True)
class Stack:
    name: str
    description: str
    # by mode: (the share of dense BF16 throughput the matrix products reach, the fixed
    # microseconds per layer per micro-batch, forward and backward together)
    modes: tuple[tuple[str, float, float], ...]
    # weights, gradients and optimizer moments all bf16, no fp32 master copy
    pure_bf16: bool = False
    # a k-bit base's unquantized parameters cast to fp32 (PEFT; not for a GPTQ base)
    upcast_kbit: bool = True

    def utilisation(self, mode: str) -> float:
        return self._mode(mode)[0]

    def step_overhead_us(self, mode: str) -> float:
        return self._mode(mode)[1]

    def _mode(self, mode: str) -> tuple[float, float]:
        table = {name: (mfu, overhead) for name, mfu, overhead in self.modes}
        return table.get(mode, table["full"])


STACKS: dict[str, Stack] = {
    s.name: s
    for s in (
        # fitted: 104 rows (Qwen's fine-tuning table on an A100, batch 1 at 256 to 8192
        # tokens, whose short sequences fix the time per layer; NeMo AutoModel's tables, which
        # run transformers' own model code; 9 reported runs): 16 %
        Stack(
            "transformers",
            "Hugging Face transformers: Trainer, TRL, PEFT, Accelerate, with DeepSpeed or FSDP",
            (("full", 0.25, 4000), ("lora", 0.38, 4000), ("qlora", 0.31, 4000)),
        ),
        # fitted: torchtune's README tables (23 rows): 18 %
        Stack(
            "torchtune",
            "PyTorch's torchtune recipes",
            (("full", 0.57, 0), ("lora", 0.46, 0), ("qlora", 0.51, 0)),
            pure_bf16=True,
            upcast_kbit=False,
        ),
        # fitted: Megatron-Bridge's performance tables (18 rows) and torchtitan's (2): 3 %;
        # no QLoRA row is published, so QLoRA takes LoRA's share
        Stack(
            "megatron",
            "Megatron-LM, Megatron-Bridge, NeMo; torchtitan",
            (("full", 0.77, 1500), ("lora", 0.85, 1500), ("qlora", 0.85, 1500)),
        ),
    )
}
STACK_NAMES: tuple[str, ...] = tuple(STACKS)
DEFAULT_STACK = "transformers"  # what most people fine-tune with


def stack_named(name: str | None) -> Stack:
    key = (name or DEFAULT_STACK).lower()
    if key not in STACKS:
        raise UsageError(f"unknown stack {name!r}; choose from: {', '.join(STACK_NAMES)}")
    return STACKS[key]
