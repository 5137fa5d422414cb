"""A Hugging Face ``config.json`` read into a catalog entry: the architecture the estimator
needs, under the names each model family's config uses.

Pure: a dict in, a plain entry dict (the catalog's YAML shape) out, with a note for every
value that was not stated and had to follow transformers' default. The caller validates it
like any catalog entry, so a hostile file gets the catalog's bounds and messages.
"""

from __future__ import annotations

import re
from typing import Any

from llmtrack.errors import UsageError

# Families whose FFN is two matrices (fc1/fc2); every other family in transformers with an
# intermediate_size gates it (SwiGLU, GeGLU: three matrices).
MLP_MODEL_TYPES = frozenset(
    {"gpt2", "gpt_neox", "gptj", "gpt_neo", "opt", "bloom", "falcon", "phi", "gpt_bigcode",
     "mpt", "starcoder2", "bert", "roberta", "t5", "stablelm_epoch", "codegen", "nemotron",
     "nemotron_h"}
)  # fmt: skip
LEARNED_POSITIONS = frozenset({"gpt2", "opt", "gpt_bigcode", "gpt_neo", "bert", "roberta"})
ALIBI_MODEL_TYPES = frozenset({"bloom", "mpt"})
# model types whose config class defaults to tie_word_embeddings=False (transformers 4.57.1's
# configuration_*.py); every other one inherits PretrainedConfig's True
UNTIED_BY_DEFAULT = frozenset(
    {"apertus", "arcee", "bamba", "bitnet", "codegen", "deepseek_v2", "deepseek_v3",
     "diffllama", "doge", "dots1", "exaone4", "falcon_h1", "flex_olmo", "glm", "glm4",
     "glm4_moe", "gpt_neox", "gpt_oss", "gptj", "granite", "granitemoe", "granitemoehybrid",
     "granitemoeshared", "helium", "hunyuan_v1_dense", "hunyuan_v1_moe", "jamba", "llama",
     "llama4", "llama4_text", "longcat_flash", "mamba2", "minimax", "ministral", "mistral",
     "mixtral", "nemotron", "olmo", "olmo2", "olmo3", "olmoe", "persimmon", "phi", "phi3",
     "phimoe", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "qwen3_next", "rwkv", "seed_oss",
     "stablelm", "xlstm"}
)  # fmt: skip
LAYER_KIND = {
    "full_attention": "full",
    "attention": "full",
    "global": "full",
    "sliding_attention": "sliding",
    "local": "sliding",
    "chunked_attention": "chunked",
    "linear_attention": "linear",
    "mamba": "mamba",
    "mamba2": "mamba",
    "conv": "conv",
    "mlp": "ffn",
    "moe": "ffn",
}
# Nemotron-H's hybrid_override_pattern: one character per layer, each layer one sub-layer
PATTERN_KIND = {"M": "mamba", "*": "full", "-": "ffn", "E": "ffn"}


def _first(config: dict, *keys: str) -> Any:
    for key in keys:
        if config.get(key) is not None:
            return config[key]
    return None


def _layer_types(config: dict, layers: int, notes: list[str]) -> list[str] | None:
    pattern = config.get("hybrid_override_pattern")
    if isinstance(pattern, str) and pattern:
        unknown = sorted(set(pattern) - set(PATTERN_KIND))
        if unknown:
            raise UsageError(
                f"config.json: layer {unknown[0]!r} of hybrid_override_pattern is unknown"
            )
        return [PATTERN_KIND[c] for c in pattern]
    full = config.get("full_attn_idxs")  # LFM2: which layers attend; the rest convolve
    if isinstance(full, list) and config.get("conv_L_cache"):
        return ["full" if i in full else "conv" for i in range(layers)]
    listed = config.get("layer_types") or config.get("layers_block_type")
    if isinstance(listed, list) and listed:
        unknown = sorted({str(kind) for kind in listed} - set(LAYER_KIND))
        if unknown:
            raise UsageError(f"config.json: layer type {unknown[0]!r} is not one llmtrack models")
        kinds = [LAYER_KIND[kind] for kind in listed]
        return None if set(kinds) == {"full"} else kinds
    interval = config.get("full_attention_interval")  # Qwen3-Next: every 4th layer is full
    if isinstance(interval, int) and interval > 0:
        return ["linear"] * (interval - 1) + ["full"]
    no_rope = config.get("no_rope_layers")  # Llama 4: 1 = chunked RoPE layer, 0 = full NoPE
    if config.get("attention_chunk_size") and isinstance(no_rope, list) and no_rope:
        return ["chunked" if flag else "full" for flag in no_rope]
    if config.get("attention_chunk_size"):
        notes.append("attention_chunk_size without no_rope_layers: every 4th layer taken as full")
        return ["chunked", "chunked", "chunked", "full"]
    return None


def entry_from_config(
    config: Any, source: str, name_hint: str | None = None
) -> tuple[dict, list[str]]:
    """The catalog entry (as a plain dict) a config describes, and the notes on what was
    assumed. ``source`` names where it came from; ``name_hint`` (a repo id or folder name)
    names the model when the config does not."""
    if not isinstance(config, dict):
        raise UsageError(f"{source}: not a config.json (a JSON object)")
    notes: list[str] = []
    top = config
    text = config.get("text_config")
    if isinstance(text, dict):  # a vision-language model: the language model's own config
        config = {**{k: v for k, v in config.items() if k != "text_config"}, **text}
        notes.append("a multimodal config: its text_config describes the language model")
    model_type = str(_first(config, "model_type") or top.get("model_type") or "")
    layers = _first(config, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
    hidden = _first(config, "hidden_size", "n_embd", "d_model", "dim")
    heads = _first(config, "num_attention_heads", "n_head", "num_heads", "n_heads")
    if layers is None or hidden is None or heads is None:
        raise UsageError(
            f"{source}: no layer count, hidden size or head count; is this a model's config.json?"
        )
    ffn = _first(config, "intermediate_size", "n_inner", "ffn_dim", "d_ff", "ffn_hidden_size")
    if isinstance(ffn, list) and ffn and all(isinstance(n, int) for n in ffn):
        notes.append(f"intermediate sizes differ per layer: the largest, {max(ffn)}, taken")
        ffn = max(ffn)
    if ffn is None and isinstance(hidden, int):
        ffn = 4 * hidden
        notes.append("no intermediate_size: 4 x hidden, GPT-2's default")
    kv_heads = _first(config, "num_key_value_heads", "num_kv_heads", "n_head_kv")
    if kv_heads is None and config.get("multi_query"):
        kv_heads = 1
    tied = config.get("tie_word_embeddings")
    if tied is None:
        tied = model_type not in UNTIED_BY_DEFAULT
        kind = f"{model_type}'s" if model_type else "transformers'"
        notes.append(
            f"tie_word_embeddings not stated: {kind} default, {'tied' if tied else 'untied'}"
        )
    position = "rotary"
    if config.get("position_embedding_type") == "nope" or model_type == "nemotron_h":
        position = "none"  # Granite 4.0-H and Nemotron-H use no positional encoding
    elif model_type in LEARNED_POSITIONS:
        position = "learned"
    elif model_type in ALIBI_MODEL_TYPES or config.get("alibi"):
        position = "alibi"
    head_dim = config.get("head_dim")
    numbers = all(isinstance(v, int) for v in (head_dim, hidden, heads))
    if numbers and heads and head_dim == hidden // heads:
        head_dim = None  # the catalog states head_dim only where it differs
    arch: dict[str, Any] = {
        "kind": "decoder",
        "layers": layers,
        "hidden_size": hidden,
        "heads": heads,
        "kv_heads": kv_heads,
        "head_dim": head_dim,
        "ffn_size": ffn,
        "ffn_kind": "mlp" if model_type in MLP_MODEL_TYPES else "gated",
        "activation": _first(config, "hidden_act", "activation_function"),
        "vocab_size": _first(config, "vocab_size", "padded_vocab_size"),
        "tied_embeddings": bool(tied),
        "position": position,
    }
    if config.get("use_sliding_window") is not False and config.get("sliding_window"):
        arch["sliding_window"] = config["sliding_window"]
    if isinstance(layers, int):
        kinds = _layer_types(config, layers, notes)
        if kinds:
            arch["layer_types"] = kinds
            if "ffn" in kinds:  # Nemotron-H: a layer is a mixer alone or an FFN alone
                arch["separate_ffn"] = True
        elif arch.get("sliding_window") and config.get("sliding_window_pattern"):
            arch["sliding_window_pattern"] = config["sliding_window_pattern"]
    arch["attention_chunk_size"] = config.get("attention_chunk_size")
    _experts(config, arch)
    _special_layers(config, arch)
    arch = {k: v for k, v in arch.items() if v is not None}
    weights_format = _weights_format(top.get("quantization_config"), notes)
    if "vision_config" in top or "audio_config" in top:
        notes.append("the vision/audio tower is not in this count: its config is not read")
    name = str(top.get("_name_or_path") or "").strip("/") or name_hint
    entry = {
        "id": _slug(name.split("/")[-1] if name else model_type or "my-model"),
        "name": name.split("/")[-1] if name else (model_type or "my model"),
        "aliases": [name] if name and "/" in name else [],
        "family": model_type or "unknown",
        "access": "open-weights",
        "context_length": _first(config, "max_position_embeddings", "n_positions", "seq_length"),
        "architecture": arch,
        "weights_format": weights_format,
        "sources": [_source_url(name, source)],
    }
    return {k: v for k, v in entry.items() if v is not None}, notes


def _weights_format(quantization: Any, notes: list[str]) -> str | None:
    """The precision a quantized checkpoint ships in, from its quantization_config."""
    if not isinstance(quantization, dict):
        if quantization is not None:
            notes.append("quantization_config is not an object: not read, fp16 assumed")
        return None
    method = str(quantization.get("quant_method", "")).lower()
    bits = quantization.get("bits")
    if quantization.get("load_in_4bit"):
        return "nf4"
    if quantization.get("load_in_8bit"):
        return "int8"
    whole = None if isinstance(bits, bool) or bits not in (2, 3, 4, 8) else int(bits)
    known = {"mxfp4": "mxfp4", "fp8": "fp8", "awq": f"awq-{whole}bit", "gptq": f"gptq-{whole}bit"}
    chosen = known.get(method)
    from llmtrack.memory.precisions import PRECISIONS

    if chosen in PRECISIONS:
        return chosen
    if method in ("awq", "gptq"):
        modelled = "3, 4 and 8" if method == "gptq" else "4"
        notes.append(
            f"quantization_config {method} with bits {bits!r}: llmtrack models {modelled}-bit "
            f"{method.upper()}; fp16 assumed (--precision to choose)"
        )
        return None
    notes.append(
        f"quantization_config {method or '?'} is not a format llmtrack models: fp16 assumed"
    )
    return None


def checkpoint_settings(config: Any, notes: list[str]) -> tuple[str | None, int | None]:
    """What a config.json's quantization_config sets beside the format: the GPTQ kernel
    transformers loads 4-bit weights on (``--gptq-kernel``'s names; None for its default,
    ExLlama v1) and the GPTQ or AWQ group size (None when not said).

    Read as transformers 4.57.1's ``GPTQConfig.post_init`` reads them: a false
    ``use_exllama`` or ``backend: auto_trainable`` turns ExLlama off, ``exllama_config:
    {version: 2}`` picks ExLlamaV2, both for 4 bits only; ``group_size`` is -1 or positive.
    Optimum's older ``disable_exllama`` is not read there either."""
    quantization = config.get("quantization_config") if isinstance(config, dict) else None
    if not isinstance(quantization, dict):
        return None, None
    method = str(quantization.get("quant_method", "")).lower()
    if method not in ("gptq", "awq"):
        return None, None
    group = quantization.get("group_size")
    if group is not None and (type(group) is not int or not (group == -1 or 0 < group <= 10**6)):
        raise UsageError(
            f"config.json: quantization_config.group_size {group!r}: transformers takes -1 "
            "(one scale per column) or a positive whole number (llmtrack: up to 1,000,000)"
        )
    if method != "gptq":
        return None, group
    return _gptq_kernel(quantization, notes), group


def _gptq_kernel(quantization: dict, notes: list[str]) -> str | None:
    exllama = quantization.get("exllama_config")
    bits = quantization.get("bits")
    if isinstance(bits, bool) or bits != 4:
        if exllama is not None or quantization.get("use_exllama"):
            notes.append("quantization_config's ExLlama settings apply to 4-bit GPTQ only")
        return None
    backend = quantization.get("backend")
    if backend not in (None, "auto", "auto_trainable"):
        notes.append(
            f"quantization_config backend {backend!r} picks a GPTQModel kernel, not modelled: "
            "AutoGPTQ's kernels as transformers picks them are counted"
        )
    use_exllama = quantization.get("use_exllama")
    if (use_exllama is not None and not use_exllama) or backend == "auto_trainable":
        return "cuda"
    if exllama is None:
        return None
    version = exllama.get("version") if isinstance(exllama, dict) else None
    if version not in (1, 2):
        raise UsageError(
            f"config.json: quantization_config.exllama_config {exllama!r}: transformers "
            "takes a version of 1 or 2 and refuses to load anything else"
        )
    return "exllamav2" if version == 2 else "exllama"


def _experts(config: dict, arch: dict) -> None:
    experts = _first(
        config, "num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"
    )
    if not experts or experts == 1:
        return
    arch["experts"] = experts
    arch["experts_per_token"] = _first(config, "num_experts_per_tok", "moe_top_k", "top_k_experts")
    arch["expert_ffn_size"] = _first(config, "moe_intermediate_size", "expert_intermediate_size")
    shared = _first(
        config,
        "shared_expert_intermediate_size",
        "shared_intermediate_size",
        "moe_shared_expert_intermediate_size",
    )
    if config.get("model_type") in ("llama4", "llama4_text"):
        # Llama 4: intermediate_size is each expert's and the one shared expert's width
        arch["expert_ffn_size"] = config.get("intermediate_size")
        shared = shared or config.get("intermediate_size")
    count = config.get("n_shared_experts")
    if shared is None and count and arch["expert_ffn_size"]:
        shared = count * arch["expert_ffn_size"]  # DeepSeek: n shared experts of moe size
    arch["shared_expert_ffn_size"] = shared or None
    arch["dense_layers"] = config.get("first_k_dense_replace") or None
    step = _first(config, "interleave_moe_layer_step", "decoder_sparse_step")
    arch["moe_layer_step"] = step if step and step > 1 else None
    if config.get("intermediate_size_mlp") and arch.get("moe_layer_step"):
        arch["ffn_size"] = config["intermediate_size_mlp"]  # Llama 4: the dense layers' width


def _special_layers(config: dict, arch: dict) -> None:
    if config.get("kv_lora_rank"):
        arch["latent_attention"] = {
            "q_lora_rank": config.get("q_lora_rank"),
            "kv_lora_rank": config["kv_lora_rank"],
            "rope_head_dim": config.get("qk_rope_head_dim"),
            "nope_head_dim": config.get("qk_nope_head_dim"),
            "v_head_dim": config.get("v_head_dim"),
        }
    if config.get("linear_num_value_heads"):
        arch["linear_attention"] = {
            "key_heads": config.get("linear_num_key_heads"),
            "value_heads": config.get("linear_num_value_heads"),
            "key_head_dim": config.get("linear_key_head_dim"),
            "value_head_dim": config.get("linear_value_head_dim"),
            "conv_kernel": config.get("linear_conv_kernel_dim"),
        }
    if config.get("mamba_n_heads") or config.get("mamba_num_heads"):
        arch["mamba"] = {  # Granite 4.0-H's names, else Nemotron-H's
            "heads": _first(config, "mamba_n_heads", "mamba_num_heads"),
            "head_dim": _first(config, "mamba_d_head", "mamba_head_dim"),
            "state_size": _first(config, "mamba_d_state", "ssm_state_size"),
            "groups": _first(config, "mamba_n_groups", "n_groups"),
            "conv_kernel": _first(config, "mamba_d_conv", "conv_kernel"),
        }
    arch["conv_kernel"] = config.get("conv_L_cache")  # LFM2's short convolution
    arch["attention_gate"] = True if config.get("attn_output_gate") else None
    arch["kv_shared_layers"] = config.get("num_kv_shared_layers") or None
    arch["per_layer_embedding"] = config.get("hidden_size_per_layer_input") or None
    arch["mtp_layers"] = _first(config, "num_nextn_predict_layers", "mtp_num_hidden_layers") or None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")
    return slug or "my-model"


def _source_url(name: str | None, source: str) -> str:
    if source.startswith("https://"):
        return source
    if name and re.fullmatch(r"[\w.-]+/[\w.-]+", name):
        return f"https://huggingface.co/{name}/blob/main/config.json"
    return "https://example.org/where-you-read-it"
