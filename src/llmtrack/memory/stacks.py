"""The software a fine-tune runs on: what it keeps in memory, and how fast it drives a card.

Memory: transformers with PEFT trains in mixed precision (16-bit weights and gradients,
fp32 master weights and AdamW moments) and casts a k-bit base's unquantized parameters to
fp32 (``prepare_model_for_kbit_training``); torchtune trains in pure bf16 (its recipes set
``dtype: bf16`` for the model, so the gradients and AdamW's moments are bf16 too, with no
master copy) and quantizes with torchao's NF4 tensor
(``torchtune/modules/low_precision/nf4tensor.py``), which nothing casts to fp32. Unsloth
(read at e3162dc, with unsloth_zoo at 71229d8) trains LoRA and QLoRA on one GPU: its
``use_gradient_checkpointing="unsloth"`` copies each layer's input to CPU RAM
(``Unsloth_Offloaded_Gradient_Checkpointer``), its loss never makes fp32 logits, its
``prepare_model_for_kbit_training`` casts only the LoRA weights to fp32. axolotl (read at
067b021) drives transformers and PEFT, and casts the norms and embeddings PEFT made fp32
back to the 16-bit dtype.

A training step costs the FLOPs of its tokens at the share of the card's dense throughput
the stack's kernels reach (model FLOPs utilisation), plus a fixed time per layer for every
micro-batch: kernel launches, the framework's own Python and the optimizer's bookkeeping,
which is what makes a micro-batch of a few hundred tokens slow whatever the card. Both are
fitted, per stack, on the training rows of ``tests/fixtures/speed_measurements.yaml`` and
the reported runs of ``tests/fixtures/training_runs.yaml`` (``python benchmarks/speed.py
--fit`` prints the fit).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass

if TYPE_CHECKING:
    from collections.abc import Sequence

    from llmtrack.memory.recipe import Recipe


@lazy_dataclass(frozen=True)
class Stack:
    name: str
    description: str
    # by mode: (the share of dense BF16 throughput the matrix products reach, the fixed
    # microseconds per layer per micro-batch, forward and backward together)
    modes: tuple[tuple[str, float, float], ...]
    # weights, gradients and optimizer moments all bf16, no fp32 master copy
    pure_bf16: bool = False
    # a k-bit base's unquantized parameters cast to fp32 (PEFT; not for a GPTQ base), and
    # when not, what the stack does instead
    upcast_kbit: bool = True
    no_upcast: str = "no fp32 cast"
    # the modes it trains; and when it trains on one GPU only, where that is said
    trains: tuple[str, ...] = ("full", "lora", "qlora")
    one_gpu: str = ""
    # gradient checkpointing keeps each layer's input in CPU RAM, not on the GPU
    offloads_checkpoints: bool = False
    # gradient checkpointing when not asked, and why; None: on for QLoRA and LoRA on a
    # quantized base (PEFT's prepare_model_for_kbit_training), off otherwise
    checkpointing_default: tuple[bool, str] | None = None
    # the loss: above this many tokens a batch it never makes the logits (a fused linear
    # cross-entropy); at or below it, the bytes per logit it holds. None: the default
    # stack's logits, their fp32 copy and its gradient
    fused_loss_over: int | None = None
    loss_bytes_per_logit: int | None = None
    # LoRA weights in fp32 whatever the mode (QLoRA's recipe otherwise keeps them in bf16)
    fp32_adapters: bool = False
    # what its own API defaults to: (LoRA rank, targets), (optimizer, where it is said);
    # None: PEFT's and QLoRA's
    lora_default: tuple[int, str] | None = None
    optimizer_default: tuple[str, str] | None = None
    # where its speed comes from, when it is not fitted on measured rows
    speed_source: str | None = None
    # what the profile was read on, said with every estimate it makes; "" when it is the
    # software itself
    scope: str = ""
    # it trains decoder-only language models only (FastLanguageModel)
    decoder_only: bool = False
    # the weights' formats it trains on, and where that is said; None: any
    bases: tuple[str, ...] | None = None
    bases_said: str = ""

    def utilisation(self, mode: str) -> float:
        return self._mode(mode)[0]

    def step_overhead_us(self, mode: str) -> float:
        return self._mode(mode)[1]

    def _mode(self, mode: str) -> tuple[float, float]:
        # every mode a stack trains has its row: a mode it does not train was refused
        return {name: (mfu, overhead) for name, mfu, overhead in self.modes}[mode]

    def unsupported(
        self,
        mode: str,
        gpus: int,
        sharded: bool = False,
        half_logits: bool = False,
        weights: str | None = None,
    ) -> tuple[str, str] | None:
        """Why this stack does not run the recipe, and the estimate's way out; None if it
        does. A recipe a stack does not run is an error, never estimated as if it did."""
        if mode not in self.trains:
            return (
                f"trains {' and '.join(self.trains)} only, not {mode}",
                f"give --mode {' or '.join(self.trains)}, or another --stack",
            )
        if self.one_gpu and (gpus > 1 or sharded):
            return (
                f"trains on one GPU ({self.one_gpu})",
                "drop --gpus, --zero and --fsdp, or give --stack transformers",
            )
        if half_logits and self.fused_loss_over is not None:
            return (
                "computes its own loss, not DeepSpeed's engine's (--half-logits)",
                "drop --half-logits",
            )
        if weights and self.bases and weights not in self.bases:
            named = f"{', '.join(self.bases[:-1])} or {self.bases[-1]}"
            return (f"{self.bases_said}, not {weights}", f"give --precision {named}")
        return None

    def refuse(self, found: tuple[str, str] | None, error: type[UsageError] = UsageError) -> None:
        """Raise what ``unsupported`` found, as the estimate's error with its way out."""
        if found:
            raise error(f"--stack {self.name} {found[0]}: {found[1]}")


_TRANSFORMERS = Stack(
    "transformers",
    "Hugging Face transformers: Trainer, TRL, PEFT, Accelerate, with DeepSpeed or FSDP",
    # fitted: 104 rows (Qwen's fine-tuning table on an A100, batch 1 at 256 to 8192 tokens,
    # whose short sequences fix the time per layer; NeMo AutoModel's tables, which run
    # transformers' own model code; 9 reported runs): 16 %
    (("full", 0.25, 4000), ("lora", 0.38, 4000), ("qlora", 0.31, 4000)),
)


def _twice_as_fast(stack: Stack, modes: tuple[str, ...]) -> tuple[tuple[str, float, float], ...]:
    """Half the stack's step time: twice its utilisation, half its time per layer."""
    return tuple((m, mfu * 2, overhead / 2) for m, mfu, overhead in stack.modes if m in modes)


STACKS: dict[str, Stack] = {
    s.name: s
    for s in (
        _TRANSFORMERS,
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
        # read in its code at 067b021 (src/axolotl/loaders/model.py, adapter.py, utils/schemas/):
        # it drives transformers' Trainer and PEFT, so their memory and speed, with its own
        # dtype handling and defaults; no measured row of its own
        Stack(
            "axolotl",
            "axolotl: YAML-configured fine-tuning on transformers, PEFT, DeepSpeed and FSDP",
            _TRANSFORMERS.modes,
            # _configure_embedding_dtypes: after prepare_model_for_kbit_training, norms and
            # embeddings go back to the torch dtype "for flash-attn compatibility"
            upcast_kbit=False,
            no_upcast="PEFT's fp32 cast undone for norms and embeddings",
            fp32_adapters=True,  # get_peft_model's autocast_adapter_dtype, left at True
            optimizer_default=("adamw", 'its config\'s default, optimizer: "adamw_torch_fused"'),
            checkpointing_default=(False, "its config's gradient_checkpointing: false by default"),
        ),
        # read in its code at e3162dc (unsloth/models/llama.py, _utils.py, kernels/
        # cross_entropy_loss.py) and unsloth_zoo 71229d8 (gradient_checkpointing.py); its
        # memory checked on its README's max-context tables (tests/fixtures); no measured
        # speed row, so its README's "2x faster" than Hugging Face + FA2
        Stack(
            "unsloth",
            "Unsloth: LoRA and QLoRA on one GPU, offloaded checkpoints, fused kernels",
            _twice_as_fast(_TRANSFORMERS, ("lora", "qlora")),
            upcast_kbit=False,
            trains=("lora", "qlora"),
            one_gpu="the release read: 'Unsloth currently does not support multi GPU setups'",
            scope=(
                "its Llama code path as read at e3162dc, where it also ran Mistral, Gemma, "
                "Qwen2, Cohere and Granite models (later releases take most others)"
            ),
            # FastLanguageModel.from_pretrained: load_in_4bit (bitsandbytes NF4 with double
            # quantization) or the 16-bit dtype; nothing else at e3162dc
            bases=("fp16", "bf16", "fp32", "nf4", "nf4-dq"),
            bases_said="trains on 16-bit or bitsandbytes 4-bit weights (load_in_4bit)",
            offloads_checkpoints=True,
            decoder_only=True,
            checkpointing_default=(
                True,
                'use_gradient_checkpointing="unsloth", as its README sets it',
            ),
            # LlamaForCausalLM_fast_forward: "if bsz*q_len <= 1024: RETURN_LOGITS = True",
            # else fused_linear_cross_entropy; Fast_CrossEntropyLoss saves the 16-bit logits
            # and writes their gradient into them
            fused_loss_over=1024,
            loss_bytes_per_logit=2,
            fp32_adapters=True,  # prepare_model_for_kbit_training: "Also must be in float32!"
            lora_default=(16, "all-linear"),  # FastLanguageModel.get_peft_model's defaults
            optimizer_default=("adamw-8bit", 'its README\'s TrainingArguments(optim="adamw_8bit")'),
            speed_source=(
                "half of transformers' fitted step time, its benchmarks' '2x' over Hugging "
                "Face + FA2 (QLoRA r 32 on Alpaca; no measured row)"
            ),
        ),
    )
}
STACK_NAMES: tuple[str, ...] = tuple(STACKS)
DEFAULT_STACK = "transformers"  # what most people fine-tune with


def stack_named(name: str | None) -> Stack:
    if name is not None and not name.strip():
        raise UsageError(f"--stack needs a value: {', '.join(STACK_NAMES)}")
    key = (name or DEFAULT_STACK).lower()
    if key not in STACKS:
        raise UsageError(f"unknown stack {name!r}; choose from: {', '.join(STACK_NAMES)}")
    return STACKS[key]


def on_stack(
    recipes: Sequence[Recipe], stack: str | None, asked: bool, gpus: int = 1
) -> list[Recipe]:
    """The fine-tunes among ``recipes`` as ``stack`` runs them on ``gpus`` cards (inference
    keeps its own software). A mode the stack does not train is left out, or refused when
    ``asked``; more cards than it trains on are refused."""
    if stack is None:
        return list(recipes)
    chosen = stack_named(stack)
    if chosen.unsupported(chosen.trains[0], gpus):
        raise UsageError(f"--stack {chosen.name} trains on one GPU: drop --gpus, or drop --stack")
    kept = []
    for recipe in recipes:
        if recipe.mode != "inference" and recipe.mode not in chosen.trains:
            if asked:
                chosen.refuse(chosen.unsupported(recipe.mode, 1))
            continue
        if recipe.mode != "inference":
            recipe = replace(recipe, stack=chosen.name)
        kept.append(recipe)
    return kept
