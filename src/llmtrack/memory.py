"""Peak GPU memory of running or fine-tuning a model, from its architecture and a recipe.

Pure arithmetic: no I/O, no torch. Every number the estimate rests on is either read from
the architecture, given in the recipe, or a named constant below, and every default the
estimate picks is said in its ``assumptions``.

The accounting follows the usual references: 2 bytes per parameter for 16-bit weights;
16 bytes per parameter for mixed-precision AdamW (16-bit weights and gradients, fp32
master weights and two fp32 moments, the ZeRO paper's 2 + 2 + 12), partitioned across
GPUs by ZeRO stage; the KV cache is 2 x layers x tokens x kv-heads x head-dim values;
activations per token and layer follow Korthikanti et al. (2022), adapted to the FFN's
size and kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from llmtrack.errors import UsageError
from llmtrack.schema import Architecture

GIB = 1024**3

Mode = Literal["inference", "lora", "qlora", "full"]
MODES: tuple[str, ...] = Mode.__args__
OPTIMIZERS = ("adamw", "adamw-8bit", "paged-adamw", "sgd")
LORA_TARGETS = ("attention", "all-linear")

# CUDA context, cuBLAS workspace and what the caching allocator holds beyond live tensors:
# the part of nvidia-smi's figure that no tensor accounts for.
FRAMEWORK_OVERHEAD_BYTES = int(0.5 * GIB)
# llama.cpp on a CPU or Apple GPU: no CUDA context, a small compute scratch buffer.
GGML_OVERHEAD_BYTES = int(0.25 * GIB)
TIGHT_HEADROOM = 0.10  # under 10 % free is "tight"


# --- precisions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Precision:
    name: str
    bits: float  # per quantized weight, scales and zero points included
    description: str
    quantizes_embeddings: bool = False  # ggml quantizes every 2-D tensor; bnb/GPTQ do not
    ggml: bool = False

    @property
    def bytes_per_param(self) -> float:
        return self.bits / 8


def _gptq(bits: int, group: int) -> Precision:
    # per group of `group` weights in a column: an fp16 scale and a `bits`-bit zero point
    overhead = (16 + bits) / group if group > 0 else 0.0
    grouping = f"group size {group}" if group > 0 else "one scale per column"
    return Precision(
        f"gptq-{bits}bit",
        bits + overhead,
        f"GPTQ {bits}-bit, {grouping} ({bits + overhead:.3g} bits per weight); "
        "embeddings and lm_head stay 16-bit",
    )


_FIXED: dict[str, Precision] = {
    p.name: p
    for p in (
        Precision("fp32", 32, "32-bit floats", quantizes_embeddings=True),
        Precision("fp16", 16, "16-bit floats", quantizes_embeddings=True),
        Precision("bf16", 16, "bfloat16", quantizes_embeddings=True),
        Precision(
            "int8",
            8,
            "LLM.int8() (bitsandbytes 8-bit) linear weights; embeddings and lm_head stay 16-bit",
        ),
        Precision(
            "nf4",
            4 + 32 / 64,
            "bitsandbytes 4-bit NF4, an fp32 scale per 64 weights (4.5 bits per weight); "
            "embeddings and lm_head stay 16-bit",
        ),
        Precision(
            "nf4-dq",
            4 + 8 / 64 + 32 / (64 * 256),
            "bitsandbytes 4-bit NF4 with double quantization (scales themselves 8-bit, "
            "4.127 bits per weight); embeddings and lm_head stay 16-bit",
        ),
        Precision("f16", 16, "ggml/llama.cpp f16", quantizes_embeddings=True, ggml=True),
        Precision("q4_0", 4.5, "ggml q4_0: 32 weights share an fp16 scale (4.5 bits)", True, True),
        Precision(
            "q4_1", 5.0, "ggml q4_1: fp16 scale and minimum per 32 weights (5 bits)", True, True
        ),
        Precision(
            "q5_0", 5.5, "ggml q5_0: 5-bit weights, fp16 scale per 32 (5.5 bits)", True, True
        ),
        Precision("q5_1", 6.0, "ggml q5_1: fp16 scale and minimum per 32 (6 bits)", True, True),
        Precision(
            "q8_0", 8.5, "ggml q8_0: 8-bit weights, fp16 scale per 32 (8.5 bits)", True, True
        ),
        # llama.cpp's first file format (until May 2023) stored the block scales as fp32
        Precision("q4_0-v1", 5.0, "ggml q4_0, 2023 format: fp32 scale per 32 (5 bits)", True, True),
        Precision(
            "q4_1-v1", 6.0, "ggml q4_1, 2023 format: fp32 scale and min (6 bits)", True, True
        ),
        Precision("q8_0-v1", 9.0, "ggml q8_0, 2023 format: fp32 scale per 32 (9 bits)", True, True),
    )
}
_GPTQ_BITS = {"gptq-8bit": 8, "gptq-4bit": 4, "gptq-3bit": 3}
ALIASES = {
    "int4": "nf4",
    "4bit": "nf4",
    "8bit": "int8",
    "float32": "fp32",
    "float16": "fp16",
    "half": "fp16",
    "bfloat16": "bf16",
}
PRECISIONS: tuple[str, ...] = (*_FIXED, *_GPTQ_BITS, *ALIASES)


def precision(name: str, group_size: int = 128) -> Precision:
    key = name.lower()
    key = ALIASES.get(key, key)
    if key in _GPTQ_BITS:
        return _gptq(_GPTQ_BITS[key], group_size)
    try:
        return _FIXED[key]
    except KeyError:
        raise UsageError(
            f"unknown precision {name!r}; choose from: {', '.join(PRECISIONS)}"
        ) from None


# --- shapes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Linear:
    """One weight matrix of a transformer block, ``count`` times over."""

    role: str
    inputs: int
    outputs: int
    count: int = 1

    @property
    def params(self) -> int:
        return self.inputs * self.outputs * self.count


def attention_linears(arch: Architecture) -> list[Linear]:
    h = arch.hidden_size
    latent = arch.latent_attention
    if latent is None:
        head_dim = arch.head_dim or h // arch.heads
        kv = (arch.kv_heads or arch.heads) * head_dim
        q = arch.heads * head_dim
        return [Linear("q", h, q), Linear("k", h, kv), Linear("v", h, kv), Linear("o", q, h)]
    qk_dim = latent.rope_head_dim + latent.nope_head_dim
    if latent.q_lora_rank is None:
        queries = [Linear("q", h, arch.heads * qk_dim)]
    else:
        rank = latent.q_lora_rank
        queries = [Linear("q_a", h, rank), Linear("q", rank, arch.heads * qk_dim)]
    # keys and values share a compressed latent (plus a shared rotary key), expanded per head
    return [
        *queries,
        Linear("kv_a", h, latent.kv_lora_rank + latent.rope_head_dim),
        # keys' and values' up-projection; LoRA's "attention" targets take it for v
        Linear("v", latent.kv_lora_rank, arch.heads * (latent.nope_head_dim + latent.v_head_dim)),
        Linear("o", arch.heads * latent.v_head_dim, h),
    ]


def ffn_linears(arch: Architecture, *, dense: bool = False, active: bool = False) -> list[Linear]:
    """The FFN of one block: dense, or every expert (``active``: only those a token uses)."""
    h = arch.hidden_size
    matrices = 3 if arch.ffn_kind == "gated" else 2

    def mlp(role: str, size: int, count: int = 1) -> list[Linear]:
        # up (and gate) projections in, one down projection out
        return [
            Linear(f"{role}.in", h, size, count * (matrices - 1)),
            Linear(f"{role}.out", size, h, count),
        ]

    if dense or not arch.experts:
        return mlp("ffn", arch.ffn_size)
    # an unknown top-k counts every expert as active: an overestimate, never an under
    count = (arch.experts_per_token or arch.experts) if active else arch.experts
    linears = mlp("expert", arch.expert_ffn_size or arch.ffn_size, count)
    if arch.shared_expert_ffn_size:
        linears += mlp("shared_expert", arch.shared_expert_ffn_size)
    return [*linears, Linear("router", h, arch.experts)]


@dataclass(frozen=True)
class Shapes:
    """Parameter counts by role, from the architecture (biases and norms left out)."""

    embedding: int  # token (and learned position) embeddings
    head: int  # an untied output projection
    linear: int  # every attention and FFN matrix in every layer
    active_linear: int  # what one token passes through: all of it unless experts are routed

    @property
    def total(self) -> int:
        return self.embedding + self.head + self.linear

    @property
    def active(self) -> int:
        return self.embedding + self.head + self.active_linear


def _block_params(arch: Architecture, *, active: bool) -> int:
    attention = sum(m.params for m in attention_linears(arch))
    dense_ffn = sum(m.params for m in ffn_linears(arch, dense=True))
    ffn = sum(m.params for m in ffn_linears(arch, active=active))
    dense_layers = min(arch.dense_layers or 0, arch.layers) if arch.experts else arch.layers
    params = arch.layers * attention + dense_layers * dense_ffn
    params += (arch.layers - dense_layers) * ffn
    if arch.kind == "encoder-decoder":  # decoder blocks add cross-attention
        params += (arch.decoder_layers or arch.layers) * (2 * attention + dense_ffn)
    return params


def shapes(arch: Architecture, context_length: int | None = None) -> Shapes:
    if arch.vocab_size is None:
        raise UsageError("the architecture has no vocab_size; the estimate needs one")
    h = arch.hidden_size
    embedding = arch.vocab_size * h
    if arch.position == "learned" and context_length:
        embedding += context_length * h
    untied = not arch.tied_embeddings and arch.kind != "encoder"
    head = arch.vocab_size * h if untied else 0
    return Shapes(
        embedding, head, _block_params(arch, active=False), _block_params(arch, active=True)
    )


def parameter_count(arch: Architecture, context_length: int | None = None) -> int | None:
    """Weights implied by the architecture, a check on a published count (biases and norms,
    well under 1 % here, are left out). None when the architecture lacks the vocab size."""
    if arch.vocab_size is None or arch.tied_embeddings is None:
        return None
    return shapes(arch, context_length).total


# --- recipes --------------------------------------------------------------------------


@dataclass(frozen=True)
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
    group_size: int = 128
    flash_attention: bool = True
    all_logits: bool = False  # inference: logits for every prompt position, not just the last

    def __post_init__(self):
        _check(self.mode, MODES, "mode")
        if self.optimizer is not None:
            _check(self.optimizer, OPTIMIZERS, "optimizer")
        if self.lora_targets is not None:
            _check(self.lora_targets, LORA_TARGETS, "LoRA targets")
        for name in ("batch", "gpus"):
            if getattr(self, name) < 1:
                raise UsageError(f"--{name} must be at least 1")
        if self.seq_len is not None and self.seq_len < 1:
            raise UsageError("--seq-len must be at least 1")
        if self.lora_rank is not None and self.lora_rank < 1:
            raise UsageError("--lora-rank must be at least 1")
        if self.zero is not None and self.zero not in (0, 1, 2, 3):
            raise UsageError("--zero must be 0, 1, 2 or 3")
        if self.zero is not None and self.fsdp:
            raise UsageError("choose --zero or --fsdp, not both")

    @property
    def training(self) -> bool:
        return self.mode != "inference"


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise UsageError(f"unknown {what} {value!r}; choose from: {', '.join(allowed)}")


DEFAULT_PRECISION = {"inference": "fp16", "lora": "fp16", "qlora": "nf4-dq", "full": "bf16"}
DEFAULT_LORA = {"lora": (8, "attention"), "qlora": (64, "all-linear")}
TRAINING_SEQ_LEN = 512
# Bytes per optimizer-state value set: AdamW keeps two fp32 moments, 8-bit AdamW two bytes,
# SGD one fp32 momentum. bitsandbytes' paged AdamW (QLoRA's default) keeps fp32 moments in
# memory that is paged out to CPU RAM when the GPU runs short, so they never cause an OOM.
_STATE_BYTES = {"adamw": 8, "adamw-8bit": 2, "sgd": 4, "paged-adamw": 8}
_OPTIMIZER_LABEL = {
    "adamw": "AdamW, two fp32 moments",
    "adamw-8bit": "8-bit AdamW (bitsandbytes), two 8-bit moments",
    "sgd": "SGD with an fp32 momentum",
    "paged-adamw": "paged AdamW (bitsandbytes): fp32 moments paged to CPU RAM when the GPU is full",
}


@dataclass(frozen=True)
class _Plan:
    """The choices an estimate makes from the recipe, said once in the assumptions."""

    prec: Precision
    seq_len: int
    checkpointing: bool
    act_bytes: int  # activations and KV cache
    kept_bytes: int  # embeddings and lm_head a quantizer leaves unquantized
    adapter_bytes: int  # LoRA weights and their gradients
    optimizer: str


def _plan(recipe: Recipe, context_length: int | None, notes: list[str]) -> _Plan:
    mode = recipe.mode
    name = recipe.precision or DEFAULT_PRECISION[mode]
    if recipe.precision is None:
        notes.append(f"precision {name} (the default for {mode})")
    elif name.lower() in ALIASES:
        notes.append(f"precision {name!r} read as {ALIASES[name.lower()]}")
    prec = precision(name, recipe.group_size)
    if mode == "qlora" and not prec.name.startswith("nf4"):
        raise UsageError("qlora trains on a 4-bit base: use --precision nf4 or nf4-dq")
    if mode == "full" and prec.bits < 16:
        raise UsageError(
            "full fine-tuning needs 16- or 32-bit weights; "
            "for a quantized base use --mode lora or qlora"
        )
    if prec.ggml and mode != "inference":
        raise UsageError(f"{prec.name} is a llama.cpp inference format; it cannot be trained")
    notes.append(f"weights: {prec.description}")

    seq_len = recipe.seq_len
    if seq_len is None:
        seq_len = min(context_length or 2048, 2048) if mode == "inference" else TRAINING_SEQ_LEN
        notes.append(f"sequence length {seq_len} (default)")
    elif context_length and seq_len > context_length:
        notes.append(f"sequence length {seq_len} is beyond the model's context of {context_length}")

    kbit_lora = mode == "lora" and prec.bits < 16
    checkpointing = recipe.gradient_checkpointing
    if checkpointing is None:
        checkpointing = mode == "qlora" or kbit_lora
        if recipe.training:
            state = "on" if checkpointing else "off"
            why = (
                "prepare_model_for_kbit_training turns it on"
                if kbit_lora
                else f"the default for {mode}"
            )
            notes.append(f"gradient checkpointing {state} ({why})")

    act_bytes, kept_bytes, adapter_bytes = (4, 4, 4) if prec.name == "fp32" else (2, 2, 4)
    if kbit_lora:
        # PEFT's prepare_model_for_kbit_training casts every unquantized parameter to fp32, and
        # bitsandbytes layers return their input's dtype: the residual stream becomes fp32
        act_bytes, kept_bytes = 4, 4
        notes.append(
            "LoRA on a quantized base as PEFT prepares it: embeddings, lm_head and norms in fp32, "
            "so activations are fp32 too"
        )
    if mode == "qlora":
        adapter_bytes = 2  # the QLoRA recipe keeps adapters, embeddings and lm_head in bf16
        notes.append("QLoRA recipe: adapters, embeddings and lm_head in bf16")
    optimizer = recipe.optimizer or ("paged-adamw" if mode == "qlora" else "adamw")
    return _Plan(prec, seq_len, checkpointing, act_bytes, kept_bytes, adapter_bytes, optimizer)


# --- the estimate ---------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    model: str
    recipe: Recipe
    components: dict[str, int]  # name -> bytes, per GPU
    assumptions: list[str] = field(default_factory=list)
    paged: frozenset[str] = frozenset()  # components that move to CPU RAM rather than OOM

    @property
    def peak_bytes(self) -> int:
        """What must fit in GPU memory at once: every component but paged ones."""
        return sum(v for k, v in self.components.items() if k not in self.paged)

    @property
    def peak_gib(self) -> float:
        return self.peak_bytes / GIB

    def headroom(self, vram_gib: float) -> float:
        """Free fraction of the card at the peak; negative when it does not fit."""
        return (vram_gib - self.peak_gib) / vram_gib

    def verdict(self, vram_gib: float) -> str:
        free = self.headroom(vram_gib)
        if free < 0:
            return "no"
        return "tight" if free < TIGHT_HEADROOM else "fits"


def estimate(
    model: str, arch: Architecture, recipe: Recipe, context_length: int | None = None
) -> Estimate:
    """The peak-memory breakdown, per GPU, of running ``recipe`` on a model."""
    notes: list[str] = []
    plan = _plan(recipe, context_length, notes)
    prec, seq_len, batch = plan.prec, plan.seq_len, recipe.batch
    s = shapes(arch, context_length)
    notes.extend(_architecture_notes(arch, s))
    components: dict[str, float] = {}

    # Weights, sharded across GPUs by layer for inference and by ZeRO-3/FSDP for training.
    if recipe.mode == "full":
        # mixed precision trains a 16-bit working copy (fp32 masters are optimizer state)
        weights = s.total * (4 if prec.name == "fp32" else 2)
    elif prec.quantizes_embeddings:
        weights = s.total * prec.bytes_per_param
    else:
        weights = s.linear * prec.bytes_per_param + (s.embedding + s.head) * plan.kept_bytes
    components["weights"] = weights / _weight_shards(recipe, notes)

    if recipe.mode == "inference":
        components["kv_cache"] = _kv_cache(arch, batch, seq_len, plan.act_bytes) / recipe.gpus
        notes.append(f"KV cache for batch {batch} x {seq_len} tokens in {8 * plan.act_bytes}-bit")
        windowed, _ = _window_layers(arch)
        if windowed and seq_len > arch.sliding_window:
            notes.append(
                f"{windowed} of {arch.layers} layers attend within a {arch.sliding_window}-token "
                "window and cache only that many tokens (a cache that keeps every token needs more)"
            )
        if prec.ggml:  # llama.cpp works in a fixed compute buffer and keeps the last logits only
            components["logits"] = batch * arch.vocab_size * 4
        else:
            components["activations"] = _layer_activations(
                arch, batch, seq_len, plan.act_bytes, recipe.flash_attention
            )
            positions = seq_len if recipe.all_logits else 1
            components["logits"] = batch * positions * arch.vocab_size * 4
            notes.append(
                "logits over the vocabulary for every prompt position, in fp32 (--all-logits)"
                if recipe.all_logits
                else "logits for the last position only, in fp32, as generation computes them "
                "(--all-logits for code that scores every prompt position)"
            )
    else:
        components["activations"] = _training_activations(arch, batch, seq_len, plan, recipe)
        # the logits, their fp32 copy for the loss and its gradient
        components["logits"] = batch * seq_len * arch.vocab_size * (plan.act_bytes + 4 + 4)
        notes.append(
            f"training batch {batch} x {seq_len} tokens; activations per Korthikanti et al. (2022)"
        )
        trainable = s.total if recipe.mode == "full" else _lora_params(arch, recipe, plan, notes)
        grads, states = _training_state(trainable, plan, recipe, notes)
        if recipe.mode != "full":
            components["adapter"] = trainable * plan.adapter_bytes
        components["gradients"] = grads
        components["optimizer"] = states
    if not recipe.flash_attention:
        notes.append(
            "eager attention: the attention probabilities are kept in fp32 and the compute dtype"
        )
    overhead = GGML_OVERHEAD_BYTES if prec.ggml else FRAMEWORK_OVERHEAD_BYTES
    components["overhead"] = overhead
    what = (
        "llama.cpp compute buffers"
        if prec.ggml
        else "CUDA context, cuBLAS workspace, allocator slack"
    )
    notes.append(f"overhead {overhead / GIB:.2f} GiB: {what}")
    notes.append("sizes in GiB (1024^3 bytes), per GPU")
    paged = frozenset({"optimizer"}) if plan.optimizer == "paged-adamw" else frozenset()
    resolved = replace(
        recipe,
        precision=prec.name,
        seq_len=seq_len,
        optimizer=plan.optimizer,
        gradient_checkpointing=plan.checkpointing if recipe.training else None,
    )
    return Estimate(model, resolved, {k: round(v) for k, v in components.items()}, notes, paged)


def _architecture_notes(arch: Architecture, s: Shapes) -> list[str]:
    kv = "latent" if arch.latent_attention else f"{arch.kv_heads or arch.heads} kv heads"
    ffn = f"FFN {arch.ffn_size} {arch.ffn_kind}"
    if arch.experts:
        ffn = (
            f"{arch.experts} experts of FFN {arch.expert_ffn_size or arch.ffn_size} "
            f"{arch.ffn_kind}, {arch.experts_per_token} per token"
        )
    notes = [
        f"{s.total / 1e9:.2f}B parameters from the architecture ({arch.layers} layers, hidden "
        f"{arch.hidden_size}, {arch.heads} heads, {kv}, {ffn}, vocabulary {arch.vocab_size})"
    ]
    if arch.experts:
        notes.append(
            f"mixture of experts: the weights hold every expert; each token runs through "
            f"{s.active / 1e9:.2f}B of them, which sets the activations"
        )
    if arch.latent_attention:
        notes.append("multi-head latent attention: the KV cache holds the compressed latent")
    return notes


def _weight_shards(recipe: Recipe, notes: list[str]) -> int:
    if recipe.gpus == 1:
        return 1
    if recipe.mode == "inference":
        notes.append(
            f"weights and KV cache split by layer across {recipe.gpus} GPUs (device_map='auto')"
        )
        return recipe.gpus
    if recipe.fsdp or recipe.zero == 3:
        return recipe.gpus
    return 1


def _kv_cache(arch: Architecture, batch: int, seq_len: int, dtype_bytes: int) -> float:
    if arch.kind == "encoder":
        return 0
    head_dim = arch.head_dim or arch.hidden_size // arch.heads
    kv_heads = arch.kv_heads or arch.heads
    decoder = (
        (arch.decoder_layers or arch.layers) if arch.kind == "encoder-decoder" else arch.layers
    )
    if arch.latent_attention:  # one compressed latent and a shared rotary key per token
        latent = arch.latent_attention
        per_token_layer = (latent.kv_lora_rank + latent.rope_head_dim) * dtype_bytes
    else:
        per_token_layer = 2 * kv_heads * head_dim * dtype_bytes
    if arch.kind == "encoder-decoder":  # cross-attention keys and values over the encoder output
        return per_token_layer * decoder * batch * seq_len * 2
    windowed, full = _window_layers(arch)
    cached = full * seq_len + windowed * min(seq_len, arch.sliding_window or seq_len)
    return per_token_layer * batch * cached


def _window_layers(arch: Architecture) -> tuple[int, int]:
    """(layers that attend within the sliding window, layers that attend to everything)."""
    if not arch.sliding_window:
        return 0, arch.layers
    every = arch.sliding_window_pattern
    full = arch.layers // every if every else 0
    return arch.layers - full, full


def _layer_activations(
    arch: Architecture, batch: int, seq_len: int, dtype_bytes: int, flash: bool
) -> float:
    """Bytes one transformer layer keeps for its backward pass (no dropout masks)."""
    tokens = batch * seq_len
    h = arch.hidden_size
    attention_linears_ = attention_linears(arch)
    heads_out = attention_linears_[-1].inputs  # what the output projection reads
    projected = sum(m.outputs for m in attention_linears_[:-1])
    # the norm's output, q/k/v (or the latents), and the attention's output
    attention = tokens * (h + projected + heads_out) * dtype_bytes
    if flash:
        attention += tokens * arch.heads * 4  # softmax statistics only
    else:
        # probabilities in fp32 (softmax is computed in fp32) and in the compute dtype
        attention += batch * arch.heads * seq_len * seq_len * (4 + dtype_bytes)
    # the FFN's input, the outputs of its input projections (gate and up, or fc1), what the
    # down projection reads (and, gated, the gate's activation apart from that product); with
    # experts, only the routed ones
    inner = 0
    for m in ffn_linears(arch, active=True):
        if m.role.endswith(".in"):
            inner += m.outputs * m.count
        elif m.role.endswith(".out"):
            inner += m.inputs * m.count * (2 if arch.ffn_kind == "gated" else 1)
        else:  # the router's scores
            inner += m.outputs
    ffn = tokens * (h + inner) * dtype_bytes
    # Each of the two norms keeps its input, the residual stream. Gated-FFN models pair with
    # RMSNorm, which LLaMA-style code computes in fp32, so that copy is fp32.
    norm_bytes = 4 if arch.ffn_kind == "gated" else dtype_bytes
    norms = 2 * tokens * h * norm_bytes
    return attention + ffn + norms


def _training_activations(arch, batch, seq_len, plan: _Plan, recipe: Recipe) -> float:
    layers = arch.layers + (arch.decoder_layers or 0)
    one_layer = _layer_activations(arch, batch, seq_len, plan.act_bytes, recipe.flash_attention)
    if plan.checkpointing:
        # each layer keeps its input; one layer at a time is recomputed in full
        return layers * batch * seq_len * arch.hidden_size * plan.act_bytes + one_layer
    return layers * one_layer


def _lora_params(arch: Architecture, recipe: Recipe, plan: _Plan, notes: list[str]) -> int:
    rank, targets = DEFAULT_LORA[recipe.mode]
    if recipe.lora_rank is not None:
        rank = recipe.lora_rank
    if recipe.lora_targets is not None:
        targets = recipe.lora_targets
    attention = attention_linears(arch)
    if targets == "attention":  # q and v projections, PEFT's default for LLaMA-style models
        chosen = [m for m in attention if m.role in ("q", "v")]
        what = "q and v projections"
        per_layer = [chosen] * arch.layers
    else:
        dense_layers = min(arch.dense_layers or 0, arch.layers) if arch.experts else arch.layers
        dense = attention + ffn_linears(arch, dense=True)
        routed = attention + [m for m in ffn_linears(arch) if m.role != "router"]
        per_layer = [dense] * dense_layers + [routed] * (arch.layers - dense_layers)
        what = "every linear layer" + (", every expert" if arch.experts else "")
    # a rank-r adapter on a matrix adds r x (inputs + outputs) weights
    params = sum((m.inputs + m.outputs) * m.count for layer in per_layer for m in layer) * rank
    if arch.decoder_layers:  # encoder-decoder: the decoder's self-attention matches the encoder's
        params += params * arch.decoder_layers // arch.layers
    dtype = "fp32" if plan.adapter_bytes == 4 else "bf16"
    notes.append(f"LoRA rank {rank} on {what}: {params / 1e6:.1f}M trainable parameters, {dtype}")
    return params


def _training_state(
    trainable: int, plan: _Plan, recipe: Recipe, notes: list[str]
) -> tuple[float, float]:
    """Gradients and optimizer state, per GPU, after ZeRO/FSDP partitioning."""
    label = _OPTIMIZER_LABEL[plan.optimizer]
    state_bytes = _STATE_BYTES[plan.optimizer]
    if recipe.mode == "full" and plan.prec.name == "fp32":
        grad_bytes, master = 4, 0
        notes.append(f"fp32 training: fp32 weights and gradients, {label}")
    elif recipe.mode == "full":
        grad_bytes, master = 2, 4  # 16-bit gradients; fp32 master weights held with the optimizer
        notes.append(f"mixed precision: 16-bit weights and gradients, fp32 master weights, {label}")
    else:
        grad_bytes, master = plan.adapter_bytes, 0
        notes.append(f"{label} on the adapter only; the base model is frozen")
    gpus = recipe.gpus
    stage = 3 if recipe.fsdp else (recipe.zero or 0)
    if gpus > 1:
        notes.append(
            f"{gpus} GPUs, " + ("FSDP full sharding" if recipe.fsdp else f"ZeRO stage {stage}")
        )
    grads = trainable * grad_bytes / (gpus if stage >= 2 else 1)
    states = trainable * (state_bytes + master) / (gpus if stage >= 1 else 1)
    return grads, states
