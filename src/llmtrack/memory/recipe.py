"""How a model is run or trained (the recipe), and the choices an estimate makes from it,
each said once in the assumptions."""

from __future__ import annotations

import typing
from typing import Literal

from llmtrack.errors import NotApplicable, UsageError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.precisions import (
    ALIASES,
    DEFAULT_GROUP_SIZE,
    KEPT_16_BIT,
    Precision,
    is_grouped,
    precision,
)
from llmtrack.memory.stacks import stack_named

Mode = Literal["inference", "lora", "qlora", "full"]
MODES: tuple[str, ...] = typing.get_args(Mode)
OPTIMIZERS = ("adamw", "adamw-8bit", "paged-adamw", "sgd")
LORA_TARGETS = ("attention", "all-linear")


# The most each count may be: far beyond any real run, and small enough that the arithmetic
# stays in floats (--seq-len 10**400 was an OverflowError).
_MOST = {
    "seq_len": 10**8,
    "batch": 10**6,
    "lora_rank": 10**6,
    "gpus": 10**6,
    "new_tokens": 10**8,
}


@lazy_dataclass(frozen=True)
class Recipe:
    """How the model is run or trained. None means "the default for this mode"."""

    mode: str = "inference"
    precision: str | None = None
    seq_len: int | None = None
    batch: int = 1
    gradient_checkpointing: bool | None = None
    lora_rank: int | None = None
    lora_targets: str | None = None
    optimizer: str | None = None
    gpus: int = 1
    zero: int | None = None
    fsdp: bool = False
    group_size: int | None = None  # GPTQ/AWQ; None: the checkpoint's, else 128
    flash_attention: bool = True
    all_logits: bool = False  # inference: logits for every prompt position, not just the last
    kv_cache: str | None = None  # the KV cache's type (KV_CACHE_TYPES); None: the compute dtype
    stack: str | None = None  # the training software (memory/stacks.py); None: the default
    # what the peak counts (memory/measure.py): None is what nvidia-smi shows
    measure: str | None = None
    packed: bool = False  # training: every batch packed to seq_len, so all of one shape
    # DeepSpeed ZeRO's gradient buckets (memory/zero.py): elements per bucket, and whether
    # a second one overlaps communication; None: DeepSpeed's defaults
    reduce_bucket_size: int | None = None
    overlap_comm: bool | None = None
    # the dtype of what a quantized format leaves unquantized (embeddings, norms, head);
    # None: 16-bit. GPTQ-for-LLaMa's scripts keep an fp32 checkpoint's in fp32
    unquantized: str | None = None
    # inference: how many of seq_len's tokens are generated (None: all of it is the prompt),
    # and whether the cache is a tuple each step concatenates onto (memory/generation.py)
    new_tokens: int | None = None
    legacy_cache: bool = False
    # bytes of the CUDA context as the user's card shows it before anything is loaded;
    # None: memory/measure.py's CUDA_CONTEXT_BYTES
    cuda_context: int | None = None
    # inference on an AWQ model loaded by AutoAWQ with fuse_layers=True (memory/generation.py)
    fuse_layers: bool = False
    # training: the loss is computed on the 16-bit logits, never an fp32 copy (DeepSpeed's
    # fp16/bf16 engine does not autocast, and some model code never calls logits.float())
    half_logits: bool = False
    # inference on 4-bit GPTQ: the kernel, whose scratch buffer the estimate counts
    # (memory/gptq_kernels.py); None: transformers' default (ExLlama)
    gptq_kernel: str | None = None

    def __post_init__(self):
        from llmtrack.choices import choose

        # as typed ('QLoRA'), kept as spelled here ('qlora')
        object.__setattr__(self, "mode", choose(self.mode, MODES, "mode"))
        if self.optimizer is not None:
            optimizer = choose(self.optimizer, OPTIMIZERS, "optimizer")
            object.__setattr__(self, "optimizer", optimizer)
        if self.kv_cache is not None:
            from llmtrack.memory.kvcache import kv_cache_type

            if self.mode != "inference":
                raise UsageError("--kv-cache sizes generation's cache; training keeps none")
            object.__setattr__(self, "kv_cache", kv_cache_type(self.kv_cache))
        if self.stack is not None and self.mode != "inference":
            stack = stack_named(self.stack)
            object.__setattr__(self, "stack", stack.name)
            sharded = bool(self.zero or self.fsdp)
            stack.refuse(stack.unsupported(self.mode, self.gpus, sharded, self.half_logits))
        if self.measure is not None:
            from llmtrack.memory.measure import measure_named

            object.__setattr__(self, "measure", measure_named(self.measure))
        if self.gptq_kernel is not None:
            self._check_gptq_kernel()
        if self.lora_targets is not None:
            targets = choose(self.lora_targets, LORA_TARGETS, "LoRA targets")
            object.__setattr__(self, "lora_targets", targets)
        for name, most in _MOST.items():
            value = getattr(self, name)
            option = "--" + name.replace("_", "-")
            if value is not None and value < 1:
                raise UsageError(f"{option} must be at least 1")
            if value is not None and value > most:
                raise UsageError(f"{option} must be at most {most:,}")
        if self.group_size is not None and not (
            self.group_size == -1 or 1 <= self.group_size <= _MOST["batch"]
        ):  # transformers' GPTQConfig takes -1 (one scale per column) or a positive size
            raise UsageError(
                f"--group-size must be -1 (one scale per column) or 1 to {_MOST['batch']:,}"
            )
        if self.zero is not None and self.zero not in (0, 1, 2, 3):
            raise UsageError("--zero must be 0, 1, 2 or 3")
        if self.zero is not None and self.fsdp:
            raise UsageError("choose --zero or --fsdp, not both")
        if (self.reduce_bucket_size is not None or self.overlap_comm is not None) and not self.zero:
            raise UsageError(
                "--reduce-bucket-size and --overlap-comm size DeepSpeed ZeRO's gradient "
                "buckets: give --zero 1, 2 or 3"
            )
        if self.unquantized is not None:
            dtype = choose(self.unquantized, UNQUANTIZED_DTYPES, "unquantized dtype")
            object.__setattr__(self, "unquantized", dtype)
        if self.reduce_bucket_size is not None and not 1 <= self.reduce_bucket_size <= 10**12:
            raise UsageError("--reduce-bucket-size must be between 1 and 1,000,000,000,000")
        if self.cuda_context is not None:
            self._check_cuda_context()
        self._refuse_options_of_another_mode()

    def _check_cuda_context(self) -> None:
        from llmtrack.memory.measure import DEFAULT_MEASURE, MEASURE_LABEL

        if not 0 <= (self.cuda_context or 0) <= 64 * 1024**3:
            raise UsageError(
                "--cuda-context must be at most 64 GiB (a bare number is GiB: write 1343MiB "
                "for what nvidia-smi shows in MiB)"
            )
        measure = self.measure or DEFAULT_MEASURE
        if measure != DEFAULT_MEASURE:
            raise UsageError(
                f"--cuda-context is outside what --measure {measure} counts "
                f"({MEASURE_LABEL[measure]})"
            )

    def _check_gptq_kernel(self) -> None:
        from llmtrack.choices import choose
        from llmtrack.memory.gptq_kernels import GPTQ_KERNELS

        aliases = {"exllamav1": "exllama", "triton": "cuda"}
        kernel = choose(self.gptq_kernel or "", (*GPTQ_KERNELS, "triton"), "GPTQ kernel", aliases)
        kernel = aliases.get(kernel, kernel)  # listed, since its help names it: cuda's other name
        object.__setattr__(self, "gptq_kernel", kernel)
        if self.mode != "inference":
            raise UsageError(
                "--gptq-kernel sizes an inference kernel's buffer; a fine-tune runs on the "
                "CUDA kernels (AutoGPTQ turns ExLlama off for a trainable model): give "
                "--mode inference"
            )

    @property
    def training(self) -> bool:
        return self.mode != "inference"

    def _refuse_options_of_another_mode(self) -> None:
        """An option the mode has no use for is an error, never ignored: an inference
        estimate that quietly dropped --zero 3 would answer a question not asked."""
        if self.mode == "inference":
            given = [option for option, value in _TRAINING_OPTIONS.items() if _set(self, value)]
            if given:
                raise UsageError(
                    f"{' and '.join(given)} {'say' if len(given) > 1 else 'says'} how a "
                    "fine-tune trains: give --mode lora, qlora or full"
                )
        elif given := [o for o, value in _INFERENCE_OPTIONS.items() if _set(self, value)]:
            raise UsageError(
                f"{' and '.join(given)} {'say' if len(given) > 1 else 'says'} how a model "
                "generates, not how a fine-tune trains: give --mode inference"
            )
        elif self.mode == "full" and (self.lora_rank is not None or self.lora_targets):
            raise UsageError(
                "--lora-rank and --lora-targets size a LoRA adapter; --mode full trains "
                "every weight: give --mode lora or qlora"
            )


# what each fine-tuning option sets, as (field, its value when not given)
_TRAINING_OPTIONS = {
    "--gradient-checkpointing": ("gradient_checkpointing", None),
    "--lora-rank": ("lora_rank", None),
    "--lora-targets": ("lora_targets", None),
    "--optimizer": ("optimizer", None),
    "--zero": ("zero", None),
    "--fsdp": ("fsdp", False),
    "--packed": ("packed", False),
    "--stack": ("stack", None),
    "--reduce-bucket-size": ("reduce_bucket_size", None),
    "--overlap-comm": ("overlap_comm", None),
    "--half-logits": ("half_logits", False),
}


# what each inference option sets, likewise
_INFERENCE_OPTIONS = {
    "--all-logits": ("all_logits", False),
    "--new-tokens": ("new_tokens", None),
    "--legacy-cache": ("legacy_cache", False),
    "--fuse-layers": ("fuse_layers", False),
}


def _set(recipe: Recipe, field_and_default: tuple[str, object]) -> bool:
    field, default = field_and_default
    return getattr(recipe, field) != default


UNQUANTIZED_DTYPES = ("fp32", "fp16", "bf16")
# formats whose transformers quantizer says it cannot be trained (4.57.1, is_trainable)
UNTRAINABLE = {
    "mxfp4": "quantizer_mxfp4.py: 'MXFP4 quantization don't support training'",
    "fp8": "quantizer_finegrained_fp8.py: is_trainable is False",
}
DEFAULT_PRECISION = {"inference": "fp16", "lora": "fp16", "qlora": "nf4-dq", "full": "bf16"}
DEFAULT_LORA = {"lora": (8, "attention"), "qlora": (64, "all-linear")}
TRAINING_SEQ_LEN = 512
# Bytes per optimizer-state value set: AdamW keeps two fp32 moments, 8-bit AdamW two bytes,
# SGD one fp32 momentum. bitsandbytes' paged AdamW (QLoRA's default) keeps fp32 moments in
# memory that is paged out to CPU RAM when the GPU runs short, so they never cause an OOM.
STATE_BYTES = {"adamw": 8, "adamw-8bit": 2, "sgd": 4, "paged-adamw": 8}
OPTIMIZER_LABEL = {
    "adamw": "AdamW, two fp32 moments",
    "adamw-8bit": "8-bit AdamW (bitsandbytes), two 8-bit moments",
    "sgd": "SGD with an fp32 momentum",
    "paged-adamw": "paged AdamW (bitsandbytes): fp32 moments paged to CPU RAM when the GPU is full",
}


@lazy_dataclass(frozen=True)
class Plan:
    """The choices an estimate makes from the recipe, said once in the assumptions."""

    prec: Precision
    seq_len: int
    checkpointing: bool
    act_bytes: int  # activations and KV cache
    kept_bytes: int  # embeddings and lm_head a quantizer leaves unquantized
    adapter_bytes: int  # LoRA weights and their gradients
    optimizer: str
    pure_bf16: bool = False  # no fp32 master weights; AdamW's moments in bf16


def plan_for(recipe: Recipe, context_length: int | None, notes: list[str]) -> Plan:
    mode = recipe.mode
    if recipe.precision is not None and not recipe.precision.strip():
        raise UsageError("--precision needs a value, e.g. fp16, nf4 or q4_k_m")
    name = recipe.precision or DEFAULT_PRECISION[mode]
    if recipe.precision is None:
        notes.append(f"precision {name} (the default for {mode})")
    elif name.lower() in ALIASES:
        notes.append(f"precision {name!r} read as {ALIASES[name.lower()]}")
    prec = precision(name, DEFAULT_GROUP_SIZE if recipe.group_size is None else recipe.group_size)
    if recipe.group_size is not None and not is_grouped(prec.name):
        raise UsageError(f"--group-size sizes GPTQ and AWQ groups; {prec.name} has none")
    if mode == "qlora" and not prec.name.startswith("nf4"):
        raise NotApplicable("qlora trains on a 4-bit base: use --precision nf4 or nf4-dq")
    if prec.name.startswith(("exl2-", "exl3-")) and mode != "inference":
        raise NotApplicable(
            f"{prec.name} is ExLlama's inference format, which transformers and PEFT cannot "
            "load to train: give --precision nf4 or gptq-4bit"
        )
    if prec.name in UNTRAINABLE and mode != "inference":
        raise NotApplicable(
            f"transformers cannot fine-tune {prec.name} weights ({UNTRAINABLE[prec.name]}): "
            "load them dequantized, --precision bf16, or give --precision nf4"
        )
    if mode == "full" and prec.bits < 16:
        raise NotApplicable(
            "full fine-tuning needs 16- or 32-bit weights; "
            "for a quantized base use --mode lora or qlora"
        )
    if prec.ggml and mode != "inference":
        raise NotApplicable(f"{prec.name} is a llama.cpp inference format; it cannot be trained")
    described = prec.description
    if recipe.unquantized is not None:  # the checkpoint's own dtype for what is not quantized
        said = f"embeddings, norms and lm_head {recipe.unquantized} (--unquantized-dtype)"
        described = described.replace(KEPT_16_BIT, said)
        if said not in described:
            described += f"; {said}"
    notes.append(f"weights: {described}")

    seq_len = recipe.seq_len
    if seq_len is None:
        seq_len = min(context_length or 2048, 2048) if mode == "inference" else TRAINING_SEQ_LEN
        notes.append(f"sequence length {seq_len} (default)")
    elif context_length and seq_len > context_length:
        notes.append(f"sequence length {seq_len} is beyond the model's context of {context_length}")

    kbit_lora = mode == "lora" and prec.bits < 16
    stack = stack_named(recipe.stack)
    if recipe.training:  # a format one stack cannot train: left out by fits, like any other
        stack.refuse(stack.unsupported(mode, recipe.gpus, weights=prec.name), NotApplicable)
    if recipe.training and stack.scope:
        notes.append(f"{stack.name}: {stack.scope}")
    checkpointing = recipe.gradient_checkpointing
    if checkpointing is None:
        # prepare_model_for_kbit_training turns it on for a bitsandbytes base
        # (is_loaded_in_4bit/8bit) or a quantization_method of gptq, aqlm, eetq, hqq or
        # torchao; not for AWQ, FP8 or FP4 bases (peft/utils/other.py, 0.13.2 to 0.21.2)
        peft_turns_it_on = prec.name.startswith(("nf4", "int8", "gptq"))
        checkpointing = mode == "qlora" or (kbit_lora and peft_turns_it_on)
        why = f"the default for {mode}"
        if kbit_lora and stack.upcast_kbit:
            why = (
                "prepare_model_for_kbit_training turns it on"
                if peft_turns_it_on
                else "prepare_model_for_kbit_training turns it on for bitsandbytes and GPTQ "
                f"bases, not {prec.name}"
            )
        if stack.checkpointing_default is not None:
            checkpointing, said = stack.checkpointing_default
            why = f"{stack.name}: {said}"
        if recipe.training:
            notes.append(f"gradient checkpointing {'on' if checkpointing else 'off'} ({why})")

    act_bytes, kept_bytes, adapter_bytes = (4, 4, 4) if prec.name == "fp32" else (2, 2, 4)
    if recipe.unquantized is not None:
        if prec.bits >= 16:
            raise UsageError(
                f"--unquantized-dtype is for a quantized --precision; {prec.name} quantizes nothing"
            )
        kept_bytes = 4 if recipe.unquantized == "fp32" else 2
    if kbit_lora and not stack.upcast_kbit:
        notes.append(
            f"LoRA on a quantized base in {stack.name}: {stack.no_upcast}, 16-bit activations"
        )
    elif kbit_lora and prec.name.startswith("gptq"):
        # prepare_model_for_kbit_training skips its fp32 cast when quantization_method is
        # "gptq" (peft/utils/other.py): the base keeps its 16-bit dtype
        notes.append("LoRA on a GPTQ base as PEFT prepares it: no fp32 cast, 16-bit activations")
    elif kbit_lora:
        # PEFT's prepare_model_for_kbit_training casts every unquantized parameter to fp32, and
        # bitsandbytes layers return their input's dtype: the residual stream becomes fp32
        if recipe.unquantized not in (None, "fp32"):
            raise UsageError(
                f"--unquantized-dtype {recipe.unquantized}: PEFT casts what {prec.name} leaves "
                "unquantized to fp32 for LoRA, whatever the checkpoint stores"
            )
        act_bytes, kept_bytes = 4, 4
        notes[:] = [n.replace(KEPT_16_BIT, "embeddings and lm_head cast to fp32 (below)")
                    for n in notes]  # fmt: skip
        notes.append(
            "LoRA on a quantized base as PEFT prepares it: embeddings, lm_head and norms in fp32, "
            "so activations are fp32 too"
        )
    pure = stack.pure_bf16 and recipe.training and prec.name != "fp32"
    if pure:
        adapter_bytes = 2
        notes.append(f"{stack.name}: pure bf16 training, no fp32 master weights")
    elif stack.fp32_adapters and mode != "full":
        notes.append(f"{stack.name}: LoRA weights in fp32, embeddings and lm_head 16-bit")
    elif mode == "qlora":
        adapter_bytes = 2  # the QLoRA recipe keeps adapters, embeddings and lm_head in bf16
        notes.append("QLoRA recipe: adapters, embeddings and lm_head in bf16")
    default_optimizer = "paged-adamw" if mode == "qlora" and not pure else "adamw"
    if stack.optimizer_default and recipe.training:
        default_optimizer, said = stack.optimizer_default
        if recipe.optimizer is None:
            notes.append(f"optimizer {default_optimizer} ({stack.name}: {said})")
    optimizer = recipe.optimizer or default_optimizer
    return Plan(prec, seq_len, checkpointing, act_bytes, kept_bytes, adapter_bytes, optimizer, pure)
