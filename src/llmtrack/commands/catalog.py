"""Reading the catalog: the listing commands, search, show, compare and export."""

import json
from typing import Annotated

import typer

from llmtrack.cli import (
    OrgOption,
    OutputSpec,
    SinceOption,
    UntilOption,
    _card,
    _catalog,
    _choice,
    _completer,
    _dated,
    _emit,
    _emit_rows,
    _families,
    _note,
    _resolve,
    app,
    listing,
)
from llmtrack.errors import UsageError


@app.command("list")
@listing
def list_projects(
    base: Annotated[
        list[str] | None,
        typer.Option(
            "--base",
            "-b",
            help="Built on this base model: id, name or family (repeatable: any).",
            autocompletion=_completer("base_models"),
        ),
    ] = None,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method", "-m", help="Uses this method: sft, lora, rlhf, ... (repeatable: any)."
        ),
    ] = None,
    org: OrgOption = None,
    license_text: Annotated[
        str | None,
        typer.Option("--license", help="Code, weights or data license contains this text."),
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
        typer.Option(
            "--data-origin",
            help="Training data origin: human-written, self-instruct, model-generated, "
            "user-shared, public-datasets, web, translated (repeatable: any).",
        ),
    ] = None,
    lang: Annotated[
        list[str] | None,
        typer.Option("--lang", help="Training data language, e.g. zh or en (repeatable: any)."),
    ] = None,
    max_cost: Annotated[
        str | None,
        typer.Option("--max-cost", help="Known total cost at most this many USD, e.g. 500."),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    vram: Annotated[
        str | None,
        typer.Option("--vram", help="Only projects whose training recipe fits a card this big."),
    ] = None,
    gpu: Annotated[
        str | None, typer.Option("--gpu", help="Only projects whose training recipe fits this GPU.")
    ] = None,
    *,
    out: OutputSpec,
) -> None:
    """List the fine-tuned projects (Alpaca, Vicuna, Dolly, ...).

    Examples:

      llmtrack list --base LLaMA-7B

      llmtrack list --base llama --method lora --format json

      llmtrack list --lang zh --max-cost 1000 --sort cost.total_usd

      llmtrack list --vram 24GB
    """
    from llmtrack import query
    from llmtrack.schema import METHODS, DataOrigin
    from llmtrack.units import parse_usd

    catalog = _catalog()
    tests = []
    candidates = catalog.projects
    if base:
        from llmtrack.match import NameIndex

        index = NameIndex.build(catalog, ["base_models"])
        ids = set()
        for name in base:
            found, note = index.resolve_many(name, "base model")
            ids.update(found)
            if note:
                _note(note)
        candidates = catalog.projects_on(*ids)  # from the index: the rest stay unread
    if method:
        tests.append(query.using_methods(_choice(m, METHODS, "method") for m in method))
    if org:
        tests.append(query.text_contains("org", org))
    if license_text:
        tests.append(query.license_contains(license_text))
    if commercial:
        tests.append(query.commercial)
    if open_weights:
        tests.append(query.has_open_weights)
    if data_origin:
        origins = DataOrigin.__args__
        tests.append(query.data_origin(_choice(o, origins, "data origin") for o in data_origin))
    if lang:
        tests.append(query.language(lang))
    _dated(catalog.date_of, since, until, tests)
    projects = query.select(candidates, tests)
    if max_cost:
        budget = parse_usd(max_cost)
        unknown = sum(not query.cost_known(project) for project in projects)
        if unknown:
            _note(f"{unknown} project{'s' if unknown > 1 else ''} with unknown cost left out.")
        projects = query.select(projects, [query.cost_at_most(budget)])
    card = _card(catalog, vram, gpu, 1)
    if card is not None:
        from llmtrack.fits import project_fits

        _note(f"card: {card.label}, {card.memory_gib:g} GiB; recipes estimated on one GPU")
        projects = [p for p in projects if project_fits(catalog, p, card)]
    _emit("projects", projects, catalog, out, "projects")


@app.command("bases")
@listing
def list_bases(
    family: Annotated[
        str | None,
        typer.Option(
            "--family", help="Family name, e.g. LLaMA, Pythia, OPT.", autocompletion=_families
        ),
    ] = None,
    org: OrgOption = None,
    open_weights: Annotated[
        bool | None,
        typer.Option("--open/--closed", help="Only models with open weights, or only closed ones."),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option("--params", help="Parameter count or range: 7B, 6B..13B, ..1B, 30B.."),
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
    from llmtrack import query
    from llmtrack.errors import NotFoundError
    from llmtrack.units import parse_params_range

    catalog = _catalog()
    tests = []
    if family:
        from llmtrack.match import normalize

        names = {normalize(name): name for name in catalog.families}
        if normalize(family) not in names:
            raise NotFoundError(
                f"unknown family {family!r}; families: {', '.join(catalog.families)}"
            )
        tests.append(query.equals("family", names[normalize(family)]))
    if org:
        tests.append(query.text_contains("org", org))
    if open_weights is not None:
        tests.append(lambda base: base.open_weights == open_weights)
    if params:
        tests.append(query.params_between(*parse_params_range(params)))
    _dated(catalog.date_of, since, until, tests)
    _emit("base_models", query.select(catalog.base_models, tests), catalog, out, "base models")


@app.command("refs")
@listing
def list_refs(
    kind: Annotated[str | None, typer.Option("--kind", help="paper, tool or blog.")] = None,
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
    from llmtrack import query
    from llmtrack.schema import ReferenceKind

    catalog = _catalog()
    tests = []
    if kind:
        tests.append(query.equals("kind", _choice(kind, ReferenceKind.__args__, "kind")))
    _dated(catalog.date_of, since, until, tests)
    _emit("references", query.select(catalog.references, tests), catalog, out, "references")


@app.command("stages")
@listing
def list_stages(since: SinceOption = None, until: UntilOption = None, *, out: OutputSpec) -> None:
    """List the fine-tuning stages (SFT, RM, RLHF, DPO, ...) and the projects that use each.

    A stage is dated by the paper it rests on, its first reference (`paper_date`).

    Examples:

      llmtrack stages --fields id,name,projects

      llmtrack stages --since 2023
    """
    from llmtrack import query

    catalog = _catalog()
    tests = []
    _dated(catalog.date_of, since, until, tests)
    _emit("stages", query.select(catalog.stages, tests), catalog, out, "stages")


@app.command("techniques")
@listing
def list_techniques(
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            help="parallelism, memory, precision, quantization or parameter-efficient.",
        ),
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
    from llmtrack import query
    from llmtrack.schema import TechniqueCategory

    catalog = _catalog()
    tests = []
    if category:
        tests.append(
            query.equals("category", _choice(category, TechniqueCategory.__args__, "category"))
        )
    _dated(catalog.date_of, since, until, tests)
    _emit("techniques", query.select(catalog.techniques, tests), catalog, out, "techniques")


@app.command("gpus")
@listing
def list_gpus(
    min_memory: Annotated[
        str | None, typer.Option("--min-memory", help="At least this much memory, e.g. 24GB.")
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
    from llmtrack import query
    from llmtrack.units import parse_memory_gib

    catalog = _catalog()
    tests = []
    if min_memory:
        floor = parse_memory_gib(min_memory)
        tests.append(lambda gpu: gpu.memory_gib >= floor)
    _dated(catalog.date_of, since, until, tests)
    _emit("gpus", query.select(catalog.gpus, tests), catalog, out, "GPUs")


_SEARCH_FIELDS = ("section", "id", "name", "field", "match", "score")


@app.command("search")
@listing
def search_command(
    query: Annotated[str, typer.Argument(help="Words to find; every one must occur in the entry.")],
    section: Annotated[
        list[str] | None,
        typer.Option(
            "--section",
            help="Only this section (repeatable): base_models, projects, references, "
            "stages, techniques, gpus.",
        ),
    ] = None,
    *,
    out: OutputSpec,
) -> None:
    """Search every text field of every section: names, orgs, data, notes, corrections,
    titles and authors. Ranked, with the field that matched.

    Examples:

      llmtrack search chinese

      llmtrack search sharegpt --section projects --format json
    """
    from llmtrack.records import Row
    from llmtrack.schema import SECTIONS
    from llmtrack.search import search

    sections = [_choice(name, SECTIONS, "section") for name in section] if section else None
    hits = search(_catalog(), query, sections)
    spans = {}
    rows = []
    for hit in hits:
        record = hit.record()
        row = Row(record, record)
        spans[id(row)] = ("match", *hit.span)
        rows.append(row)
    _emit_rows(
        rows,
        lambda: _SEARCH_FIELDS,
        (_SEARCH_FIELDS, _SEARCH_FIELDS),
        out,
        "entries",
        highlight=lambda row: spans[id(row)],
    )


@app.command("show")
def show(
    name: Annotated[
        str,
        typer.Argument(
            help="Any id or name: vicuna, 'LLaMA 7B', rtx-4090, lora-paper, ...",
            autocompletion=_completer(),
        ),
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="text (default), json or yaml.")
    ] = None,
) -> None:
    """Show one entry: every field, what it links to, corrections and sources.

    Examples:

      llmtrack show vicuna

      llmtrack show "LLaMA 7B" --format json
    """
    from llmtrack.detail import detail_record, render_detail
    from llmtrack.match import find
    from llmtrack.output import check_format, to_yaml, write_output

    fmt = check_format(fmt or "text", ("text", "json", "yaml"))
    catalog = _catalog()
    entry, resolution = find(catalog, name)
    if resolution.note:
        _note(resolution.note)
    if resolution.base:
        _note(f"{entry.name} on {catalog.get(resolution.base).name}")
    if fmt == "text":
        write_output(render_detail(entry, catalog), None)
    elif fmt == "json":
        record = detail_record(entry, catalog)
        write_output(json.dumps(record, indent=2, ensure_ascii=False) + "\n", None)
    else:
        write_output(to_yaml(detail_record(entry, catalog)), None)


@app.command("compare")
def compare(
    names: Annotated[
        list[str],
        typer.Argument(help="Two or more entries of one section.", autocompletion=_completer()),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="table, tsv, json or markdown [default: table on a terminal]."
        ),
    ] = None,
) -> None:
    """Compare entries side by side: one row per field, differences highlighted.

    Examples:

      llmtrack compare alpaca vicuna koala

      llmtrack compare llama-7b pythia-6.9b --format markdown
    """
    from llmtrack.compare import COMPARE_FORMATS, comparison, render_comparison
    from llmtrack.match import NameIndex
    from llmtrack.output import check_format, default_format, write_output

    if len(names) < 2:
        raise UsageError("compare needs at least two names")
    fmt = check_format(fmt or default_format(), COMPARE_FORMATS)
    catalog = _catalog()
    index = NameIndex.build(catalog)
    entries = [catalog.get(_resolve(index, name, "name").entry_id) for name in names]
    write_output(render_comparison(fmt, entries, comparison(entries)), None)


@app.command("export")
def export(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="json, yaml or markdown (the awesome list).")
    ] = "json",
    section: Annotated[
        list[str] | None,
        typer.Option(
            "--section",
            help="Only this section (repeatable): base_models, projects, references, "
            "stages, techniques, gpus.",
        ),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to FILE ('-' is stdout).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Export the whole catalog: JSON or YAML that loads back as a catalog, or Markdown that
    rebuilds the awesome list from the data.

    Examples:

      llmtrack export --format json -o catalog.json

      llmtrack export --format markdown --section projects -o model-spec.md
    """
    from llmtrack.export import EXPORT_FORMATS, export_text
    from llmtrack.output import check_format, write_output
    from llmtrack.schema import SECTIONS

    fmt = check_format(fmt, EXPORT_FORMATS)
    sections = [_choice(name, SECTIONS, "section") for name in section] if section else SECTIONS
    write_output(export_text(_catalog(), fmt, sections), output, force)


@app.command("timeline")
@listing
def timeline_command(
    section: Annotated[
        list[str] | None,
        typer.Option(
            "--section",
            help="Count this section (repeatable): base_models, projects, references, "
            "stages, techniques, gpus. Default: base_models and projects.",
        ),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="month or year.")] = "month",
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
    from llmtrack.schema import SECTIONS

    sections = [_choice(name, SECTIONS, "section") for name in section or timeline.DEFAULT_SECTIONS]
    sections = list(dict.fromkeys(sections))
    _choice(by, timeline.PERIODS, "period for --by")
    catalog = _catalog()
    in_range = []  # --since/--until, tested on each entry's date once it is known
    _dated(lambda date: date, since, until, in_range)
    dated, undated = [], 0
    for name in sections:
        for entry in catalog.section(name):
            date = catalog.date_of(entry)
            if date is None:
                undated += 1
            elif all(test(date) for test in in_range):
                dated.append((name, entry.id, date))
    if undated:
        _note(f"{undated} entries with no known date are left out.")
    rows = timeline.timeline_rows(dated, sections, by)
    names = timeline.field_names(sections, by)
    plain = [n for n in names if n != "chart"]
    table = [by, "count", "chart", *[n for n in plain if n not in (by, "count", "ids")]]
    _emit_rows(rows, lambda: names, (table, plain), out, "releases")
