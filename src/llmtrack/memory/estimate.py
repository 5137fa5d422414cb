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

from dataclasses import field, replace

from llmtrack.catalog.schema import Architecture
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.recipe import (
    DEFAULT_LORA,
    OPTIMIZER_LABEL,
    STATE_BYTES,
    Plan,
    Recipe,
    plan_for,
)
from llmtrack.memory.shapes import Shapes, attention_linears, ffn_linears, shapes

GIB = 1024**3

# CUDA context, cuBLAS workspace and what the caching allocator holds beyond live tensors:
# the part of nvidia-smi's figure that no tensor accounts for.
FRAMEWORK_OVERHEAD_BYTES = int(0.5 * GIB)
# llama.cpp on a CPU or Apple GPU: no CUDA context, a small compute scratch buffer.
GGML_OVERHEAD_BYTES = int(0.25 * GIB)
TIGHT_HEADROOM = 0.10  # under 10 % free is "tight"


@lazy_dataclass(frozen=True)
class Estimate:
    """The peak memory of one recipe on one model, by component, and what it assumed."""

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
        return verdict(self.peak_gib, vram_gib)


def verdict(peak_gib: float, vram_gib: float) -> str:
    """ "fits", "tight" (under 10 % of the card free) or "no"."""
    free = (vram_gib - peak_gib) / vram_gib
    if free < 0:
        return "no"
    return "tight" if free < TIGHT_HEADROOM else "fits"


def estimate(
    model: str, arch: Architecture, recipe: Recipe, context_length: int | None = None
) -> Estimate:
    """The peak-memory breakdown, per GPU, of running ``recipe`` on a model."""
    notes: list[str] = []
    plan = plan_for(recipe, context_length, notes)
    prec, seq_len, batch = plan.prec, plan.seq_len, recipe.batch
    s = shapes(arch, context_length)  # refuses an architecture without a vocabulary
    vocab = arch.vocab_size or 0
    notes.extend(_architecture_notes(arch, s))
    components: dict[str, float] = {}

    # Weights, sharded across GPUs by layer for inference and by ZeRO-3/FSDP for training.
    weights: float
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
        if windowed and arch.sliding_window and seq_len > arch.sliding_window:
            notes.append(
                f"{windowed} of {arch.layers} layers attend within a {arch.sliding_window}-token "
                "window and cache only that many tokens (a cache that keeps every token needs more)"
            )
        if prec.ggml:  # llama.cpp works in a fixed compute buffer and keeps the last logits only
            components["logits"] = batch * vocab * 4
        else:
            components["activations"] = _layer_activations(
                arch, batch, seq_len, plan.act_bytes, recipe.flash_attention
            )
            positions = seq_len if recipe.all_logits else 1
            components["logits"] = batch * positions * vocab * 4
            notes.append(
                "logits over the vocabulary for every prompt position, in fp32 (--all-logits)"
                if recipe.all_logits
                else "logits for the last position only, in fp32, as generation computes them "
                "(--all-logits for code that scores every prompt position)"
            )
    else:
        components["activations"] = _training_activations(arch, batch, seq_len, plan, recipe)
        # the logits, their fp32 copy for the loss and its gradient
        components["logits"] = batch * seq_len * vocab * (plan.act_bytes + 4 + 4)
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


def _training_activations(arch, batch, seq_len, plan: Plan, recipe: Recipe) -> float:
    layers = arch.layers + (arch.decoder_layers or 0)
    one_layer = _layer_activations(arch, batch, seq_len, plan.act_bytes, recipe.flash_attention)
    if plan.checkpointing:
        # each layer keeps its input; one layer at a time is recomputed in full
        return layers * batch * seq_len * arch.hidden_size * plan.act_bytes + one_layer
    return layers * one_layer


def _lora_params(arch: Architecture, recipe: Recipe, plan: Plan, notes: list[str]) -> int:
    rank, targets = DEFAULT_LORA[recipe.mode]
    if recipe.lora_rank is not None:
        rank = recipe.lora_rank
    if recipe.lora_targets is not None:
        targets = recipe.lora_targets
    attention = attention_linears(arch)
    if targets == "attention":  # q and v projections, PEFT's default for LLaMA-style models
        chosen = [m for m in attention if m.role in ("q", "v")]
        what = "q and v projections"
        layer_kinds = [(chosen, arch.layers)]
    else:
        dense_layers = min(arch.dense_layers or 0, arch.layers) if arch.experts else arch.layers
        dense = attention + ffn_linears(arch, dense=True)
        routed = attention + [m for m in ffn_linears(arch) if m.role != "router"]
        layer_kinds = [(dense, dense_layers), (routed, arch.layers - dense_layers)]
        what = "every linear layer" + (", every expert" if arch.experts else "")
    # a rank-r adapter on a matrix adds r x (inputs + outputs) weights
    per_rank = sum(
        layers * sum((m.inputs + m.outputs) * m.count for m in matrices)
        for matrices, layers in layer_kinds
    )
    params = per_rank * rank
    if arch.decoder_layers:  # encoder-decoder: the decoder's self-attention matches the encoder's
        params += params * arch.decoder_layers // arch.layers
    dtype = "fp32" if plan.adapter_bytes == 4 else "bf16"
    notes.append(f"LoRA rank {rank} on {what}: {params / 1e6:.1f}M trainable parameters, {dtype}")
    return params


def _training_state(
    trainable: int, plan: Plan, recipe: Recipe, notes: list[str]
) -> tuple[float, float]:
    """Gradients and optimizer state, per GPU, after ZeRO/FSDP partitioning."""
    label = OPTIMIZER_LABEL[plan.optimizer]
    state_bytes = STATE_BYTES[plan.optimizer]
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
