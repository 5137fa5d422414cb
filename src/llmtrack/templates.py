"""`llmtrack new SECTION`: a commented YAML template for one entry, built from the schema.

Every field of the section appears, with a comment saying whether it is required, its type
or allowed values and its unit. Required fields carry example values and optional ones
``null``, so the template is a valid catalog file as printed; optional nested records and
lists of records are shown commented out, ready to uncomment and fill in.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from typing import Any, Literal

from llmtrack import schema

# What each field means, its unit, and an example; keyed by "record.field" or "field".
NOTES: dict[str, str] = {
    "id": "lowercase slug, unique across the whole catalog",
    "name": "as the project or paper writes it",
    "aliases": "other names people type, e.g. [my-model-7b]",
    "notes": "anything a reader should know, e.g. why a field is null",
    "corrections": "where the awesome list says something its sources do not",
    "sources": "public URLs you read for these facts, the project's own first",
    "family": "e.g. LLaMA; a family name selects every size in filters",
    "org": "the organisation behind it",
    "params": "parameter count, an exact integer where published (6738415616)",
    "params_exact": "false when params is a nominal count such as 7000000000",
    "released": "ISO date: 2023-03-13, or 2023-03, or 2023",
    "date": "ISO date of the first version: 2023-03-13, or 2023-03, or 2023",
    "license": "as the source states it",
    "access": "open-weights, api or none",
    "context_length": "tokens",
    "training_tokens": "tokens seen in pre-training",
    "architecture": "from config.json; the memory estimator needs it for open-weights models",
    "Architecture.kind": "decoder, encoder or encoder-decoder",
    "Architecture.layers": "transformer blocks (encoder blocks for encoder-decoder)",
    "Architecture.decoder_layers": "encoder-decoder models only",
    "Architecture.hidden_size": "d_model",
    "Architecture.heads": "attention heads",
    "Architecture.kv_heads": "key/value heads (fewer than heads with grouped-query attention)",
    "Architecture.head_dim": "only when it is not hidden_size / heads",
    "Architecture.ffn_size": "intermediate size of the feed-forward block",
    "Architecture.ffn_kind": "mlp (two matrices) or gated (three: SwiGLU, GeGLU)",
    "Architecture.activation": "e.g. gelu, silu, relu",
    "Architecture.vocab_size": "as in config.json (padded size)",
    "Architecture.tied_embeddings": "true when lm_head shares the embedding matrix",
    "Architecture.position": "learned, rotary, alibi or relative",
    "Architecture.sliding_window": "tokens a windowed layer attends to, when the model uses one",
    "Architecture.sliding_window_pattern": "every Nth layer attends globally (Gemma 2: 2)",
    "Architecture.experts": "mixture of experts: routed experts per layer",
    "Architecture.experts_per_token": "routed experts each token uses (top-k)",
    "Architecture.expert_ffn_size": "one expert's intermediate size, when not ffn_size",
    "Architecture.shared_expert_ffn_size": "all always-on shared experts together",
    "Architecture.dense_layers": "leading layers with a dense FFN instead of experts",
    "Architecture.latent_attention": "DeepSeek-V2 multi-head latent attention",
    "LatentAttention.q_lora_rank": "null when queries are a plain projection",
    "LatentAttention.kv_lora_rank": "the compressed key/value latent the cache holds",
    "LatentAttention.rope_head_dim": "qk_rope_head_dim",
    "LatentAttention.nope_head_dim": "qk_nope_head_dim",
    "LatentAttention.v_head_dim": "v_head_dim",
    "active_params": "mixture of experts: parameters each token uses",
    "paper": "reference id, e.g. llama-paper",
    "links": "home, repo, paper, model, data, demo: URLs or null",
    "Links.home": "URL of the project's page",
    "Links.repo": "URL of the code",
    "Links.paper": "URL of the paper",
    "Links.model": "URL of the weights",
    "Links.data": "URL of the data",
    "Links.demo": "URL of a demo",
    "base_models": "base model ids, e.g. [llama-7b]",
    "data": "the training data",
    "TrainingData.description": "what the data is and where it comes from",
    "TrainingData.size": "as the source says it, e.g. 52K instructions",
    "TrainingData.examples": "an integer count, when published",
    "TrainingData.origins": "human-written, self-instruct, model-generated, user-shared, "
    "public-datasets, web, translated",
    "TrainingData.generator": "the model that generated the data, e.g. text-davinci-003",
    "TrainingData.languages": "ISO 639-1 codes, e.g. [en, zh]",
    "TrainingData.license": "the data's license",
    "methods": "sft, lora, adapter, p-tuning, rm, rlhf, vocab-extension, "
    "continued-pretraining, quantization, retrieval",
    "training": "the hardware the training ran on",
    "Training.gpu": "gpu id, e.g. a100-80gb",
    "Training.gpu_count": "GPUs",
    "Training.hours": "wall-clock hours",
    "Training.framework": "e.g. PyTorch FSDP, DeepSpeed ZeRO-3",
    "Training.precision": "e.g. bf16, fp16, int8",
    "cost": "what it cost, in USD",
    "Cost.data_usd": "USD spent on data (e.g. API calls)",
    "Cost.training_usd": "USD spent on compute",
    "Cost.bound": "exact, approximate or upper-bound",
    "deploy": "inference setups the project reports",
    "Deployment.gpu": "gpu id, or null",
    "Deployment.memory_gib": "GiB needed",
    "Deployment.precision": "e.g. fp16, int8, gptq-4bit, q4_0",
    "Deployment.note": "what the source says",
    "Deployment.source": "URL",
    "License.code": "the code's license",
    "License.weights": "the weights' license",
    "License.commercial_use": "true only when weights and data allow it",
    "open_weights": "were trained weights (or deltas) released?",
    "references": "reference ids, e.g. [lora-paper]",
    "kind": "paper, tool or blog",
    "title": "the exact title",
    "authors": "all if six or fewer, else the first three then et al.",
    "arxiv": "arXiv id, e.g. 2106.09685",
    "url": "where the work is",
    "description": "what it is",
    "variants": "the variants of this stage",
    "tools": "reference ids of tools, e.g. [deepspeed]",
    "category": "parallelism, memory, precision, quantization or parameter-efficient",
    "memory_effect": "what it does to memory, as its sources put it",
    "vendor": "e.g. NVIDIA",
    "memory_gib": "GiB (1024^3 bytes), as nvidia-smi counts",
    "memory_kind": "dedicated or unified",
    "bf16": "true when the card computes in bfloat16",
    "price": "an indicative price, with its date and source",
    "Price.usd_per_hour": "USD per GPU-hour",
    "Price.provider": "who charges it",
    "Price.date": "when the price was published or seen",
    "Price.source": "URL",
    "Correction.claim": "the list's words",
    "Correction.fact": "what the source says",
    "Correction.source": "URL",
}

# Values a required field gets in the template, so the template validates as printed.
EXAMPLES: dict[str, Any] = {
    "sources": ["https://example.org/where-you-read-it"],
    "base_models": ["llama-7b"],
    "family": "MyFamily",
    "kind": "paper",
    "title": "The paper's title",
    "url": "https://example.org/paper",
    "description": "What it is.",
    "category": "memory",
    "memory_gib": 24,
    "layers": 32,
    "hidden_size": 4096,
    "heads": 32,
    "ffn_size": 11008,
    "ffn_kind": "gated",
    "vocab_size": 32000,
    "tied_embeddings": False,
    "claim": "what the list says",
    "fact": "what the source says",
    "source": "https://example.org/source",
    "usd_per_hour": 1.0,
    "date": "2023-03",
}

_UNIONS = (typing.Union, types.UnionType)


def _options(hint) -> list:
    return list(typing.get_args(hint)) if typing.get_origin(hint) in _UNIONS else [hint]


def _record_type(hint) -> type | None:
    """The record type of a field holding one record (or None)."""
    return next((t for t in _options(hint) if dataclasses.is_dataclass(t)), None)


def _list_record_type(hint) -> type | None:
    """The record type of a field holding a list of records (or None)."""
    for option in _options(hint):
        if typing.get_origin(option) is tuple:
            inner = typing.get_args(option)[0]
            if dataclasses.is_dataclass(inner):
                return inner
    return None


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _kind(hint) -> str:
    """A short description of a field's type for the comment."""
    names = []
    for option in _options(hint):
        option = (
            typing.get_args(option)[0] if typing.get_origin(option) is typing.Annotated else option
        )
        if typing.get_origin(option) is Literal:
            names.append(" | ".join(map(str, typing.get_args(option))))
        elif typing.get_origin(option) is tuple:
            names.append("list")
        elif option is type(None):
            continue
        else:
            names.append(getattr(option, "__name__", str(option)))
    return " | ".join(names)


def _comment(cls: type, name: str, hint, required: bool) -> str:
    note = NOTES.get(f"{cls.__name__}.{name}") or NOTES.get(name, "")
    flag = "required" if required else "optional"
    return f"{flag}; {_kind(hint)}" + (f"; {note}" if note else "")


_PLAIN = re.compile(r"[A-Za-z0-9][\w .,/()+-]*")


def _scalar(value, in_list: bool = False) -> str:
    """A YAML value on one line: flow lists, strings quoted when they need it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(item, in_list=True) for item in value) + "]"
    text = str(value)
    plain = _PLAIN.fullmatch(text) and not in_list and text.lower() not in ("null", "true", "false")
    return text if plain else json.dumps(text, ensure_ascii=False)


def _lines(cls: type, section: str, commented: bool = False) -> list[str]:
    """One line per field of ``cls``, each with its comment; nested records indented."""
    hints = typing.get_type_hints(cls, include_extras=True)
    mark = "# " if commented else ""
    lines = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        required = _required(f)
        comment = _comment(cls, f.name, hint, required)
        record, listed = _record_type(hint), _list_record_type(hint)
        if record is not None:
            # an optional record is shown commented out: uncomment it to fill it in
            inner = commented or not required
            lines.append(f"{'# ' if inner else ''}{f.name}:  # {comment}")
            lines += [f"  {line}" for line in _lines(record, section, inner)]
        elif listed is not None:
            lines.append(f"{mark}{f.name}: []  # {comment}")
            item = _lines(listed, section)
            lines.append(f"# {f.name}:  # for example:")
            lines += [f"# {'- ' if n == 0 else '  '}{line}" for n, line in enumerate(item)]
        else:
            value = _value(f, section) if required else f.default
            if value in (dataclasses.MISSING, None, ()):
                value = [] if typing.get_origin(_options(hint)[0]) is tuple else None
            shown = "null" if value is None else _scalar(value)
            lines.append(f"{mark}{f.name}: {shown}  # {comment}")
    return lines


def _value(f: dataclasses.Field, section: str):
    noun = section.replace("_", "-").removesuffix("s")
    if f.name == "id":
        return f"my-{noun}"
    if f.name == "name":
        return f"My {noun.replace('-', ' ')}"
    return EXAMPLES.get(f.name, "...")


def template(section: str) -> str:
    cls = schema.ENTRY_TYPES[section]
    header = [
        f"# A new {section.replace('_', ' ')[:-1]} for llmtrack. Fill in what your sources say; "
        "unknown is null.",
        "# Check it with: llmtrack validate THIS_FILE",
        "# Use it with:   llmtrack --catalog THIS_FILE list  (or put it in the config folder)",
        f"{section}:",
    ]
    body = _lines(cls, section)
    entry = [
        f"{'- ' if n == 0 else '  '}{line}" if not line.startswith("#") or n == 0 else f"  {line}"
        for n, line in enumerate(body)
    ]
    return "\n".join(header + entry) + "\n"
