"""Typed records of the catalog: one dataclass per kind of entry.

Each field carries its metadata with it (``about``, in ``records``): what it means, its
unit, an example for templates, its weight in search, the section its ids point at, and
whether null means "the model lacks this feature" rather than "unknown". Templates,
``show``, search and validation read it from here.

These are standard-library dataclasses, not ``pydantic.BaseModel`` subclasses.
pydantic validates them just as strictly (``validation.py`` builds a
``TypeAdapter`` over them, honouring the annotations and the forbidden extra
keys), but a command that reads the already-validated compiled catalog never
has to import pydantic, which alone costs about as much as a whole typer
start-up.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

# re-exported: the schema is where the rest of the code finds its records
from llmtrack.catalog.architecture import Architecture as Architecture
from llmtrack.catalog.architecture import LatentAttention as LatentAttention
from llmtrack.catalog.records import RECORD_TYPES as RECORD_TYPES
from llmtrack.catalog.records import Record as Record
from llmtrack.catalog.records import about, record
from llmtrack.catalog.records import fields_of as fields_of
from llmtrack.catalog.records import is_record_type as is_record_type
from llmtrack.catalog.records import references_of as references_of
from llmtrack.catalog.values import (
    Access,
    Amount,
    AtLeastOne,
    CostBound,
    Count,
    DataOrigin,
    MemoryKind,
    Method,
    PartialDate,
    PositiveAmount,
    ReferenceKind,
    Slug,
    TechniqueCategory,
    Text,
    Url,
)

DATE_DOC = "ISO date: 2023-03-13, or 2023-03, or 2023"


@record
class Correction(Record):
    """Where the original awesome list says something its sources do not support."""

    claim: Text = about("the list's words", example="what the list says")
    fact: Text = about("what the source says", example="what the source says")
    source: Url = about("URL of the source", example="https://example.org/source")


@record
class Links(Record):
    """Where to find the work: URLs or null."""

    home: Url | None = about("URL of the project's page", None)
    repo: Url | None = about("URL of the code", None)
    paper: Url | None = about("URL of the paper", None)
    model: Url | None = about("URL of the weights", None)
    data: Url | None = about("URL of the data", None)
    demo: Url | None = about("URL of a demo", None)


@record
class Entry(Record):
    """Fields every entry of every section has."""

    section: ClassVar[str] = ""

    id: Slug = about("lowercase slug, unique across the whole catalog", weight=3)
    name: Text = about("as the project or paper writes it", weight=3)
    aliases: tuple[Text, ...] = about("other names people type, e.g. [my-model-7b]", (), weight=3)
    notes: Text | None = about("anything a reader should know, e.g. why a field is null", None)
    corrections: tuple[Correction, ...] = about(
        "where the awesome list says something its sources do not", ()
    )
    sources: Annotated[tuple[Url, ...], AtLeastOne] = about(
        "public URLs you read for these facts, the project's own first",
        example=["https://example.org/where-you-read-it"],
    )


# --- base models ---------------------------------------------------------------


@record
class BaseModelEntry(Entry):
    """One released size of a base model, with its architecture when the weights are open."""

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
    weights_format: Text | None = about(
        "the precision the released checkpoint stores its weights in, when not 16-bit "
        "(gpt-oss: mxfp4; DeepSeek-V3: fp8); inference estimates default to it",
        None,
        feature=True,
    )
    paper: Slug | None = about("reference id, e.g. llama-paper", None, ref="references")
    links: Links | None = about("home, repo, paper, model, data, demo: URLs or null", None)

    @property
    def open_weights(self) -> bool:
        return self.access == "open-weights"


# --- projects ------------------------------------------------------------------


@record
class TrainingData(Record):
    """What a project trained on, as its sources describe it."""

    description: Text | None = about("what the data is and where it comes from", None)
    size: Text | None = about("as the source says it, e.g. 52K instructions", None)
    examples: Count | None = about("an integer count, when published", None)
    origins: tuple[DataOrigin, ...] = about("where the examples came from", ())
    generator: Text | None = about("the model that generated the data, e.g. text-davinci-003", None)
    languages: tuple[Text, ...] = about("ISO 639-1 codes, e.g. [en, zh]", ())
    license: Text | None = about("the data's license", None)


@record
class Training(Record):
    """The hardware a training run used, as reported."""

    gpu: Slug | None = about("gpu id, e.g. a100-80gb", None, ref="gpus")
    gpu_count: Count | None = about("GPUs", None)
    hours: Amount | None = about("wall-clock hours", None, unit="hours")
    epochs: Amount | None = about("passes over the data", None)
    tokens: Count | None = about(
        "tokens the run pushed through the model, every epoch and any padding counted: from "
        "a source, or from code that pads every example to one length",
        None,
        unit="tokens",
    )
    framework: Text | None = about("e.g. PyTorch FSDP, DeepSpeed ZeRO-3", None)
    precision: Text | None = about("e.g. bf16, fp16, int8", None)
    notes: Text | None = about("anything else the source says about the run", None)


_LOOSENESS = {None: 0, "exact": 0, "approximate": 1, "upper-bound": 2}


@record
class Cost(Record):
    """What a project reports it cost, in USD: data and training apart, each with its bound."""

    data_usd: Amount | None = about("USD spent on data (e.g. API calls)", None, unit="USD")
    data_bound: CostBound | None = about("how exact data_usd is", None)
    training_usd: Amount | None = about("USD spent on compute", None, unit="USD")
    training_bound: CostBound | None = about("how exact training_usd is", None)
    notes: Text | None = about("what the source says about the cost", None)

    @property
    def total_usd(self) -> float | None:
        """What the project cost, as far as it says: the training cost plus the data cost
        where one is reported. None without a training cost: a data cost alone (ColossalChat's
        $880 of API calls) is not what the project cost."""
        if self.training_usd is None:
            return None
        return self.training_usd + (self.data_usd or 0)

    @property
    def total_bound(self) -> str | None:
        """The loosest bound of the parts in the total ('upper-bound' if either part is)."""
        if self.total_usd is None:
            return None
        parts = [self.training_bound] + ([self.data_bound] if self.data_usd is not None else [])
        return max(parts, key=lambda bound: _LOOSENESS[bound])


@record
class Deployment(Record):
    """An inference setup a project reports (card, memory, precision)."""

    gpu: Slug | None = about("gpu id, or null", None, ref="gpus")
    gpu_count: Count | None = about("how many of them, as the source says", None)
    memory_gib: Amount | None = about("GiB needed (on all its GPUs)", None, unit="GiB")
    precision: Text | None = about("e.g. fp16, int8, gptq-4bit, q4_0", None)
    note: Text | None = about("what the source says", None)
    source: Url | None = about("URL", None)


@record
class License(Record):
    """The licenses a project states for its code and weights."""

    code: Text | None = about("the code's license", None)
    weights: Text | None = about("the weights' license", None)
    commercial_use: bool | None = about("true only when weights and data allow it", None)


@record
class ProjectVariant(Record):
    """One base model's run of a project built on several: what differs from the others."""

    base_model: Slug = about(
        "the base model id this variant was trained on", example="llama-7b", ref="base_models"
    )
    name: Text | None = about("the variant's own name, e.g. Vicuna-7B", None, weight=3)
    released: PartialDate | None = about(DATE_DOC, None)
    model: Url | None = about("this variant's checkpoint (URL)", None)
    seq_len: Count | None = about("training sequence length the source states", None, unit="tokens")
    methods: tuple[Method, ...] = about("how it was trained, where not as the project says", ())
    data_size: Text | None = about("its data, as the source says it, where it differs", None)
    data_examples: Count | None = about("its number of examples, where it differs", None)
    training: Training | None = about("the hardware this run used", None)
    cost: Cost | None = about("what this run cost, in USD", None)
    notes: Text | None = about("what else the source says about this variant", None)
    source: Url | None = about("where these figures are stated (URL)", None)


@record
class Project(Entry):
    """A fine-tuned system built on one or more base models."""

    section: ClassVar[str] = "projects"

    base_models: Annotated[tuple[Slug, ...], AtLeastOne] = about(
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
    variants: tuple[ProjectVariant, ...] = about(
        "per base model, what its run reports (required when there are several bases)", ()
    )


# --- references, stages, techniques, gpus -----------------------------------------


@record
class Reference(Entry):
    """A paper, tool or blog post the catalog cites."""

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


@record
class Variant(Record):
    """A named variant of a fine-tuning stage."""

    name: Text = about("the variant's name", example="My variant")
    description: Text | None = about("what it is", None)


@record
class Stage(Entry):
    """A fine-tuning stage (SFT, RM, RLHF, DPO, ...)."""

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


@record
class Technique(Entry):
    """An efficient-training technique and what it does to memory."""

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


@record
class Price(Record):
    """An indicative hourly price, dated and sourced."""

    usd_per_hour: Amount = about("USD per GPU-hour", example=1.0, unit="USD per hour")
    provider: Text | None = about("who charges it", None)
    date: PartialDate = about("when the price was published or seen", example="2023-03")
    source: Url = about("URL", example="https://example.org/source")


@record
class Gpu(Entry):
    """A GPU preset: memory, bf16 support and an indicative price."""

    section: ClassVar[str] = "gpus"

    vendor: Text | None = about("e.g. NVIDIA", None)
    memory_gib: PositiveAmount = about(
        "GiB (1024^3 bytes), as nvidia-smi counts", example=24, unit="GiB"
    )
    memory_kind: MemoryKind = about("how the memory is attached", "dedicated")
    configurations: tuple[PositiveAmount, ...] = about(
        "unified memory: the sizes a buyer can choose, GiB (memory_gib is the largest)", ()
    )
    bandwidth_gb_s: Amount | None = about("memory bandwidth, GB/s", None, unit="GB/s")
    bf16_tflops: Amount | None = about(
        "dense BF16 (else FP16) tensor throughput, no sparsity", None, unit="TFLOPS"
    )
    fp8_tflops: Amount | None = about(
        "dense FP8 tensor throughput, no sparsity; null without FP8 tensor cores",
        None,
        unit="TFLOPS",
    )
    bf16: bool | None = about("true when the card computes in bfloat16", None)
    released: PartialDate | None = about(DATE_DOC, None)
    price: Price | None = about("an indicative price, with its date and source", None)


# The six sections, in the order the catalog is shown and the files are read.
ENTRY_TYPES: dict[str, type[Entry]] = {
    cls.section: cls for cls in (BaseModelEntry, Project, Reference, Stage, Technique, Gpu)
}
SECTIONS: tuple[str, ...] = tuple(ENTRY_TYPES)
