"""A local ``.gguf`` file read into a catalog entry: the architecture from its header, and
its weights' exact size from its tensors. Needs the ``gguf`` package (the gguf extra).

The header is metadata under ``{architecture}.*`` keys (llama.cpp's names); the weights are
what the tensors occupy, so a mixed file type (Q4_K_M) needs no rule of thumb.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass

# llama.cpp's file types (general.file_type) as llmtrack's precision names
_FILE_TYPES = {
    "MOSTLY_F16": "f16",
    "MOSTLY_BF16": "f16",
    "ALL_F32": "f16",
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
        import gguf
    except ImportError:
        raise UsageError(
            "reading a .gguf file needs the gguf package: pip install 'llmtrack[gguf]'"
        ) from None
    try:
        reader = gguf.GGUFReader(str(path))
        fields = {name: _value(field) for name, field in reader.fields.items()}
        tensors = [(t.name, int(t.n_bytes)) for t in reader.tensors]
        params = sum(int(t.n_elements) for t in reader.tensors)
    except UsageError:
        raise
    except Exception as error:  # the gguf package raises whatever its parsing hits
        raise UsageError(f"{path}: not a readable GGUF file ({type(error).__name__})") from None
    return _model(path, fields, tensors, params)


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

    def key(name: str) -> Any:
        return fields.get(f"{arch_name}.{name}")

    names = {name for name, _ in tensors}
    notes = [f"read from {path.name}'s GGUF header ({arch_name})"]
    heads = _largest(key("attention.head_count"))
    kv = key("attention.head_count_kv")
    layers = key("block_count")
    arch: dict[str, Any] = {
        "kind": "decoder",
        "layers": layers,
        "hidden_size": key("embedding_length"),
        "heads": heads,
        "kv_heads": _largest(kv),
        "ffn_size": _largest(key("feed_forward_length")),
        "ffn_kind": "gated" if any("ffn_gate" in n for n in names) else "mlp",
        "vocab_size": key("vocab_size") or fields.get("tokenizer.ggml.tokens"),
        "tied_embeddings": "output.weight" not in names,
        "position": "rotary",
        "sliding_window": key("attention.sliding_window"),
        "experts": key("expert_count") or None,
        "experts_per_token": key("expert_used_count") or None,
        "expert_ffn_size": key("expert_feed_forward_length"),
        "dense_layers": key("leading_dense_block_count") or None,
    }
    key_length = key("attention.key_length")
    hidden, heads = arch["hidden_size"], arch["heads"]
    known = isinstance(key_length, int) and isinstance(hidden, int) and heads
    if known and key_length != hidden // heads:
        arch["head_dim"] = key_length
    if isinstance(kv, list) and isinstance(layers, int) and 0 in kv:
        # hybrids list kv heads per layer: 0 where a recurrent layer holds a state instead
        notes.append("recurrent layers in this file are not modelled: the cache is the attention's")
        arch["kv_heads"] = _largest(kv)
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


def _slug(text: str) -> str:
    import re

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
