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
from llmtrack.errors import NotApplicable, UsageError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.activations import training_activations
from llmtrack.memory.lora import lora_params
from llmtrack.memory.measure import (
    CUDA_CONTEXT_BYTES,
    DEFAULT_MEASURE,
    GIB,
    MEASURE_LABEL,
    MEASURES,
    allocator_cache,
    left_out,
    measure_named,
)
from llmtrack.memory.recipe import (
    OPTIMIZER_LABEL,
    STATE_BYTES,
    Plan,
    Recipe,
    plan_for,
)
from llmtrack.memory.shapes import Shapes, shapes
from llmtrack.memory.stacks import Stack, stack_named
from llmtrack.memory.weights import dequantized_matrix, weight_bytes

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
    host_bytes: int = 0  # kept in CPU RAM by design: Unsloth's offloaded checkpoints

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
    model: str,
    arch: Architecture,
    recipe: Recipe,
    context_length: int | None = None,
    stored_weights: int | None = None,
) -> Estimate:
    """The peak-memory breakdown, per GPU, of running ``recipe`` on a model; ``stored_weights``
    when a file states its weights' size (a GGUF file's tensors)."""
    notes: list[str] = []
    plan = plan_for(recipe, context_length, notes)
    prec, seq_len, batch = plan.prec, plan.seq_len, recipe.batch
    s = shapes(arch, context_length)  # refuses an architecture without a vocabulary
    vocab = arch.vocab_size or 0
    notes.extend(_architecture_notes(arch, s))
    components: dict[str, float] = {}

    # Weights, sharded across GPUs by layer for inference and by ZeRO-3/FSDP for training.
    weights: float
    if stored_weights is not None:
        weights = stored_weights
        notes.append(f"weights {stored_weights / GIB:.2f} GiB: the file's tensors, as stored")
    elif recipe.mode == "full":
        # mixed precision trains a 16-bit working copy (fp32 masters are optimizer state)
        weights = s.total * (4 if prec.name == "fp32" else 2)
    else:
        if prec.experts_only and not arch.experts:
            raise NotApplicable(
                f"{prec.name} quantizes a mixture of experts' routed experts (as gpt-oss ships "
                f"it) and {model} has none; for a dense model try nvfp4 or a GGUF type "
                "such as q4_k_m"
            )
        weights = weight_bytes(arch, s, prec, 8 * plan.kept_bytes)
    shards = _weight_shards(recipe, notes)
    components["weights"] = weights / shards

    freed = 0.0  # training keeps every temporary for the backward pass: none are freed
    host = 0
    kernel = None
    if recipe.mode == "inference":
        from llmtrack.memory.generation import inference_components

        held, freed = inference_components(arch, recipe, plan, seq_len, notes)
        components.update(held)
        from llmtrack.memory.gptq_kernels import add_kernel_buffers

        kernel = add_kernel_buffers(components, arch, recipe, plan, notes)
    else:
        stack = stack_named(recipe.stack)
        if stack.decoder_only and arch.kind != "decoder":
            raise NotApplicable(
                f"--stack {stack.name} trains decoder-only language models; {model} is an "
                f"{arch.kind} model: give another --stack"
            )
        offloaded = plan.checkpointing and stack.offloads_checkpoints
        components["activations"] = training_activations(
            arch,
            batch,
            seq_len,
            plan.act_bytes,
            recipe.flash_attention,
            plan.checkpointing,
            offloaded=offloaded,
        )
        components["logits"] = batch * seq_len * vocab * _loss_bytes(recipe, plan, stack, notes)
        notes.append(
            f"training batch {batch} x {seq_len} tokens; activations per Korthikanti et al. (2022)"
        )
        dequantized, said = dequantized_matrix(arch, prec, plan.act_bytes)
        if dequantized:
            components["dequantized"] = dequantized
            notes.append(said)
        if offloaded:
            inputs = (arch.layers + (arch.decoder_layers or 0)) * batch * seq_len
            host = inputs * arch.hidden_size * plan.act_bytes
            notes.append(
                f"{stack.name}'s checkpoints: each layer's input in CPU RAM "
                f"({host / GIB:.2f} GiB there), one layer recomputed on the GPU at a time"
            )
        trainable = s.total if recipe.mode == "full" else lora_params(arch, recipe, plan, notes)
        grads, states = _training_state(trainable, plan, recipe, notes)
        if recipe.mode != "full":  # sharded as the weights are (ZeRO-3, FSDP)
            components["adapter"] = trainable * plan.adapter_bytes / shards
        components["gradients"] = grads
        components["optimizer"] = states
        from llmtrack.memory.zero import gathered_parameters, zero_buckets

        trained_bytes = 4 if prec.name == "fp32" else 2
        buckets = zero_buckets(recipe, trained_bytes, notes)
        if buckets:
            components["zero_buckets"] = buckets
        base_grads = trained_bytes if recipe.mode == "full" else 0
        gathered = gathered_parameters(
            arch,
            s,
            recipe,
            weights,
            trained_bytes if recipe.mode == "full" else plan.kept_bytes,
            base_grads,
            components["logits"],
            notes,
        )
        if gathered:
            components["gathered_params"] = gathered
    if not recipe.flash_attention and recipe.training:  # inference's: generation.py
        notes.append(
            "eager attention: the attention probabilities are kept in fp32 and the compute dtype"
        )
    measure = measure_named(recipe.measure)
    if prec.ggml:
        if recipe.cuda_context is not None:
            raise UsageError(
                "--cuda-context is a PyTorch run's; llama.cpp counts its compute buffers instead"
            )
        if measure != DEFAULT_MEASURE:
            raise NotApplicable(
                f"--measure {measure} is a PyTorch allocator's figure; llama.cpp has none"
            )
        components["compute_buffers"] = GGML_OVERHEAD_BYTES
        notes.append(f"llama.cpp compute buffers {GGML_OVERHEAD_BYTES / GIB:.2f} GiB")
    else:
        _allocator_and_context(components, recipe, measure, notes, freed)
    notes.append("sizes in GiB (1024^3 bytes), per GPU")
    paged = frozenset({"optimizer"}) if plan.optimizer == "paged-adamw" else frozenset()
    resolved = replace(
        recipe,
        precision=prec.name,
        seq_len=seq_len,
        optimizer=plan.optimizer if recipe.training else None,
        gradient_checkpointing=plan.checkpointing if recipe.training else None,
        measure=measure,
        gptq_kernel=kernel,
    )
    parts = {k: round(v) for k, v in components.items()}
    return Estimate(model, resolved, parts, notes, paged, host_bytes=round(host))


# what is allocated and freed as a run goes, so leaves blocks in the allocator's cache
_TRANSIENT = ("dequantized", "activations", "logits", "kv_cache", "kv_cache_copy", "fused_qkv_copy")


def _allocator_and_context(
    components: dict[str, float], recipe: Recipe, measure: str, notes: list[str], freed: float
) -> None:
    """The two parts of a PyTorch run's figure that no tensor accounts for, each where the
    measure counts it. ``freed``: what inference's peak layer made and freed beside what is
    live at its peak; the allocator took those blocks back, so they count towards its cache."""
    skipped = left_out(measure)
    if "allocator_cache" not in skipped:
        variable = recipe.training and not recipe.packed
        transient = freed + sum(components.get(name, 0.0) for name in _TRANSIENT)
        components["allocator_cache"] = allocator_cache(transient, variable)
        shapes = (
            "batches padded to their own longest sequence (--packed when every batch is "
            "packed to --seq-len)"
            if variable
            else "tensors of one shape step to step"
        )
        notes.append(f"allocator cache: blocks PyTorch keeps for reuse, for {shapes}")
    if "cuda_context" not in skipped:
        context = CUDA_CONTEXT_BYTES if recipe.cuda_context is None else recipe.cuda_context
        components["cuda_context"] = context
        notes.append(
            f"CUDA context {context / GIB:.2f} GiB (--cuda-context): as your card shows it"
            if recipe.cuda_context is not None
            else f"CUDA context {context / GIB:.2f} GiB: its kernels, cuBLAS' workspace, the "
            "driver's share (--cuda-context SIZE for what your card shows before loading)"
        )
    others = " or ".join(m for m in MEASURES if m != measure)
    notes.append(f"peak as {MEASURE_LABEL[measure]} (--measure {others} for the others)")


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
    if s.vision:
        notes.append(
            f"a vision/audio tower of {s.vision / 1e9:.2f}B parameters is in the weights; it "
            "adds nothing to the text cache"
        )
    if s.per_layer_embedding:
        notes.append(
            f"per-layer embeddings ({s.per_layer_embedding / 1e9:.2f}B parameters) are counted "
            "on the GPU, as transformers loads them; a runtime that keeps them in CPU RAM needs "
            "that much less"
        )
    if s.mtp:
        notes.append(
            f"{arch.mtp_layers} multi-token-prediction module(s), {s.mtp / 1e9:.2f}B parameters, "
            "left out: runtimes load them only for speculative decoding"
        )
    return notes


def _loss_bytes(recipe: Recipe, plan: Plan, stack: Stack, notes: list[str]) -> int:
    """Bytes per logit the loss holds: the logits, their fp32 copy for the loss and its
    gradient, as autocast and transformers' models (``logits.float()``) keep them; or, with
    --half-logits, three tensors in the compute dtype (the logits, the shifted copy the loss
    reads, the gradient), as Qwen's remote code under DeepSpeed's fp16 engine keeps them; or
    what the stack's own loss keeps."""
    if stack.fused_loss_over is not None:
        if recipe.batch * plan.seq_len > stack.fused_loss_over:
            notes.append(
                f"{stack.name}'s loss over {stack.fused_loss_over:,} tokens a batch: a fused "
                "linear cross-entropy, which never makes the logits"
            )
            return 0
        per_logit = stack.loss_bytes_per_logit or plan.act_bytes
        notes.append(
            f"{stack.name}'s loss at or under {stack.fused_loss_over:,} tokens a batch: the "
            f"{8 * per_logit}-bit logits, their gradient written into them (over that, a fused "
            "cross-entropy makes none)"
        )
        return per_logit
    if not recipe.half_logits:
        return plan.act_bytes + 4 + 4
    if plan.act_bytes != 2:
        raise UsageError(
            "--half-logits keeps the loss in 16 bits, and this recipe computes in fp32 (fp32 "
            "weights, or PEFT's fp32 cast of a k-bit base: try --stack torchtune)"
        )
    notes.append(
        "the loss on the 16-bit logits (--half-logits): the logits, the shifted copy the loss "
        "reads and its gradient, no fp32 copy"
    )
    return 3 * plan.act_bytes


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


def _training_state(
    trainable: int, plan: Plan, recipe: Recipe, notes: list[str]
) -> tuple[float, float]:
    """Gradients and optimizer state, per GPU, after ZeRO/FSDP partitioning."""
    label = OPTIMIZER_LABEL[plan.optimizer]
    state_bytes = STATE_BYTES[plan.optimizer]
    if plan.pure_bf16 and plan.optimizer == "adamw":
        state_bytes, label = 4, "AdamW, two bf16 moments"  # moments take the weights' dtype
    if plan.pure_bf16 and recipe.mode == "full":
        grad_bytes, master = 2, 0
        notes.append(f"pure bf16: bf16 weights and gradients, no master copy, {label}")
    elif recipe.mode == "full" and plan.prec.name == "fp32":
        grad_bytes, master = 4, 0
        notes.append(f"fp32 training: fp32 weights and gradients, {label}")
    elif recipe.mode == "full":
        grad_bytes, master = 2, 4  # 16-bit gradients; fp32 master weights held with the optimizer
        notes.append(f"mixed precision: 16-bit weights and gradients, fp32 master weights, {label}")
    else:
        grad_bytes, master = plan.adapter_bytes, 0
        notes.append(f"{label}, for the adapter only; the base model is frozen")
    gpus = recipe.gpus
    stage = 3 if recipe.fsdp else (recipe.zero or 0)
    sharding = "FSDP full sharding" if recipe.fsdp else f"ZeRO stage {stage}"
    if gpus > 1:
        notes.append(f"{gpus} GPUs, {sharding}")
    elif recipe.fsdp or recipe.zero:
        notes.append(f"{sharding} on 1 GPU shards nothing (--gpus N for the GPUs it spreads over)")
    grads = trainable * grad_bytes / (gpus if stage >= 2 else 1)
    states = trainable * (state_bytes + master) / (gpus if stage >= 1 else 1)
    return grads, states
