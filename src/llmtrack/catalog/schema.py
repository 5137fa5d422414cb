"""Typed records of the catalog: one frozen dataclass per kind of entry.

Each field carries its metadata with it (``about``): what it means, its unit, an example
for templates, its weight in search, the section its ids point at, and whether null means
"the model lacks this feature" rather than "unknown". Templates, ``show``, search and
validation read it from here.

These are standard-library dataclasses, not ``pydantic.BaseModel`` subclasses.
pydantic validates them just as strictly (``validation.py`` builds a
``TypeAdapter`` over them, honouring the annotations and the forbidden extra
keys), but a command that reads the already-validated compiled catalog never
has to import pydantic, which alone costs about as much as a whole typer
start-up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import MISSING, dataclass, field
from typing import Annotated, Any, ClassVar

from annotated_types import Gt, MinLen

from llmtrack.catalog.values import (
    Access,
    Amount,
    ArchitectureKind,
    CostBound,
    Count,
    DataOrigin,
    FfnKind,
    MemoryKind,
    Method,
    PartialDate,
    PositionKind,
    ReferenceKind,
    Slug,
    TechniqueCategory,
    Text,
    Url,
)

# pydantic reads this attribute on standard dataclasses: unknown keys are errors.
_STRICT = {"extra": "forbid", "strict": False}


class _Value:
    """Equality and repr by field values, written once here rather than generated per class."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]  # equal by value, not frozen: not hashable

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


def _record(cls):
    """A keyword-only record, compared by value. Only ``__init__`` is generated: every
    method dataclasses generates costs start-up time (frozen and slotted records would
    triple this module's import), and nothing mutates a record once loaded."""
    cls.__pydantic_config__ = _STRICT
    RECORD_TYPES[cls.__name__] = cls
    return dataclass(kw_only=True, eq=False, repr=False)(cls)


RECORD_TYPES: dict[str, type] = {}  # every record class by name: the only ones the cache builds
Record = _Value  # the base of every record class


def about(
    doc: str,
    default: Any = MISSING,
    *,
    example: Any = None,
    unit: str | None = None,
    weight: int = 1,
    ref: str | None = None,
    feature: bool = False,
) -> Any:
    """A field with its metadata: ``doc`` (what it means), ``example`` (a value a template
    shows for a required field), ``unit``, ``weight`` (how much a search hit in it counts),
    ``ref`` (the section whose ids it holds) and ``feature`` (null means the model lacks the
    feature, not that it is unknown)."""
    metadata = {"doc": doc, "example": example, "unit": unit, "weight": weight}
    metadata.update(ref=ref, feature=feature)
    if default is MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


DATE_DOC = "ISO date: 2023-03-13, or 2023-03, or 2023"


@_record
class Correction(_Value):
    """Where the original awesome list says something its sources do not support."""

    claim: Text = about("the list's words", example="what the list says")
    fact: Text = about("what the source says", example="what the source says")
    source: Url = about("URL of the source", example="https://example.org/source")


@_record
class Links(_Value):
    home: Url | None = about("URL of the project's page", None)
    repo: Url | None = about("URL of the code", None)
    paper: Url | None = about("URL of the paper", None)
    model: Url | None = about("URL of the weights", None)
    data: Url | None = about("URL of the data", None)
    demo: Url | None = about("URL of a demo", None)


@_record
class Entry(_Value):
    """Fields every entry of every section has."""

    section: ClassVar[str] = ""

    id: Slug = about("lowercase slug, unique across the whole catalog", weight=3)
    name: Text = about("as the project or paper writes it", weight=3)
    aliases: tuple[Text, ...] = about("other names people type, e.g. [my-model-7b]", (), weight=3)
    notes: Text | None = about("anything a reader should know, e.g. why a field is null", None)
    corrections: tuple[Correction, ...] = about(
        "where the awesome list says something its sources do not", ()
    )
    sources: Annotated[tuple[Url, ...], MinLen(1)] = about(
        "public URLs you read for these facts, the project's own first",
        example=["https://example.org/where-you-read-it"],
    )


# --- base models ---------------------------------------------------------------


@_record
class LatentAttention(_Value):
    """DeepSeek-V2's multi-head latent attention: keys and values go through a low-rank
    latent, which is what the KV cache holds."""

    q_lora_rank: Count | None = about("null when queries are a plain projection", None)
    kv_lora_rank: Count = about("the compressed key/value latent the cache holds")
    rope_head_dim: Count = about("qk_rope_head_dim")
    nope_head_dim: Count = about("qk_nope_head_dim")
    v_head_dim: Count = about("v_head_dim")


@_record
class Architecture(_Value):
    """What the memory estimator needs, as the model's config states it."""

    kind: ArchitectureKind = about("the transformer's layout", "decoder")
    layers: Count = about("transformer blocks (encoder blocks for encoder-decoder)", example=32)
    decoder_layers: Count | None = about("encoder-decoder models only", None, feature=True)
    hidden_size: Count = about("d_model", example=4096)
    heads: Count = about("attention heads", example=32)
    kv_heads: Count | None = about(
        "key/value heads (fewer than heads with grouped-query attention)", None
    )
    head_dim: Count | None = about("only when it is not hidden_size / heads", None, feature=True)
    ffn_size: Count = about("intermediate size of the feed-forward block", example=11008)
    ffn_kind: FfnKind = about("mlp (two matrices) or gated (three: SwiGLU, GeGLU)", example="gated")
    activation: Text | None = about("e.g. gelu, silu, relu", None)
    vocab_size: Count | None = about("as in config.json (padded size)", None, example=32000)
    tied_embeddings: bool | None = about("true when lm_head shares the embedding matrix", None)
    position: PositionKind | None = about("how positions are encoded", None)
    sliding_window: Count | None = about(
        "tokens a windowed layer attends to, when the model uses one", None, feature=True
    )
    sliding_window_pattern: Count | None = about(
        "every Nth layer attends globally (Gemma 2: 2); null: every layer uses the window",
        None,
        feature=True,
    )
    experts: Count | None = about(
        "mixture of experts: routed experts per layer", None, feature=True
    )
    experts_per_token: Count | None = about(
        "routed experts each token uses (top-k)", None, feature=True
    )
    expert_ffn_size: Count | None = about(
        "one expert's intermediate size, when not ffn_size", None, feature=True
    )
    shared_expert_ffn_size: Count | None = about(
        "all always-on shared experts together", None, feature=True
    )
    dense_layers: Count | None = about(
        "leading layers with a dense FFN instead of experts", None, feature=True
    )
    latent_attention: LatentAttention | None = about(
        "DeepSeek-V2 multi-head latent attention", None, feature=True
    )


@_record
class BaseModelEntry(Entry):
    section: ClassVar[str] = "base_models"

    family: Text = about(
        "e.g. LLaMA; a family name selects every size in filters", example="MyFamily", weight=2
    )
    org: Text | None = about("the organisation behind it", None, weight=2)
    params: Count | None = about(
        "parameter count, an exact integer where published (6738415616)", None, unit="parameters"
    )
    params_exact: bool | None = about(
        "false when params is a nominal count such as 7000000000", None
    )
    active_params: Count | None = about(
        "mixture of experts: parameters each token uses", None, unit="parameters", feature=True
    )
    released: PartialDate | None = about(DATE_DOC, None)
    license: Text | None = about("as the source states it", None)
    access: Access | None = about("who can run it", None)
    context_length: Count | None = about(
        "the longest input it was trained for", None, unit="tokens"
    )
    training_tokens: Count | None = about("tokens seen in pre-training", None, unit="tokens")
    architecture: Architecture | None = about(
        "from config.json; the memory estimator needs it for open-weights models", None
    )
    paper: Slug | None = about("reference id, e.g. llama-paper", None, ref="references")
    links: Links | None = about("home, repo, paper, model, data, demo: URLs or null", None)

    @property
    def open_weights(self) -> bool:
        return self.access == "open-weights"


# --- projects ------------------------------------------------------------------


@_record
class TrainingData(_Value):
    description: Text | None = about("what the data is and where it comes from", None)
    size: Text | None = about("as the source says it, e.g. 52K instructions", None)
    examples: Count | None = about("an integer count, when published", None)
    origins: tuple[DataOrigin, ...] = about("where the examples came from", ())
    generator: Text | None = about("the model that generated the data, e.g. text-davinci-003", None)
    languages: tuple[Text, ...] = about("ISO 639-1 codes, e.g. [en, zh]", ())
    license: Text | None = about("the data's license", None)


@_record
class Training(_Value):
    gpu: Slug | None = about("gpu id, e.g. a100-80gb", None, ref="gpus")
    gpu_count: Count | None = about("GPUs", None)
    hours: Amount | None = about("wall-clock hours", None, unit="hours")
    framework: Text | None = about("e.g. PyTorch FSDP, DeepSpeed ZeRO-3", None)
    precision: Text | None = about("e.g. bf16, fp16, int8", None)
    notes: Text | None = about("anything else the source says about the run", None)


@_record
class Cost(_Value):
    data_usd: Amount | None = about("USD spent on data (e.g. API calls)", None, unit="USD")
    training_usd: Amount | None = about("USD spent on compute", None, unit="USD")
    bound: CostBound | None = about("how exact the figures are", None)
    notes: Text | None = about("what the source says about the cost", None)

    @property
    def total_usd(self) -> float | None:
        """The sum of the known parts; None when no part is known."""
        parts = [p for p in (self.data_usd, self.training_usd) if p is not None]
        return sum(parts) if parts else None


@_record
class Deployment(_Value):
    """An inference setup a project reports (card, memory, precision)."""

    gpu: Slug | None = about("gpu id, or null", None, ref="gpus")
    memory_gib: Amount | None = about("GiB needed", None, unit="GiB")
    precision: Text | None = about("e.g. fp16, int8, gptq-4bit, q4_0", None)
    note: Text | None = about("what the source says", None)
    source: Url | None = about("URL", None)


@_record
class License(_Value):
    code: Text | None = about("the code's license", None)
    weights: Text | None = about("the weights' license", None)
    commercial_use: bool | None = about("true only when weights and data allow it", None)


@_record
class Project(Entry):
    section: ClassVar[str] = "projects"

    base_models: Annotated[tuple[Slug, ...], MinLen(1)] = about(
        "base model ids, e.g. [llama-7b]", example=["llama-7b"], ref="base_models"
    )
    org: Text | None = about("the organisation behind it", None, weight=2)
    released: PartialDate | None = about(DATE_DOC, None)
    data: TrainingData | None = about("the training data", None)
    methods: tuple[Method, ...] = about("how it was trained", ())
    training: Training | None = about("the hardware the training ran on", None)
    cost: Cost | None = about("what it cost, in USD", None)
    deploy: tuple[Deployment, ...] = about("inference setups the project reports", ())
    license: License | None = about("the licenses of code and weights", None)
    open_weights: bool | None = about("were trained weights (or deltas) released?", None)
    links: Links | None = about("home, repo, paper, model, data, demo: URLs or null", None)
    references: tuple[Slug, ...] = about("reference ids, e.g. [lora-paper]", (), ref="references")


# --- references, stages, techniques, gpus -----------------------------------------


@_record
class Reference(Entry):
    section: ClassVar[str] = "references"

    kind: ReferenceKind = about("what kind of work it is", example="paper")
    title: Text = about("the exact title", example="The paper's title", weight=2)
    authors: tuple[Text, ...] | None = about(
        "all if six or fewer, else the first three then et al.", None, weight=2
    )
    org: Text | None = about("the organisation behind it", None, weight=2)
    date: PartialDate | None = about(f"{DATE_DOC}, of the first version", None)
    arxiv: Text | None = about("arXiv id, e.g. 2106.09685", None)
    url: Url = about("where the work is", example="https://example.org/paper")


@_record
class Variant(_Value):
    name: Text = about("the variant's name", example="My variant")
    description: Text | None = about("what it is", None)


@_record
class Stage(Entry):
    section: ClassVar[str] = "stages"

    description: Text = about("what it is", example="What it is.")
    methods: tuple[Method, ...] = about("the project methods that make up this stage", ())
    variants: tuple[Variant, ...] = about("the variants of this stage", ())
    tools: tuple[Slug, ...] = about(
        "reference ids of tools, e.g. [deepspeed]", (), ref="references"
    )
    references: tuple[Slug, ...] = about(
        "reference ids; the first is the paper it rests on", (), ref="references"
    )


@_record
class Technique(Entry):
    section: ClassVar[str] = "techniques"

    category: TechniqueCategory = about("what it works on", example="memory")
    description: Text = about("what it is", example="What it is.")
    memory_effect: Text | None = about("what it does to memory, as its sources put it", None)
    references: tuple[Slug, ...] = about(
        "reference ids; the first is the paper it rests on", (), ref="references"
    )
    tools: tuple[Slug, ...] = about(
        "reference ids of tools, e.g. [deepspeed]", (), ref="references"
    )


@_record
class Price(_Value):
    usd_per_hour: Amount = about("USD per GPU-hour", example=1.0, unit="USD per hour")
    provider: Text | None = about("who charges it", None)
    date: PartialDate = about("when the price was published or seen", example="2023-03")
    source: Url = about("URL", example="https://example.org/source")


@_record
class Gpu(Entry):
    section: ClassVar[str] = "gpus"

    vendor: Text | None = about("e.g. NVIDIA", None)
    memory_gib: Annotated[float, Gt(0)] = about(
        "GiB (1024^3 bytes), as nvidia-smi counts", example=24, unit="GiB"
    )
    memory_kind: MemoryKind = about("how the memory is attached", "dedicated")
    bf16: bool | None = about("true when the card computes in bfloat16", None)
    released: PartialDate | None = about(DATE_DOC, None)
    price: Price | None = about("an indicative price, with its date and source", None)


def references_of(entry: _Value, path: tuple = ()) -> Iterator[tuple[tuple, str, str]]:
    """Every (field path, target section, id) a record points at: the fields whose
    metadata names a ``ref`` section, in nested records and lists of records too."""
    for f in fields_of(type(entry)):
        value = getattr(entry, f.name)
        target = f.metadata.get("ref")
        if target:
            if isinstance(value, tuple):
                for i, ref in enumerate(value):
                    yield (*path, f.name, i), target, ref
            elif value:
                yield (*path, f.name), target, value
        elif isinstance(value, _Value):
            yield from references_of(value, (*path, f.name))
        elif isinstance(value, tuple) and value and isinstance(value[0], _Value):
            for i, item in enumerate(value):
                yield from references_of(item, (*path, f.name, i))


_FIELDS: dict[type, tuple] = {}


def fields_of(cls: type) -> tuple:
    """A record class's dataclass fields, worked out once."""
    try:
        return _FIELDS[cls]
    except KeyError:
        found = _FIELDS[cls] = dataclasses.fields(cls)
        return found


# The six sections, in the order the catalog is shown and the files are read.
ENTRY_TYPES: dict[str, type[Entry]] = {
    cls.section: cls for cls in (BaseModelEntry, Project, Reference, Stage, Technique, Gpu)
}
SECTIONS: tuple[str, ...] = tuple(ENTRY_TYPES)
