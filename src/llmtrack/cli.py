"""The command line: typer only. It parses, calls the library, renders; nothing else."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from llmtrack import __version__
from llmtrack.errors import EXIT_ERROR, EXIT_INTERRUPTED, LlmtrackError, UsageError


class _OneErrorPolicy(TyperGroup):
    """Runs every invocation, from the console script or typer's CliRunner, through one
    policy: an expected failure is one 'Error: ...' line on stderr and its exit code."""

    def main(self, args=None, prog_name=None, **extra):
        extra["standalone_mode"] = False
        try:
            code = super().main(args, prog_name or "llmtrack", **extra)
            code = code if isinstance(code, int) else 0
        except typer.Exit as exc:
            code = exc.exit_code
        except (typer.Abort, KeyboardInterrupt):
            code = EXIT_INTERRUPTED
        except typer.TyperException as exc:  # typer's own usage errors: bad option values
            context = getattr(exc, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context else ""
            code = _fail(f"{exc.format_message()}{hint}", exc.exit_code)
        except LlmtrackError as exc:
            if _debug:
                raise
            code = _fail(str(exc), exc.exit_code)
        except BrokenPipeError:
            _silence_stdout()
            code = 0
        except Exception as exc:  # a bug: still one line, unless the user asked for the traceback
            if _debug:
                raise
            message = (
                f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
            )
            code = _fail(message, EXIT_ERROR)
        sys.exit(code)


app = typer.Typer(
    name="llmtrack",
    cls=_OneErrorPolicy,
    help=(
        "Query a bundled, sourced catalog of affordable LLMs: base models, the projects "
        "fine-tuned on them, the papers and tools behind them, fine-tuning stages, "
        "efficient-training techniques and GPUs.\n\n"
        "Example: llmtrack list --base LLaMA-7B"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_debug = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"llmtrack {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")] = False,
) -> None:
    global _debug
    _debug = debug


# --- options shared by every listing command -----------------------------------

FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="table, tsv, csv, json, jsonl, yaml or markdown "
        "[default: table on a terminal, tsv in a pipe].",
    ),
]
OutputOption = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write to FILE instead of stdout ('-' is stdout)."),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
]
SortOption = Annotated[
    list[str] | None,
    typer.Option(
        "--sort",
        "-s",
        help="Sort by KEY (repeatable); -KEY sorts descending. Missing values go last.",
    ),
]
LimitOption = Annotated[
    int | None, typer.Option("--limit", "-n", min=0, help="Show at most N rows.")
]
FieldsOption = Annotated[
    str | None,
    typer.Option("--fields", help="Comma-separated columns to show, e.g. id,name,params."),
]


def _catalog():
    from llmtrack.catalog import load_catalog

    return load_catalog()


def _emit(section, entries, catalog, fmt, output, force, sort, limit, fields, noun) -> None:
    """Shape, render and write the rows of a listing command."""
    from llmtrack import query, records
    from llmtrack.detail import related
    from llmtrack.output import check_format, default_format, render, write_output

    fmt = check_format(fmt or default_format())
    valid = [*records.field_names(section), *related_keys(section)]
    defaults = records.TABLE_COLUMNS if fmt == "table" else records.DEFAULT_COLUMNS
    columns = query.parse_fields(fields, valid) if fields else list(defaults[section])
    sort_keys = [query.SortKey.parse(spec, valid) for spec in sort or ()]

    nested = []
    for entry in entries:
        record = records.to_dict(entry)
        record.update(related(entry, catalog))
        nested.append(record)
    rows = [records.flatten(record) for record in nested]
    pairs = list(zip(rows, nested, strict=True))
    if sort_keys:
        order = {id(row): n for n, row in enumerate(query.sort_rows(rows, sort_keys))}
        pairs.sort(key=lambda pair: order[id(pair[0])])
    if limit is not None:
        pairs = pairs[:limit]
    if not pairs:
        typer.echo(f"No {noun} match.", err=True)
    rows = [row for row, _ in pairs]
    full = None if fields else [record for _, record in pairs]
    write_output(render(fmt, rows, columns, records=full), output, force)


def related_keys(section: str) -> list[str]:
    return {
        "base_models": ["projects"],
        "stages": ["projects"],
        "references": ["cited_by"],
        "gpus": ["cited_by"],
    }.get(section, [])


# --- commands ------------------------------------------------------------------


@app.command("list")
def list_projects(
    base: Annotated[
        list[str] | None,
        typer.Option(
            "--base",
            "-b",
            help="Built on this base model: id, name or family (repeatable, any of them).",
        ),
    ] = None,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            "-m",
            help="Uses this method: sft, lora, adapter, rm, rlhf, ... (repeatable).",
        ),
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="Organisation contains this text.")
    ] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    sort: SortOption = None,
    limit: LimitOption = None,
    fields: FieldsOption = None,
) -> None:
    """List the fine-tuned projects (Alpaca, Vicuna, Dolly, ...).

    Examples:

      llmtrack list --base LLaMA-7B

      llmtrack list --base llama --method lora --format json
    """
    from llmtrack import query
    from llmtrack.match import NameIndex
    from llmtrack.schema import METHODS

    catalog = _catalog()
    tests = []
    if base:
        index = NameIndex.build(catalog, ["base_models"])
        tests.append(
            query.projects_on_bases(
                {i for name in base for i in index.resolve_many(name, "base model")}
            )
        )
    if method:
        unknown = [m for m in method if m not in METHODS]
        if unknown:
            raise UsageError(f"unknown method {unknown[0]!r}; choose from: {', '.join(METHODS)}")
        tests.append(query.using_methods(method))
    if org:
        tests.append(query.text_contains("org", org))
    _emit(
        "projects",
        query.select(catalog.projects, tests),
        catalog,
        fmt,
        output,
        force,
        sort,
        limit,
        fields,
        "projects",
    )


@app.command("bases")
def list_bases(
    family: Annotated[
        str | None, typer.Option("--family", help="Family name, e.g. LLaMA, Pythia, OPT.")
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="Organisation contains this text.")
    ] = None,
    open_weights: Annotated[
        bool | None,
        typer.Option("--open/--closed", help="Only models with open weights, or only closed ones."),
    ] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    sort: SortOption = None,
    limit: LimitOption = None,
    fields: FieldsOption = None,
) -> None:
    """List base models, one row per released size.

    Examples:

      llmtrack bases --family pythia --sort -params

      llmtrack bases --open --fields id,params,context_length --format csv
    """
    from llmtrack import query
    from llmtrack.match import normalize

    catalog = _catalog()
    tests = []
    if family:
        names = {normalize(name): name for name in catalog.families}
        if normalize(family) not in names:
            from llmtrack.errors import NotFoundError

            raise NotFoundError(
                f"unknown family {family!r}; families: {', '.join(catalog.families)}"
            )
        tests.append(query.equals("family", names[normalize(family)]))
    if org:
        tests.append(query.text_contains("org", org))
    if open_weights is not None:
        tests.append(lambda base: base.open_weights == open_weights)
    _emit(
        "base_models",
        query.select(catalog.base_models, tests),
        catalog,
        fmt,
        output,
        force,
        sort,
        limit,
        fields,
        "base models",
    )


@app.command("refs")
def list_refs(
    kind: Annotated[str | None, typer.Option("--kind", help="paper, tool or blog.")] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    sort: SortOption = None,
    limit: LimitOption = None,
    fields: FieldsOption = None,
) -> None:
    """List the papers and tools behind the projects (Self-Instruct, LoRA, GPTQ, ...).

    Example:

      llmtrack refs --kind paper --sort date
    """
    from llmtrack import query

    catalog = _catalog()
    tests = [query.equals("kind", kind)] if kind else []
    _emit(
        "references",
        query.select(catalog.references, tests),
        catalog,
        fmt,
        output,
        force,
        sort,
        limit,
        fields,
        "references",
    )


@app.command("stages")
def list_stages(
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    sort: SortOption = None,
    limit: LimitOption = None,
    fields: FieldsOption = None,
) -> None:
    """List the fine-tuning stages (SFT, RM, RLHF) and the projects that use each.

    Example:

      llmtrack stages --fields id,name,projects
    """
    catalog = _catalog()
    _emit("stages", catalog.stages, catalog, fmt, output, force, sort, limit, fields, "stages")


@app.command("techniques")
def list_techniques(
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            help="parallelism, memory, precision, quantization or parameter-efficient.",
        ),
    ] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    sort: SortOption = None,
    limit: LimitOption = None,
    fields: FieldsOption = None,
) -> None:
    """List efficient-training techniques (ZeRO, FSDP, LoRA, 8-bit, ...) and what they do to memory.

    Example:

      llmtrack techniques --category quantization
    """
    from llmtrack import query

    catalog = _catalog()
    tests = [query.equals("category", category)] if category else []
    _emit(
        "techniques",
        query.select(catalog.techniques, tests),
        catalog,
        fmt,
        output,
        force,
        sort,
        limit,
        fields,
        "techniques",
    )


@app.command("gpus")
def list_gpus(
    min_memory: Annotated[
        str | None, typer.Option("--min-memory", help="At least this much memory, e.g. 24GB.")
    ] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    sort: SortOption = None,
    limit: LimitOption = None,
    fields: FieldsOption = None,
) -> None:
    """List GPU presets: memory, bf16 support and an indicative, dated hourly price.

    Example:

      llmtrack gpus --min-memory 24GB --sort memory_gib
    """
    from llmtrack import query
    from llmtrack.units import parse_memory_gib

    catalog = _catalog()
    tests = []
    if min_memory:
        floor = parse_memory_gib(min_memory)
        tests.append(lambda gpu: gpu.memory_gib >= floor)
    _emit(
        "gpus",
        query.select(catalog.gpus, tests),
        catalog,
        fmt,
        output,
        force,
        sort,
        limit,
        fields,
        "GPUs",
    )


@app.command("show")
def show(
    name: Annotated[
        str, typer.Argument(help="Any id or name: vicuna, 'LLaMA 7B', rtx-4090, lora-paper, ...")
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
    entry = find(catalog, name)
    if fmt == "text":
        write_output(render_detail(entry, catalog), None)
    elif fmt == "json":
        record = detail_record(entry, catalog)
        write_output(json.dumps(record, indent=2, ensure_ascii=False) + "\n", None)
    else:
        write_output(to_yaml(detail_record(entry, catalog)), None)


# --- entry point ---------------------------------------------------------------


def main() -> None:
    """The console script and ``python -m llmtrack``."""
    app()


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"Error: {message}\n")
    return code


def _silence_stdout() -> None:
    """The reader went away (``| head``): say nothing, and keep Python's exit flush quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
