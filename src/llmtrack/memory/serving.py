"""Serving with vLLM: it takes the card up front and sizes its KV cache from what is left.

vLLM (from its source, ``vllm/v1/worker/gpu_worker.py`` and ``extensible_kv_cache.py``,
release 0.34) profiles one forward pass of ``max_num_batched_tokens`` tokens over
``min(max_num_batched_tokens, max_num_seqs)`` dummy requests, then its sampler over one
row of logits per request, and keeps the rest of the card for the KV cache, less a safety
margin of ``max(1 GiB, 0.75 x the transient peak)`` and that peak itself. With the
extensible KV cache (its default on CUDA) ``gpu_memory_utilization`` is 1.0: nvidia-smi
shows about the whole card whatever the model. It refuses to start when the cache cannot
hold one request of ``max_model_len`` tokens ("To serve at least one request with the
model's max seq len ...").

So for vLLM the question is not the peak but the cache: the estimate counts what vLLM
needs besides it, and how many tokens, and sequences of ``--seq-len``, the rest holds.
"""

from __future__ import annotations

from dataclasses import replace

from llmtrack.catalog.schema import Architecture
from llmtrack.errors import NotApplicable
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.activations import widest_layer
from llmtrack.memory.estimate import GIB, Estimate
from llmtrack.memory.measure import CUDA_CONTEXT_BYTES
from llmtrack.memory.recipe import Recipe
from llmtrack.units import format_count

# vllm/config/... get_batch_defaults for `vllm serve` (the OpenAI API server): the tokens of
# one scheduler step and the most requests at once, by the card's memory; an A100 takes the
# small defaults whatever its size
_SERVER_DEFAULTS = ((160, 16384, 1024), (70, 8192, 1024), (0, 2048, 256))
MARGIN_FLOOR_BYTES = 1 << 30  # KV_CACHE_MARGIN_FLOOR_BYTES on CUDA
MARGIN_SHARE = 0.75  # KV_CACHE_MARGIN_FRACTION


@lazy_dataclass(frozen=True)
class Serving:
    """What a serving engine's KV cache gets on the card, and what that holds."""

    engine: str  # its name as --engine takes it
    kv_pool_bytes: int  # the KV cache it allocates up front
    kv_tokens: int  # how many tokens it holds
    max_sequences: int  # how many requests of --seq-len tokens at once
    # the engine's own settings that sized the pool, under the engine's names
    settings: tuple[tuple[str, float], ...] = ()


ENGINE_LABELS = {"vllm": "vLLM", "sglang": "SGLang"}


def refuse_generate_options(result: Estimate, label: str) -> None:
    """A serving engine sizes its pool from the card and --seq-len: the options that
    describe transformers' generate and AutoAWQ's loader, and llama.cpp formats, are not its."""
    recipe = result.recipe
    if recipe.mode != "inference":
        raise NotApplicable(f"{label} serves models; for fine-tuning choose --stack")
    if recipe.new_tokens is not None or recipe.legacy_cache or recipe.fuse_layers:
        raise NotApplicable(
            f"{label} sizes its cache pool from the card and --seq-len; --new-tokens, "
            "--legacy-cache and --fuse-layers describe transformers' generate and AutoAWQ"
        )
    exllama = (recipe.precision or "").startswith("exl")
    if "compute_buffers" in result.components or exllama:
        raise NotApplicable(
            f"{recipe.precision} is {'ExLlama' if exllama else 'llama.cpp'}'s format: {label} "
            "runs 16-bit, GPTQ, AWQ, bitsandbytes, FP8, NVFP4 or MXFP4 weights"
        )
    if recipe.kv_cache not in _SERVED_CACHES:
        raise NotApplicable(
            f"--kv-cache {recipe.kv_cache} is llama.cpp's: {label} keeps its cache in 16 bits "
            "or fp8 (its --kv-cache-dtype)"
        )


_SERVED_CACHES = (None, "f16", "bf16", "fp32", "fp8")


def split_by_tensor(
    parts: dict[str, int], arch: Architecture, gpus: int, label: str
) -> tuple[dict[str, int], list[str]]:
    """The components as tensor parallelism splits them over ``gpus``: it splits every
    matrix by attention head, so the heads must divide evenly (vLLM's
    ``verify_with_parallel_config``), and a GPU beyond the key/value heads keeps a copy of
    the one it needs (``QKVParallelLinear``: ``num_kv_head_replicas``); the compressed cache
    of latent attention is kept whole on every GPU. With the line that says how."""
    if gpus == 1 or not arch.heads:
        return parts, []
    if arch.heads % gpus:
        raise NotApplicable(
            f"{label} splits the {arch.heads} attention heads evenly over its GPUs: --gpus "
            f"{gpus} does not divide them"
        )
    kv_heads = 1 if arch.latent_attention else (arch.kv_heads or arch.heads)
    said = (
        f"{label} splits every matrix over {gpus} GPUs (tensor parallel): each holds its "
        "share of the weights"
    )
    if kv_heads >= gpus and not kv_heads % gpus:
        return parts, [f"{said} and of the KV cache"]
    if kv_heads % gpus and gpus % kv_heads:
        raise NotApplicable(
            f"{label} gives each GPU whole key/value heads: --gpus {gpus} neither divides "
            f"the {kv_heads} nor is a multiple of them"
        )
    cache = (
        "the latent cache whole"
        if arch.latent_attention
        else f"a copy of one of the {kv_heads} key/value heads' cache"
    )
    return {**parts, "kv_cache": round(parts["kv_cache"] * gpus / kv_heads)}, [
        f"{said}, and {cache}"
    ]


def what_the_pool_holds(parts: dict[str, int], recipe: Recipe, pool: int) -> tuple[int, int]:
    """Tokens, and requests of --seq-len, that a pool of ``pool`` bytes holds."""
    cache = parts["kv_cache"] + parts.get("state", 0)
    # a recurrent layer's state is per request, an attention layer's cache per token
    per_request = cache / recipe.batch
    sequences = int(pool // per_request) if per_request else 0
    per_token = parts["kv_cache"] / (recipe.batch * (recipe.seq_len or 1))
    return (int(pool / per_token) if per_token else 0), sequences


def server_defaults(card_gib: float, card_label: str) -> tuple[int, int]:
    """``max_num_batched_tokens`` and ``max_num_seqs`` as `vllm serve` picks them."""
    if "a100" in card_label.lower():
        return _SERVER_DEFAULTS[-1][1:]
    for floor, tokens, seqs in _SERVER_DEFAULTS:
        if card_gib >= floor:
            return tokens, seqs
    raise AssertionError("the last row's floor is 0")


def on_vllm(
    result: Estimate, arch: Architecture, card_gib: float, card_label: str
) -> tuple[Estimate, Serving]:
    """The estimate as vLLM runs it on the card, and what its KV cache holds."""
    recipe = result.recipe
    refuse_generate_options(result, "vLLM")
    parts, split = split_by_tensor(result.components, arch, recipe.gpus, "vLLM")
    tokens, seqs = server_defaults(card_gib, card_label)
    requests = min(tokens, seqs)
    act_bytes = 4 if recipe.precision == "fp32" else 2
    # the profiled forward pass, sized as every temporary of its widest layer: the margin
    # below was fitted to vLLM's logs with this figure, not with the live peak alone
    activations = widest_layer(arch, 1, tokens, act_bytes, True)
    # the sampler's logits: one row per dummy request, in the compute dtype and in fp32
    logits = requests * (arch.vocab_size or 0) * (act_bytes + 4)
    transient = activations + logits
    margin = max(MARGIN_FLOOR_BYTES, MARGIN_SHARE * transient)
    components = {
        "weights": parts["weights"],
        "kv_cache": parts["kv_cache"],
        **({"state": parts["state"]} if "state" in parts else {}),
        "activations": round(activations),
        "logits": round(logits),
        "vllm_margin": round(margin),
        "cuda_context": parts.get("cuda_context", CUDA_CONTEXT_BYTES),
    }
    cache = parts["kv_cache"] + parts.get("state", 0)
    others = sum(components.values()) - cache
    pool = max(0, int(card_gib * GIB - others))
    kv_tokens, sequences = what_the_pool_holds(parts, recipe, pool)
    settings = (("max_num_batched_tokens", tokens), ("max_num_seqs", seqs))
    serving = Serving("vllm", pool, kv_tokens, sequences, settings)
    notes = engine_notes(result, split, "vLLM")
    notes += [
        f"vLLM (`vllm serve` defaults for a {card_gib:g} GiB card): profiles {tokens:,} tokens "
        f"at once (max_num_batched_tokens) and its sampler over {requests} requests; keeps "
        f"{margin / GIB:.2f} GiB spare (max(1 GiB, 0.75 x that peak))",
        f"vLLM takes the whole card (gpu_memory_utilization 1.0, its default with the "
        f"extensible KV cache): the KV cache gets {pool / GIB:.2f} GiB, "
        f"{format_count(kv_tokens, 'token')}, {format_count(sequences, 'request')} of "
        f"{recipe.seq_len:,} at once; nvidia-smi shows about the card",
        "vLLM's CUDA graphs are not counted (0.1 to 0.65 GiB in published logs)",
    ]
    if sequences < 1:
        notes.append(
            f"vLLM would not start: its KV cache cannot hold one request of {recipe.seq_len:,} "
            "tokens (lower --seq-len, its --max-model-len)"
        )
    return replace(result, components=components, assumptions=notes, paged=frozenset()), serving


# transformers' own terms, which a serving engine's replace
DROPPED = (
    "allocator cache",
    "CUDA context",
    "peak as ",
    "logits for the last position",
    "weights and KV cache split by layer",  # transformers' device_map; these split by tensor
)


def engine_notes(result: Estimate, split: list[str], label: str) -> list[str]:
    """The estimate's assumptions as a serving engine runs it: transformers' own terms
    dropped, how tensor parallelism splits it, and what its peak is."""
    notes = [n for n in result.assumptions if not n.startswith(DROPPED)]
    return [
        *notes,
        *split,
        f"peak: what {label} needs of the card for --batch requests of --seq-len; the KV "
        "cache it allocates up front holds the rest",
    ]
