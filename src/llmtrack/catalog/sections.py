"""The section registry: what the rest of the code knows about each of the six sections,
in one place. Names, record type, the columns listings show, the field an entry is dated
by and the values derived from the rest of the catalog all come from here."""

from __future__ import annotations

from typing import NamedTuple

from llmtrack.catalog import schema


class Section(NamedTuple):
    name: str  # as in catalog files and --section: "base_models"
    singular: str  # "base model"
    plural: str  # "base models"
    command: str  # the listing command: "bases"
    entry_type: type[schema.Entry]
    # what TSV, CSV and Markdown show when the user does not pass --fields
    plain_columns: tuple[str, ...]
    # a terminal table has less room: the columns a person scans first, most wanted first
    table_columns: tuple[str, ...]
    # the field an entry is placed by on a timeline and by --since/--until; None: the date of
    # its first reference, the paper it rests on
    date_field: str | None
    related: tuple[str, ...] = ()  # values derived from other entries (``rows.related``)
    # the table columns never dropped to fit a narrow terminal: what says which entry it is
    kept_columns: tuple[str, ...] = ("id",)


SECTIONS: dict[str, Section] = {
    section.name: section
    for section in (
        Section(
            "base_models",
            "base model",
            "base models",
            "bases",
            schema.BaseModelEntry,
            ("id", "name", "family", "org", "params", "access", "context_length", "released"),
            ("id", "params", "access", "family", "context_length", "released", "org"),
            "released",
            ("projects",),
        ),
        Section(
            "projects",
            "project",
            "projects",
            "list",
            schema.Project,
            (
                "id",
                "name",
                "org",
                "base_models",
                "methods",
                "data.size",
                "hardware",
                "cost.total_usd",
                "released",
            ),
            ("id", "name", "base_models", "methods", "hardware", "cost.total_usd"),
            "released",
            kept_columns=("id", "name"),
        ),
        Section(
            "references",
            "reference",
            "references",
            "refs",
            schema.Reference,
            ("id", "name", "kind", "title", "date", "arxiv"),
            ("id", "title", "kind", "date"),
            "date",
            ("cited_by",),
        ),
        Section(
            "stages",
            "fine-tuning stage",
            "stages",
            "stages",
            schema.Stage,
            ("id", "name", "methods", "paper_date", "description"),
            ("id", "name", "methods", "projects", "paper_date"),
            None,
            ("projects", "paper_date"),
            ("id", "name"),
        ),
        Section(
            "techniques",
            "technique",
            "techniques",
            "techniques",
            schema.Technique,
            ("id", "name", "category", "paper_date", "memory_effect"),
            ("id", "name", "category", "paper_date", "memory_effect"),
            None,
            ("paper_date",),
            ("id", "name"),
        ),
        Section(
            "gpus",
            "GPU",
            "GPUs",
            "gpus",
            schema.Gpu,
            (
                "id",
                "name",
                "vendor",
                "memory_gib",
                "memory_kind",
                "bandwidth_gb_s",
                "bf16_tflops",
                "fp8_tflops",
                "bf16",
                "price.usd_per_hour",
                "price.provider",
                "price.date",
            ),
            # a price keeps its provider and date beside it: a rate alone is not a fact
            (
                "id",
                "memory_gib",
                "bandwidth_gb_s",
                "bf16_tflops",
                "price.usd_per_hour",
                "price.provider",
                "price.date",
                "name",
            ),
            "released",
            ("cited_by",),
        ),
    )
}
assert tuple(SECTIONS) == schema.SECTIONS, "the registry lists the schema's sections in order"


def section(name: str) -> Section:
    return SECTIONS[name]
