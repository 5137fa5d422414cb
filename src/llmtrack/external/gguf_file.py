"""A local ``.gguf`` file read into a catalog entry: the architecture from its header, and
its weights' exact size from its tensors. Needs the ``gguf`` package (the gguf extra).

The header is metadata under ``{architecture}.*`` keys (llama.cpp's names); the weights are
what the tensors occupy, so a mixed file type (Q4_K_M) needs no rule of thumb.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass

# llama.cpp's file types (general.file_type) as llmtrack's precision names
_FILE_TYPES = {
    "MOSTLY_F16": "f16",
    "MOSTLY_BF16": "f16",
    "ALL_F32": "f32",
    "MOSTLY_Q8_0": "q8_0",
    "MOSTLY_Q4_0": "q4_0",
    "MOSTLY_Q4_1": "q4_1",
    "MOSTLY_Q5_0": "q5_0",
    "MOSTLY_Q5_1": "q5_1",
    "MOSTLY_Q2_K_S": "q2_k",
}


@lazy_dataclass(frozen=True)
class GgufModel:
    entry: dict  # the catalog entry, as plain data
    weight_bytes: int  # what the file's tensors occupy
    precision: str  # llmtrack's name of its file type
    notes: tuple[str, ...]
    params: int  # every tensor's elements


def read_gguf(path: Path) -> GgufModel:
    try:
        import gguf  # noqa: F401 (only to say it is missing)
    except ImportError:
        raise UsageError(
            "reading a .gguf file needs the gguf package: pip install 'llmtrack[gguf]'"
        ) from None
    fields, tensors, params = _read(path)
    shards = fields.get("split.count")
    if isinstance(shards, int) and shards > 1:  # a model split over files: read them all
        for other in _shards(path, shards)[1:]:
            _, more, more_params = _read(other)
            tensors += more
            params += more_params
    return _model(path, fields, tensors, params)


def _read(path: Path) -> tuple[dict, list[tuple[str, int]], int]:
    import gguf

    try:
        reader = gguf.GGUFReader(str(path))
        fields = {name: _value(field) for name, field in reader.fields.items()}
        tensors = [(t.name, int(t.n_bytes)) for t in reader.tensors]
        params = sum(int(t.n_elements) for t in reader.tensors)
    except UsageError:
        raise
    except Exception as error:  # the gguf package raises whatever its parsing hits
        raise UsageError(f"{path}: not a readable GGUF file ({type(error).__name__})") from None
    return fields, tensors, params


def _shards(path: Path, count: int) -> list[Path]:
    """model-00001-of-00003.gguf and its siblings, all of which must be there."""
    match = re.fullmatch(r"(.*)-(\d{5})-of-(\d{5})\.gguf", path.name)
    if not match or int(match.group(3)) != count:
        raise UsageError(f"{path}: the header says {count} shards, its name does not say which")
    names = [f"{match.group(1)}-{i:05d}-of-{count:05d}.gguf" for i in range(1, count + 1)]
    if names[0] != path.name:
        raise UsageError(f"{path}: give the first shard, {names[0]}")
    missing = [name for name in names if not (path.parent / name).is_file()]
    if missing:
        raise UsageError(f"{path}: shard {missing[0]} is missing ({count} shards in all)")
    return [path.parent / name for name in names]


def _value(field: Any) -> Any:
    if field.name == "tokenizer.ggml.tokens":
        return len(field.data)  # the vocabulary's size is all we need, not 150k strings
    if field.name.startswith("tokenizer."):
        return None
    value = field.contents()
    return value


def _model(path: Path, fields: dict, tensors: list[tuple[str, int]], params: int) -> GgufModel:
    arch_name = fields.get("general.architecture")
    if not isinstance(arch_name, str):
        raise UsageError(f"{path}: no general.architecture in the GGUF header")
    kind = fields.get("general.type")
    if kind not in (None, "model") or arch_name in ("clip", "mmproj"):
        raise UsageError(f"{path}: a {kind or arch_name} file, not a model's weights")
    if not tensors:
        raise UsageError(f"{path}: no tensors (a vocabulary-only file?)")

    def key(name: str) -> Any:
        value = fields.get(f"{arch_name}.{name}")
        if isinstance(value, bool) or (
            isinstance(value, list) and any(isinstance(v, bool) for v in value)
        ):
            raise UsageError(f"{path}: {arch_name}.{name} is a boolean, not a number")
        return value

    names = {name for name, _ in tensors}
    notes = [f"read from {path.name}'s GGUF header ({arch_name})"]
    kv = key("attention.head_count_kv")
    layers = key("block_count")
    arch: dict[str, Any] = {
        "kind": "decoder",
        "layers": layers,
        "hidden_size": key("embedding_length"),
        "heads": _largest(key("attention.head_count")),
        "kv_heads": _largest(kv),
        "ffn_size": _largest(key("feed_forward_length")),
        "ffn_kind": "gated" if any("ffn_gate" in n for n in names) else "mlp",
        "vocab_size": key("vocab_size") or fields.get("tokenizer.ggml.tokens"),
        "tied_embeddings": "output.weight" not in names,
        "position": "rotary",
        "experts": key("expert_count") or None,
        "experts_per_token": key("expert_used_count") or None,
        "expert_ffn_size": key("expert_feed_forward_length"),
        "dense_layers": key("leading_dense_block_count") or None,
    }
    if key("attention.sliding_window"):
        # the header gives the window but not which layers use it (llama.cpp knows that per
        # architecture): every layer counted as full attention, the larger cache
        notes.append(
            "the file has a sliding window but does not say which layers use it: every layer "
            "is counted as full attention (an upper bound on the cache)"
        )
    _head_dim(arch, key)
    _latent(arch, key)
    if isinstance(kv, list) and isinstance(layers, int) and 0 in kv:
        _recurrent(arch, key, kv, path)
        notes.append("layers with no key/value heads hold a Mamba-2 state, from the ssm.* keys")
    if arch["experts"] is None:
        for name in ("experts_per_token", "expert_ffn_size", "dense_layers"):
            arch[name] = None
    arch = {k: v for k, v in arch.items() if v is not None}
    name = fields.get("general.name") or path.stem
    entry = {
        "id": _slug(path.stem),
        "name": str(name),
        "family": str(fields.get("general.basename") or arch_name),
        "access": "open-weights",
        "context_length": key("context_length"),
        "architecture": arch,
        "sources": ["https://example.org/local-gguf-file"],
    }
    size = sum(size for _, size in tensors)
    return GgufModel(entry, size, _precision(fields), tuple(notes), params)


def _head_dim(arch: dict, key) -> None:
    key_length = key("attention.key_length")
    hidden, heads = arch["hidden_size"], arch["heads"]
    known = isinstance(key_length, int) and isinstance(hidden, int) and isinstance(heads, int)
    if known and heads and key_length != hidden // heads:
        arch["head_dim"] = key_length


def _latent(arch: dict, key) -> None:
    """DeepSeek's multi-head latent attention, as llama.cpp's converter writes it."""
    rank = key("attention.kv_lora_rank")
    if not rank:
        return
    rope = key("rope.dimension_count") or 0
    key_length = key("attention.key_length") or 0
    arch["latent_attention"] = {
        "q_lora_rank": key("attention.q_lora_rank") or None,
        "kv_lora_rank": rank,
        "rope_head_dim": rope,
        "nope_head_dim": key_length - rope if key_length > rope else None,
        "v_head_dim": key("attention.value_length"),
    }
    arch.pop("head_dim", None)


def _recurrent(arch: dict, key, kv: list, path: Path) -> None:
    """Hybrids list kv heads per layer, 0 where a Mamba-2 layer holds a state instead."""
    heads, inner = key("ssm.time_step_rank"), key("ssm.inner_size")
    if not (heads and inner and key("ssm.state_size") and key("ssm.conv_kernel")):
        raise UsageError(
            f"{path}: recurrent layers whose shapes the header does not give; estimate the "
            "model's config.json instead"
        )
    arch["layer_types"] = ["full" if n else "mamba" for n in kv]
    arch["kv_heads"] = max(n for n in kv if isinstance(n, int))
    arch["mamba"] = {
        "heads": heads,
        "head_dim": inner // heads,
        "state_size": key("ssm.state_size"),
        "groups": key("ssm.group_count") or 1,
        "conv_kernel": key("ssm.conv_kernel"),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.") or "gguf-file"


def _largest(value: Any) -> Any:
    """A per-layer list's largest value (some files list heads or FFN sizes per layer)."""
    if isinstance(value, list):
        numbers = [v for v in value if isinstance(v, int)]
        return max(numbers) if numbers else None
    return value


def _precision(fields: dict) -> str:
    import gguf

    from llmtrack.memory.precisions import PRECISIONS

    number = fields.get("general.file_type")
    if not isinstance(number, int):
        return "f16"  # unstated: the weights are the tensors' own sizes anyway
    try:
        kind = gguf.LlamaFileType(number).name
    except (ValueError, TypeError):
        return "f16"  # unknown: the weights are the tensors' own sizes anyway
    name = _FILE_TYPES.get(kind) or kind.removeprefix("MOSTLY_").lower()
    return name if name in PRECISIONS else "f16"
