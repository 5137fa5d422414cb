"""The catalog's allowed values and text checks, defined once: the schema, validation, help,
completion, templates and error messages all read them from here."""

from __future__ import annotations

import math
import re
import typing
from typing import Annotated, Any, Literal

_SLUG = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_PARTIAL_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?", re.ASCII)
_URL = re.compile(r"https?://\S+")


class Checks:
    """Constraints on a value (``annotated_types``' ``Predicate``, ``Gt``, ``Ge``, ``Le``,
    ``MinLen``), handed to pydantic as those when it reads the schema, in validation only.

    Importing annotated_types (and the typing_extensions it needs) would cost every command
    a twelfth of typer's whole start-up, for objects only validation reads. pydantic calls
    ``__get_pydantic_core_schema__`` on metadata it finds in ``Annotated``; this answers
    with the schema of the same type annotated with the real constraints, in this order."""

    def __init__(self, *checks: tuple[str, Any]):
        self.checks = checks

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        import annotated_types

        made = [getattr(annotated_types, kind)(value) for kind, value in self.checks]
        return handler.generate_schema(Annotated[(source, *made)])

    def __repr__(self) -> str:
        return "Checks(" + ", ".join(f"{kind}({value!r})" for kind, value in self.checks) + ")"


def checked(kind: Any, *checks: tuple[str, Any]) -> Any:
    """``kind`` with these constraints: ``checked(int, ("Gt", 0))``."""
    return Annotated[kind, Checks(*checks)]


def is_slug(value: str) -> bool:
    """a lowercase slug such as 'llama-7b' or 'opt-1.3b'"""
    return _SLUG.fullmatch(value) is not None


def is_partial_date(value: str) -> bool:
    """an ISO date: 'YYYY-MM-DD', or 'YYYY-MM' or 'YYYY' where only that is known"""
    return _PARTIAL_DATE.fullmatch(value) is not None


def is_url(value: str) -> bool:
    """an http(s) URL"""
    return _URL.fullmatch(value) is not None


# Characters that show nothing: a name of only these looks blank but is not.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Bidirectional overrides and isolates reorder what a reader sees ("Trojan Source").
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def is_not_blank(value: str) -> bool:
    """a non-blank string without bidirectional overrides (write null for unknown)"""
    return bool(value.translate(_INVISIBLE).strip()) and not _BIDI.search(value)


Slug = checked(str, ("Predicate", is_slug))
Text = checked(str, ("Predicate", is_not_blank))
Url = checked(str, ("Predicate", is_url))
PartialDate = checked(str, ("Predicate", is_partial_date))


def is_finite(value: float) -> bool:
    """a finite number (not .inf or .nan)"""
    return math.isfinite(value)


# Above any count or amount the catalog holds (parameters, tokens, examples, dollars): a
# bound that keeps a 4,000-digit integer or 1e308 out of tables, sorts and the estimator.
MAX_NUMBER = 10**15
Count = checked(int, ("Gt", 0), ("Le", MAX_NUMBER))
Size = checked(int, ("Ge", 0), ("Le", MAX_NUMBER))  # a width that may be 0 (no rotary part)
Amount = checked(float, ("Predicate", is_finite), ("Ge", 0), ("Le", MAX_NUMBER))
PositiveAmount = checked(float, ("Predicate", is_finite), ("Gt", 0), ("Le", MAX_NUMBER))
AtLeastOne = Checks(("MinLen", 1))  # a list that may not be empty

Method = Literal[
    "sft",
    "lora",
    "qlora",
    "dora",
    "adapter",
    "p-tuning",
    "rm",
    "rlhf",
    "dpo",
    "orpo",
    "kto",
    "simpo",
    "grpo",
    "rlvr",
    "distillation",
    "merging",
    "vocab-extension",
    "continued-pretraining",
    "quantization",
    "retrieval",
]
METHODS: tuple[str, ...] = typing.get_args(Method)

DataOrigin = Literal[
    "human-written",
    "self-instruct",
    "model-generated",
    "user-shared",
    "public-datasets",
    "web",
    "translated",
]
Access = Literal["open-weights", "api", "none"]
CostBound = Literal["exact", "approximate", "upper-bound"]
ArchitectureKind = Literal["decoder", "encoder", "encoder-decoder"]
FfnKind = Literal["mlp", "gated"]
PositionKind = Literal["learned", "rotary", "alibi", "relative", "none"]
# a layer's token mixer: attention over every token, a sliding window or fixed chunks, a
# recurrent state (linear attention such as Gated DeltaNet, or Mamba-2), a short
# convolution (LFM2); or none, a layer that is only an FFN (Nemotron-H)
LayerKind = Literal["full", "sliding", "chunked", "linear", "mamba", "conv", "ffn"]
ReferenceKind = Literal["paper", "tool", "blog"]
TechniqueCategory = Literal[
    "parallelism", "memory", "precision", "quantization", "parameter-efficient"
]
MemoryKind = Literal["dedicated", "unified"]
DATA_ORIGINS: tuple[str, ...] = typing.get_args(DataOrigin)
ACCESS: tuple[str, ...] = typing.get_args(Access)
LAYER_KINDS: tuple[str, ...] = typing.get_args(LayerKind)
COST_BOUNDS: tuple[str, ...] = typing.get_args(CostBound)

# Training-data languages: ISO 639-1 codes (what `data.languages` holds) and their English
# names, which --lang also takes; 'multi' is the catalog's word for "many languages".
LANGUAGES: dict[str, str] = {
    "en": "English", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "fr": "French",
    "de": "German", "es": "Spanish", "pt": "Portuguese", "it": "Italian", "ru": "Russian",
    "ar": "Arabic", "hi": "Hindi", "vi": "Vietnamese", "id": "Indonesian", "tr": "Turkish",
    "nl": "Dutch", "pl": "Polish", "uk": "Ukrainian", "th": "Thai", "multi": "multilingual",
}  # fmt: skip
LANGUAGE_ALIASES = {"mandarin": "zh", "cantonese": "zh"} | {
    name: code for code, name in LANGUAGES.items()
}
REFERENCE_KINDS: tuple[str, ...] = typing.get_args(ReferenceKind)
TECHNIQUE_CATEGORIES: tuple[str, ...] = typing.get_args(TechniqueCategory)
MEMORY_KINDS: tuple[str, ...] = typing.get_args(MemoryKind)
