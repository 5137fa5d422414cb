"""Typed records of the catalog: one frozen dataclass per kind of entry.

These are standard-library dataclasses, not ``pydantic.BaseModel`` subclasses.
pydantic validates them just as strictly (``validation.py`` builds a
``TypeAdapter`` over them, honouring the annotations and the forbidden extra
keys), but a command that reads the already-validated compiled catalog never
has to import pydantic, which alone costs about as much as a whole typer
start-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from annotated_types import Ge, Gt, MinLen, Predicate

# pydantic reads this attribute on standard dataclasses: unknown keys are errors.
_STRICT = {"extra": "forbid", "strict": False}

_SLUG = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_PARTIAL_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")
_URL = re.compile(r"https?://\S+")


def is_slug(value: str) -> bool:
    """a lowercase slug such as 'llama-7b' or 'opt-1.3b'"""
    return _SLUG.fullmatch(value) is not None


def is_partial_date(value: str) -> bool:
    """an ISO date: 'YYYY-MM-DD', or 'YYYY-MM' or 'YYYY' where only that is known"""
    return _PARTIAL_DATE.fullmatch(value) is not None


def is_url(value: str) -> bool:
    """an http(s) URL"""
    return _URL.fullmatch(value) is not None


def is_not_blank(value: str) -> bool:
    """a non-blank string (write null for unknown)"""
    return bool(value.strip())


Slug = Annotated[str, Predicate(is_slug)]
Text = Annotated[str, Predicate(is_not_blank)]
Url = Annotated[str, Predicate(is_url)]
PartialDate = Annotated[str, Predicate(is_partial_date)]
Count = Annotated[int, Gt(0)]
Amount = Annotated[float, Ge(0)]

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
    "vocab-extension",
    "continued-pretraining",
    "quantization",
    "retrieval",
]
METHODS: tuple[str, ...] = Method.__args__

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
PositionKind = Literal["learned", "rotary", "alibi", "relative"]
ReferenceKind = Literal["paper", "tool", "blog"]
TechniqueCategory = Literal[
    "parallelism", "memory", "precision", "quantization", "parameter-efficient"
]
MemoryKind = Literal["dedicated", "unified"]


class _Value:
    """Equality and repr by field values, written once here rather than generated per class."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # equal by value, and not frozen: not hashable

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


def _record(cls):
    """A keyword-only record, compared by value. Only ``__init__`` is generated: every
    method dataclasses generates costs start-up time (frozen and slotted records would
    triple this module's import), and nothing mutates a record once loaded."""
    cls.__pydantic_config__ = _STRICT
    return dataclass(kw_only=True, eq=False, repr=False)(cls)


@_record
class Correction(_Value):
    """Where the original awesome list says something its sources do not support."""

    claim: Text
    fact: Text
    source: Url


@_record
class Links(_Value):
    home: Url | None = None
    repo: Url | None = None
    paper: Url | None = None
    model: Url | None = None
    data: Url | None = None
    demo: Url | None = None


@_record
class Entry(_Value):
    """Fields every entry of every section has."""

    section: ClassVar[str] = ""

    id: Slug
    name: Text
    aliases: tuple[Text, ...] = ()
    notes: Text | None = None
    corrections: tuple[Correction, ...] = ()
    sources: Annotated[tuple[Url, ...], MinLen(1)]


# --- base models ---------------------------------------------------------------


@_record
class LatentAttention(_Value):
    """DeepSeek-V2's multi-head latent attention: keys and values go through a low-rank
    latent, which is what the KV cache holds."""

    q_lora_rank: Count | None = None  # None: queries are a plain projection
    kv_lora_rank: Count
    rope_head_dim: Count
    nope_head_dim: Count
    v_head_dim: Count


@_record
class Architecture(_Value):
    """What the memory estimator needs, as the model's config states it."""

    kind: ArchitectureKind = "decoder"
    layers: Count
    decoder_layers: Count | None = None
    hidden_size: Count
    heads: Count
    kv_heads: Count | None = None
    head_dim: Count | None = None
    ffn_size: Count
    ffn_kind: FfnKind
    activation: Text | None = None
    vocab_size: Count | None = None
    tied_embeddings: bool | None = None
    position: PositionKind | None = None
    # attention over the last `sliding_window` tokens; every `sliding_window_pattern`-th
    # layer attends globally (None: every layer uses the window)
    sliding_window: Count | None = None
    sliding_window_pattern: Count | None = None
    # mixture of experts: `experts` routed FFNs per layer, `experts_per_token` used per token
    experts: Count | None = None
    experts_per_token: Count | None = None
    expert_ffn_size: Count | None = None  # None: ffn_size
    shared_expert_ffn_size: Count | None = None  # always-on shared experts, all together
    dense_layers: Count | None = None  # leading layers with a dense FFN of ffn_size
    latent_attention: LatentAttention | None = None


@_record
class BaseModelEntry(Entry):
    section: ClassVar[str] = "base_models"

    family: Text
    org: Text | None = None
    params: Count | None = None
    params_exact: bool | None = None
    active_params: Count | None = None  # mixture of experts: parameters used per token
    released: PartialDate | None = None
    license: Text | None = None
    access: Access | None = None
    context_length: Count | None = None
    training_tokens: Count | None = None
    architecture: Architecture | None = None
    paper: Slug | None = None
    links: Links | None = None

    @property
    def open_weights(self) -> bool:
        return self.access == "open-weights"


# --- projects ------------------------------------------------------------------


@_record
class TrainingData(_Value):
    description: Text | None = None
    size: Text | None = None
    examples: Count | None = None
    origins: tuple[DataOrigin, ...] = ()
    generator: Text | None = None
    languages: tuple[Text, ...] = ()
    license: Text | None = None


@_record
class Training(_Value):
    gpu: Slug | None = None
    gpu_count: Count | None = None
    hours: Amount | None = None
    framework: Text | None = None
    precision: Text | None = None
    notes: Text | None = None


@_record
class Cost(_Value):
    data_usd: Amount | None = None
    training_usd: Amount | None = None
    bound: CostBound | None = None
    notes: Text | None = None

    @property
    def total_usd(self) -> float | None:
        """The sum of the known parts; None when no part is known."""
        parts = [p for p in (self.data_usd, self.training_usd) if p is not None]
        return sum(parts) if parts else None


@_record
class Deployment(_Value):
    """An inference setup a project reports (card, memory, precision)."""

    gpu: Slug | None = None
    memory_gib: Amount | None = None
    precision: Text | None = None
    note: Text | None = None
    source: Url | None = None


@_record
class License(_Value):
    code: Text | None = None
    weights: Text | None = None
    commercial_use: bool | None = None


@_record
class Project(Entry):
    section: ClassVar[str] = "projects"

    base_models: Annotated[tuple[Slug, ...], MinLen(1)]
    org: Text | None = None
    released: PartialDate | None = None
    data: TrainingData | None = None
    methods: tuple[Method, ...] = ()
    training: Training | None = None
    cost: Cost | None = None
    deploy: tuple[Deployment, ...] = ()
    license: License | None = None
    open_weights: bool | None = None
    links: Links | None = None
    references: tuple[Slug, ...] = ()


# --- references, stages, techniques, gpus -----------------------------------------


@_record
class Reference(Entry):
    section: ClassVar[str] = "references"

    kind: ReferenceKind
    title: Text
    authors: tuple[Text, ...] | None = None
    org: Text | None = None
    date: PartialDate | None = None
    arxiv: Text | None = None
    url: Url


@_record
class Variant(_Value):
    name: Text
    description: Text | None = None


@_record
class Stage(Entry):
    section: ClassVar[str] = "stages"

    description: Text
    methods: tuple[Method, ...] = ()
    variants: tuple[Variant, ...] = ()
    tools: tuple[Slug, ...] = ()
    references: tuple[Slug, ...] = ()


@_record
class Technique(Entry):
    section: ClassVar[str] = "techniques"

    category: TechniqueCategory
    description: Text
    memory_effect: Text | None = None
    references: tuple[Slug, ...] = ()
    tools: tuple[Slug, ...] = ()


@_record
class Price(_Value):
    usd_per_hour: Amount
    provider: Text | None = None
    date: PartialDate
    source: Url


@_record
class Gpu(Entry):
    section: ClassVar[str] = "gpus"

    vendor: Text | None = None
    memory_gib: Annotated[float, Gt(0)]
    memory_kind: MemoryKind = "dedicated"
    bf16: bool | None = None
    released: PartialDate | None = None
    price: Price | None = None


def references_of(entry: Entry) -> Iterator[tuple[tuple, str, str]]:
    """Every (field path, target section, id) an entry points at."""
    if isinstance(entry, Project):
        for i, base in enumerate(entry.base_models):
            yield ("base_models", i), "base_models", base
        for i, ref in enumerate(entry.references):
            yield ("references", i), "references", ref
        if entry.training and entry.training.gpu:
            yield ("training", "gpu"), "gpus", entry.training.gpu
        for i, deployment in enumerate(entry.deploy):
            if deployment.gpu:
                yield ("deploy", i, "gpu"), "gpus", deployment.gpu
    elif isinstance(entry, BaseModelEntry):
        if entry.paper:
            yield ("paper",), "references", entry.paper
    elif isinstance(entry, (Stage, Technique)):
        for i, ref in enumerate(entry.references):
            yield ("references", i), "references", ref
        for i, tool in enumerate(entry.tools):
            yield ("tools", i), "references", tool


# The six sections, in the order the catalog is shown and the files are read.
ENTRY_TYPES: dict[str, type[Entry]] = {
    cls.section: cls for cls in (BaseModelEntry, Project, Reference, Stage, Technique, Gpu)
}
SECTIONS: tuple[str, ...] = tuple(ENTRY_TYPES)
