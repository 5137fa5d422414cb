"""The listing commands of the six sections and the timeline. Each maps its options to a
domain filter, then hands the result to the one listing emitter."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtrack.catalog.values import DATA_ORIGINS, METHODS, REFERENCE_KINDS, TECHNIQUE_CATEGORIES
from llmtrack.cli import session
from llmtrack.cli.options import (
    OrgOption,
    SinceOption,
    UntilOption,
    choice_option,
    complete_families,
    complete_ids,
    listing,
    section_option,
)
from llmtrack.errors import UsageError
from llmtrack.output.listing import OutputSpec
from llmtrack.timeline import PERIODS


def _show_section(section: str, selection, catalog, out: OutputSpec) -> None:
    from llmtrack.output.listing import emit
    from llmtrack.output.listings import section_listing

    entries, notes, extra = selection
    listing = section_listing(section, entries, catalog, notes, extra)
    emit(listing, out, session.current().env)


@listing
def list_projects(
    base: Annotated[
        list[str] | None,
        typer.Option(
            "--base",
            "-b",
            metavar="NAME",
            help="Built on this base model: id, name or family (repeatable: any).",
            autocompletion=complete_ids("base_models"),
        ),
    ] = None,
    method: Annotated[
        list[str] | None,
        choice_option(
            "--method", "-m", values=METHODS, before="Uses this method (repeatable: any): "
        ),
    ] = None,
    org: OrgOption = None,
    license_text: Annotated[
        str | None,
        typer.Option(
            "--license", metavar="TEXT", help="Code, weights or data license contains this text."
        ),
    ] = None,
    commercial: Annotated[
        bool,
        typer.Option("--commercial", help="Weights and data allow commercial use."),
    ] = False,
    open_weights: Annotated[
        bool, typer.Option("--open-weights", help="Trained weights (or deltas) were released.")
    ] = False,
    data_origin: Annotated[
        list[str] | None,
        choice_option(
            "--data-origin",
            values=DATA_ORIGINS,
            metavar="ORIGIN",
            before="Training data origin (repeatable: any): ",
        ),
    ] = None,
    lang: Annotated[
        list[str] | None,
        typer.Option(
            "--lang",
            metavar="LANG",
            help="Training data language: an ISO 639-1 code or its name, e.g. zh, chinese, "
            "en (repeatable: any).",
        ),
    ] = None,
    max_cost: Annotated[
        str | None,
        typer.Option(
            "--max-cost", metavar="USD", help="Known total cost at most this many USD, e.g. 500."
        ),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    vram: Annotated[
        str | None,
        typer.Option(
            "--vram",
            metavar="SIZE",
            help="Only projects whose training recipe fits a card this big.",
        ),
    ] = None,
    gpu: Annotated[
        str | None,
        typer.Option(
            "--gpu",
            metavar="NAME",
            help="Only projects whose training recipe fits this GPU.",
            autocompletion=complete_ids("gpus"),
        ),
    ] = None,
    fits: Annotated[
        bool,
        typer.Option(
            "--fits",
            help="Only projects whose training recipe fits your card: the one `llmtrack "
            "config` keeps, unless --vram or --gpu names another.",
        ),
    ] = False,
    *,
    out: OutputSpec,
) -> None:
    """List the fine-tuned projects (Alpaca, Vicuna, Dolly, ...).

    Examples:

      llmtrack list --base LLaMA-7B

      llmtrack list --base llama --method lora --format json

      llmtrack list --lang zh --max-cost 1000 --sort cost.total_usd

      llmtrack list --vram 24GB

      llmtrack list --fits
    """
    from llmtrack.filters import ProjectFilter
    from llmtrack.units import parse_usd

    catalog = session.load()
    wanted = ProjectFilter(
        bases=base or (),
        methods=method or (),
        org=org,
        license=license_text,
        commercial=commercial,
        open_weights=open_weights,
        data_origins=data_origin or (),
        languages=lang or (),
        max_cost_usd=parse_usd(max_cost) if max_cost else None,
        since=since,
        until=until,
        card=_card_for_list(catalog, vram, gpu, fits),
    )
    _show_section("projects", wanted.select(catalog), catalog, out)


def _card_for_list(catalog, vram: str | None, gpu: str | None, fits: bool):
    """--vram or --gpu; with --fits and neither, the card ``llmtrack config`` keeps. A
    remembered card never narrows `list` unasked: a listing that hid projects without a
    word would be a wrong answer."""
    if not fits or vram or gpu:
        return session.card(catalog, vram, gpu)

    card = session.card(catalog, None, None, remembered=session.settings())
    if card is None:
        raise UsageError(
            '--fits needs a card: llmtrack config set gpu "RTX 4090" (or vram 24GB), '
            "or give --gpu NAME or --vram SIZE"
        )
    return card


@listing
def list_bases(
    family: Annotated[
        str | None,
        typer.Option(
            "--family",
            metavar="NAME",
            help="Family name, e.g. LLaMA, Pythia, OPT.",
            autocompletion=complete_families,
        ),
    ] = None,
    org: OrgOption = None,
    open_weights: Annotated[
        bool | None,
        typer.Option("--open/--closed", help="Only models with open weights, or only closed ones."),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            "--params",
            metavar="RANGE",
            help="Size or range: 7B (the 7B class, within 10 %), 6B..13B, ..1B, 30B..; "
            "a count without a unit is exact.",
        ),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    *,
    out: OutputSpec,
) -> None:
    """List base models, one row per released size.

    Examples:

      llmtrack bases --family pythia --sort -params

      llmtrack bases --open --params 6B..13B --fields id,params,context_length --format csv
    """
    from llmtrack.filters import BaseModelFilter
    from llmtrack.units import parse_params_range

    catalog = session.load()
    wanted = BaseModelFilter(
        family=family,
        org=org,
        open_weights=open_weights,
        params=parse_params_range(params) if params else None,
        since=since,
        until=until,
    )
    _show_section("base_models", wanted.select(catalog), catalog, out)


@listing
def list_refs(
    kind: Annotated[
        str | None,
        choice_option("--kind", values=REFERENCE_KINDS),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    *,
    out: OutputSpec,
) -> None:
    """List the papers and tools behind the projects (Self-Instruct, LoRA, GPTQ, ...).

    Examples:

      llmtrack refs --kind paper --sort date

      llmtrack refs --since 2023 --fields id,title,date
    """
    from llmtrack.filters import ReferenceFilter

    catalog = session.load()
    selection = ReferenceFilter(kind=kind, since=since, until=until).select(catalog)
    _show_section("references", selection, catalog, out)


@listing
def list_stages(since: SinceOption = None, until: UntilOption = None, *, out: OutputSpec) -> None:
    """List the fine-tuning stages (SFT, RM, RLHF, DPO, ...) and the projects that use each.

    A stage is dated by the paper it rests on, its first reference (`paper_date`).

    Examples:

      llmtrack stages --fields id,name,projects

      llmtrack stages --since 2023
    """
    from llmtrack.filters import StageFilter

    catalog = session.load()
    _show_section("stages", StageFilter(since=since, until=until).select(catalog), catalog, out)


@listing
def list_techniques(
    category: Annotated[
        str | None,
        choice_option("--category", values=TECHNIQUE_CATEGORIES),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    *,
    out: OutputSpec,
) -> None:
    """List efficient-training techniques (ZeRO, FSDP, LoRA, 8-bit, ...) and what they do to memory.

    A technique is dated by the paper it rests on, its first reference (`paper_date`).

    Examples:

      llmtrack techniques --category quantization

      llmtrack techniques --since 2023 --fields id,paper_date
    """
    from llmtrack.filters import TechniqueFilter

    catalog = session.load()
    selection = TechniqueFilter(category=category, since=since, until=until).select(catalog)
    _show_section("techniques", selection, catalog, out)


@listing
def list_gpus(
    min_memory: Annotated[
        str | None,
        typer.Option("--min-memory", metavar="SIZE", help="At least this much memory, e.g. 24GB."),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    *,
    out: OutputSpec,
) -> None:
    """List GPU presets: memory, bf16 support and an indicative, dated hourly price.

    Examples:

      llmtrack gpus --min-memory 24GB --sort memory_gib

      llmtrack gpus --since 2022
    """
    from llmtrack.filters import GpuFilter
    from llmtrack.units import parse_memory_gib

    catalog = session.load()
    floor = parse_memory_gib(min_memory) if min_memory else None
    selection = GpuFilter(min_memory_gib=floor, since=since, until=until).select(catalog)
    _show_section("gpus", selection, catalog, out)


@listing
def timeline_command(
    section: Annotated[
        list[str] | None,
        section_option("Count this section (repeatable; default: base_models and projects)"),
    ] = None,
    by: Annotated[str, choice_option("--by", values=PERIODS)] = "month",
    since: SinceOption = None,
    until: UntilOption = None,
    *,
    out: OutputSpec,
) -> None:
    """Show releases by month (or year) as a chart: base models and projects, or the sections
    you pick. Entries with no known date are left out, and said so.

    Examples:

      llmtrack timeline --since 2023

      llmtrack timeline --section references --by year

      llmtrack timeline --since 2023-06 --format json
    """
    from llmtrack import timeline
    from llmtrack.output.listing import emit
    from llmtrack.output.listings import timeline_listing

    found = timeline.timeline(
        session.load(), section or timeline.DEFAULT_SECTIONS, by, since, until
    )
    emit(timeline_listing(found), out, session.current().env)
