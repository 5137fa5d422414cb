"""The command line: typer only. It parses, calls the library, renders; nothing else."""

import functools
import inspect
import json
import os
import sys
from dataclasses import replace
from typing import Annotated, NamedTuple

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
            if type(exc).__name__ == "NoArgsIsHelpError":
                code = 0  # a bare `llmtrack`: typer has printed the help
            else:
                context = getattr(exc, "ctx", None)
                hint = f" (see '{context.command_path} --help')" if context else ""
                code = _fail(f"{exc.format_message()}{hint}", exc.exit_code)
        except LlmtrackError as exc:
            if _debug:
                raise
            for problem in getattr(
                exc, "problems", ()
            ):  # a catalog error: every problem, a line each
                sys.stderr.write(f"{problem}\n")
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


_APP_SETTINGS = dict(
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
app = typer.Typer(**_APP_SETTINGS)

_debug = False
_settings: dict = {"catalogs": [], "bundled": True}  # set by the root options


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
    catalog: Annotated[
        list[str] | None,
        typer.Option(
            "--catalog",
            help="Load this catalog file (YAML or JSON) over the bundled one (repeatable; "
            "after the config folder and LLMTRACK_CATALOG).",
        ),
    ] = None,
    no_bundled: Annotated[
        bool, typer.Option("--no-bundled", help="Leave the bundled catalog out: only your files.")
    ] = False,
) -> None:
    global _debug
    _debug = debug
    _settings.update(catalogs=list(catalog or ()), bundled=not no_bundled)


# --- options shared by every listing command -----------------------------------


class OutputSpec(NamedTuple):
    """What every listing command is asked to do with its rows."""

    fmt: str | None
    output: str | None
    force: bool
    sort: list[str] | None
    limit: int | None
    fields: str | None


_SHARED_OPTIONS = [
    inspect.Parameter(
        "fmt",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            str | None,
            typer.Option(
                "--format",
                "-f",
                help="table, tsv, csv, json, jsonl, yaml or markdown "
                "[default: table on a terminal, tsv in a pipe].",
            ),
        ],
    ),
    inspect.Parameter(
        "output",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            str | None,
            typer.Option("--output", "-o", help="Write to FILE instead of stdout ('-' is stdout)."),
        ],
    ),
    inspect.Parameter(
        "force",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[
            bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
        ],
    ),
    inspect.Parameter(
        "sort",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            list[str] | None,
            typer.Option(
                "--sort",
                "-s",
                help="Sort by KEY (repeatable); -KEY sorts descending. Missing values go last.",
            ),
        ],
    ),
    inspect.Parameter(
        "limit",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            int | None, typer.Option("--limit", "-n", min=0, help="Show at most N rows.")
        ],
    ),
    inspect.Parameter(
        "fields",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            str | None,
            typer.Option("--fields", help="Comma-separated columns to show, e.g. id,name,params."),
        ],
    ),
]


def listing(func):
    """Give a listing command the shared output options, handed to it as ``out``."""
    own = [p for p in inspect.signature(func, eval_str=True).parameters.values() if p.name != "out"]
    names = [p.name for p in _SHARED_OPTIONS]

    @functools.wraps(func)
    def command(**kwargs):
        out = OutputSpec(**{name: kwargs.pop(name) for name in names})
        return func(out=out, **kwargs)

    command.__signature__ = inspect.Signature([*own, *_SHARED_OPTIONS])
    return command


OrgOption = Annotated[str | None, typer.Option("--org", help="Organisation contains this text.")]
SinceOption = Annotated[str | None, typer.Option("--since", help="On or after DATE (ISO).")]
UntilOption = Annotated[str | None, typer.Option("--until", help="On or before DATE (ISO).")]


def _dated(attribute: str, since: str | None, until: str | None, tests: list) -> None:
    """Add the --since/--until filter on ``attribute`` to ``tests`` when either is given."""
    if since or until:
        from llmtrack import query
        from llmtrack.units import parse_date

        since, until = (parse_date(d) if d else None for d in (since, until))
        tests.append(query.dated_between(attribute, since, until))


def _catalog():
    """The catalog this run sees: bundled and user files, through the compiled cache."""
    from llmtrack.catalog import catalog_files, load_catalog

    catalog = load_catalog(catalog_files(_settings["catalogs"], bundled=_settings["bundled"]))
    for source in catalog.files:
        if source.replaced:  # said once per run, one line per file
            shown = ", ".join(source.replaced[:5]) + (" ..." if len(source.replaced) > 5 else "")
            _note(
                f"{source.path} replaces {len(source.replaced)} earlier entr"
                f"{'y' if len(source.replaced) == 1 else 'ies'}: {shown}"
            )
    return catalog


def _completer(*sections: str):
    """A typer autocompletion callback offering the ids of these sections (all when none)."""

    def complete(incomplete: str) -> list[str]:
        from llmtrack.match import completions

        try:
            return completions(_catalog(), incomplete, sections or None)
        except Exception:  # a broken catalog must not break the user's shell
            return []

    return complete


def _families(incomplete: str) -> list[str]:
    from llmtrack.match import normalize

    try:
        families = _catalog().families
    except Exception:  # a broken catalog must not break the user's shell
        return []
    return [name for name in families if normalize(name).startswith(normalize(incomplete))]


def _emit(section: str, entries, catalog, out: OutputSpec, noun: str) -> None:
    """Shape, render and write the entries of a catalog section."""
    from llmtrack import records

    rows = records.build_rows(entries, catalog)
    columns = (records.TABLE_COLUMNS[section], records.DEFAULT_COLUMNS[section])
    _emit_rows(rows, lambda: records.field_names(section), columns, out, noun)


def _emit_rows(
    rows, valid, columns, out: OutputSpec, noun: str, title: str | None = None, highlight=None
) -> None:
    """Sort, limit, pick fields, render in the asked format and write: every listing ends here.

    ``valid`` gives the field names --fields and --sort accept (a function: they are worked
    out only when asked for); ``columns`` is (the terminal table's default columns, every
    other format's)."""
    from llmtrack import query
    from llmtrack.output import check_format, default_format, render, write_output

    fmt = check_format(out.fmt or default_format())
    table_columns, plain_columns = columns
    if out.fields:
        chosen = query.parse_fields(out.fields, valid())
    else:
        chosen = list(table_columns if fmt == "table" else plain_columns)
    sort_keys = [query.SortKey.parse(spec, valid()) for spec in out.sort or ()]
    rows = query.shape(rows, sort_keys, out.limit)
    if not rows:
        _note(f"No {noun} match.")
    # JSON and YAML keep the whole nested record unless the user picked fields
    nested = None if out.fields else [row.record for row in rows]
    marks = [highlight(row) for row in rows] if highlight else None
    text = render(
        fmt, [row.flat for row in rows], chosen, records=nested, title=title, highlights=marks
    )
    write_output(text, out.output, out.force)


def _note(message: str) -> None:
    """Something the user should know that is not the result: stderr, so pipes stay clean."""
    sys.stderr.write(message + "\n")


def _choice(value: str, allowed, what: str) -> str:
    if value not in allowed:
        raise UsageError(f"unknown {what} {value!r}; choose from: {', '.join(allowed)}")
    return value


# --- commands ------------------------------------------------------------------


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
    _dated("released", since, until, tests)
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
    _dated("released", since, until, tests)
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
    _dated("date", since, until, tests)
    _emit("references", query.select(catalog.references, tests), catalog, out, "references")


@app.command("stages")
@listing
def list_stages(*, out: OutputSpec) -> None:
    """List the fine-tuning stages (SFT, RM, RLHF) and the projects that use each.

    Example:

      llmtrack stages --fields id,name,projects
    """
    catalog = _catalog()
    _emit("stages", catalog.stages, catalog, out, "stages")


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
    *,
    out: OutputSpec,
) -> None:
    """List efficient-training techniques (ZeRO, FSDP, LoRA, 8-bit, ...) and what they do to memory.

    Example:

      llmtrack techniques --category quantization
    """
    from llmtrack import query
    from llmtrack.schema import TechniqueCategory

    catalog = _catalog()
    tests = []
    if category:
        tests.append(
            query.equals("category", _choice(category, TechniqueCategory.__args__, "category"))
        )
    _emit("techniques", query.select(catalog.techniques, tests), catalog, out, "techniques")


@app.command("gpus")
@listing
def list_gpus(
    min_memory: Annotated[
        str | None, typer.Option("--min-memory", help="At least this much memory, e.g. 24GB.")
    ] = None,
    *,
    out: OutputSpec,
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
    _emit("gpus", query.select(catalog.gpus, tests), catalog, out, "GPUs")


# --- memory ----------------------------------------------------------------------

VramOption = Annotated[
    str | None,
    typer.Option("--vram", help="Memory of one card, e.g. 24GB (GiB, as nvidia-smi counts)."),
]
GpuOption = Annotated[
    str | None,
    typer.Option(
        "--gpu",
        help='A GPU preset by name, e.g. "RTX 4090" (see llmtrack gpus).',
        autocompletion=_completer("gpus"),
    ),
]
GpusOption = Annotated[
    int, typer.Option("--gpus", min=1, help="Number of GPUs (memory is per GPU).")
]
SeqLenOption = Annotated[
    int | None,
    typer.Option(
        "--seq-len", min=1, help="Tokens per sequence [default: context up to 2048; 512 to train]."
    ),
]
BatchOption = Annotated[int, typer.Option("--batch", min=1, help="Sequences per batch (per GPU).")]


def _card(catalog, vram: str | None, gpu: str | None, gpus: int):
    """The card the user named, or None; the size always comes back said in GiB."""
    if not vram and not gpu:
        return None
    from llmtrack.fits import Card
    from llmtrack.match import NameIndex
    from llmtrack.units import format_gib, parse_memory_gib

    if vram and gpu:
        raise UsageError("give --vram or --gpu, not both")
    if vram:
        gib = parse_memory_gib(vram)
        return Card(f"{format_gib(gib)} card", gib, gpus)
    if gpu:
        entry = catalog.get(_resolve(NameIndex.build(catalog, ["gpus"]), gpu, "GPU").entry_id)
        return Card(entry.name, entry.memory_gib, gpus)
    return None


def _resolve(index, name: str, what: str):
    """Resolve through the one resolver, saying on stderr when it took a guess."""
    resolution = index.resolve(name, what)
    if resolution.note:
        _note(resolution.note)
    return resolution


def _estimable_base(catalog, name: str):
    """The base model ``name`` denotes. A project stands for its base model: the one its name
    gives (``vicuna-13b``), or its only one."""
    from llmtrack.errors import NotFoundError
    from llmtrack.match import NameIndex

    index = NameIndex.build(catalog, ["base_models", "projects"])
    resolution = _resolve(index, name, "model")
    entry = catalog.get(resolution.entry_id)
    if entry.section == "projects":
        if resolution.base:
            base = catalog.get(resolution.base)
        else:
            bases = [catalog.get(b) for b in entry.base_models]
            open_bases = [b for b in bases if b.architecture is not None]
            if len(open_bases) != 1:
                options = (
                    ", ".join(b.id for b in open_bases) or "none with a published architecture"
                )
                raise NotFoundError(
                    f"{entry.name} is built on several base models; which one: {options}?"
                )
            base = open_bases[0]
        _note(f"estimating {entry.name} on its base model {base.id}")
        entry = base
    if entry.architecture is None or entry.architecture.vocab_size is None:
        raise NotFoundError(
            f"{entry.name} has no published architecture (access: {entry.access}); "
            "the estimator needs layers, hidden size, heads and vocabulary"
        )
    return entry


@app.command("estimate")
def estimate_command(
    model: Annotated[
        str,
        typer.Argument(
            help="A base model (or a project on one base): llama-7b, 'Pythia 12B', ...",
            autocompletion=_completer("base_models", "projects"),
        ),
    ],
    mode: Annotated[
        str, typer.Option("--mode", help="inference, lora, qlora or full.")
    ] = "inference",
    precision_name: Annotated[
        str | None,
        typer.Option(
            "--precision",
            help="fp32, fp16, bf16, int8, nf4, nf4-dq, gptq-4bit, gptq-3bit, q4_0, q4_1, q5_0, "
            "q5_1, q8_0, f16 (int4 = nf4) [default: fp16; nf4-dq for qlora; bf16 for full].",
        ),
    ] = None,
    seq_len: SeqLenOption = None,
    batch: BatchOption = 1,
    gradient_checkpointing: Annotated[
        bool | None,
        typer.Option(
            "--gradient-checkpointing/--no-gradient-checkpointing",
            help="Recompute activations in the backward pass [default: on for qlora].",
        ),
    ] = None,
    lora_rank: Annotated[
        int | None, typer.Option("--lora-rank", min=1, help="LoRA rank [default: 8; 64 for qlora].")
    ] = None,
    lora_targets: Annotated[
        str | None,
        typer.Option(
            "--lora-targets",
            help="attention (q, v) or all-linear [default: attention; all-linear for qlora].",
        ),
    ] = None,
    optimizer: Annotated[
        str | None,
        typer.Option(
            "--optimizer",
            help="adamw, adamw-8bit, paged-adamw or sgd "
            "[default: paged-adamw for qlora, else adamw].",
        ),
    ] = None,
    gpus: GpusOption = 1,
    zero: Annotated[
        int | None, typer.Option("--zero", help="DeepSpeed ZeRO stage 0-3 for multi-GPU training.")
    ] = None,
    fsdp: Annotated[
        bool, typer.Option("--fsdp", help="PyTorch FSDP full sharding (like ZeRO-3).")
    ] = False,
    group_size: Annotated[
        int, typer.Option("--group-size", help="GPTQ group size (-1: one scale per column).")
    ] = 128,
    eager_attention: Annotated[
        bool,
        typer.Option(
            "--eager-attention", help="Materialise the attention matrix (no FlashAttention/SDPA)."
        ),
    ] = False,
    vram: VramOption = None,
    gpu: GpuOption = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="text (default), json or yaml.")
    ] = None,
) -> None:
    """Estimate the peak GPU memory of running or fine-tuning a model, component by component.

    Examples:

      llmtrack estimate llama-7b --mode qlora --gpu "RTX 4090"

      llmtrack estimate pythia-12b --precision int8 --seq-len 1024 --vram 16GB

      llmtrack estimate llama-13b --mode full --gpus 8 --zero 3 --format json
    """
    from llmtrack.estimate_view import estimate_record, render_estimate
    from llmtrack.fits import estimate_base
    from llmtrack.memory import Recipe
    from llmtrack.output import check_format, to_yaml, write_output

    fmt = check_format(fmt or "text", ("text", "json", "yaml"))
    recipe = Recipe(
        mode=mode,
        precision=precision_name,
        seq_len=seq_len,
        batch=batch,
        gradient_checkpointing=gradient_checkpointing,
        lora_rank=lora_rank,
        lora_targets=lora_targets,
        optimizer=optimizer,
        gpus=gpus,
        zero=zero,
        fsdp=fsdp,
        group_size=group_size,
        flash_attention=not eager_attention,
    )
    catalog = _catalog()
    card = _card(catalog, vram, gpu, gpus)
    base = _estimable_base(catalog, model)
    result = estimate_base(base, recipe)
    if fmt == "text":
        write_output(render_estimate(result, base.name, card), None)
    elif fmt == "json":
        write_output(json.dumps(estimate_record(result, base.name, card), indent=2) + "\n", None)
    else:
        write_output(to_yaml(estimate_record(result, base.name, card)), None)


_FIT_FIELDS = (
    "kind",
    "model",
    "name",
    "mode",
    "precision",
    "peak_gib",
    "headroom_gib",
    "verdict",
    "fits",
    "params",
    "source",
    "note",
)
_FIT_TABLE = ("model", "mode", "precision", "peak_gib", "headroom_gib", "verdict", "note")
_FIT_PLAIN = ("kind", "model", "mode", "precision", "peak_gib", "headroom_gib", "verdict", "source")


@app.command("fits")
@listing
def fits_command(
    vram: VramOption = None,
    gpu: GpuOption = None,
    gpus: GpusOption = 1,
    mode: Annotated[
        list[str] | None, typer.Option("--mode", help="inference, lora, qlora, full (repeatable).")
    ] = None,
    precision_name: Annotated[
        list[str] | None,
        typer.Option("--precision", help="Weight precision (repeatable), e.g. fp16, int8, nf4."),
    ] = None,
    seq_len: SeqLenOption = None,
    batch: BatchOption = 1,
    show_all: Annotated[bool, typer.Option("--all", help="Also list what does not fit.")] = False,
    *,
    out: OutputSpec,
) -> None:
    """What fits on a card: every open model x recipe, estimated, and what projects report.

    Default recipes: inference at fp16, int8 and nf4, LoRA (fp16), QLoRA (nf4-dq) and full
    fine-tuning (bf16, AdamW). Best first: what fits, biggest model first.

    Examples:

      llmtrack fits --vram 24GB

      llmtrack fits --gpu "RTX 4090" --mode qlora --mode lora

      llmtrack fits --gpu t4 --precision int8 --format json
    """
    from llmtrack.fits import DEFAULT_RECIPES, estimable, fit_rows, reported_rows
    from llmtrack.memory import Recipe
    from llmtrack.records import Row

    catalog = _catalog()
    card = _card(catalog, vram, gpu, gpus)
    if card is None:
        raise UsageError("give the card: --vram SIZE (e.g. 24GB) or --gpu NAME")
    if mode or precision_name:
        modes = mode or ["inference"]
        precisions = precision_name or [None]
        recipes = [Recipe(m, p, seq_len=seq_len, batch=batch) for m in modes for p in precisions]
    else:
        recipes = [replace(r, seq_len=seq_len, batch=batch) for r in DEFAULT_RECIPES]
    rows = fit_rows(estimable(catalog), recipes, card)
    if not show_all:
        rows = [row for row in rows if row.fits]
    rows += reported_rows(catalog, card)
    size = f"{card.memory_gib:g} GiB" + (f" x {card.gpus} GPUs" if card.gpus > 1 else "")
    _note(f"card: {card.label}, {size}")
    records = []
    for row in rows:
        record = {name: getattr(row, name) for name in _FIT_FIELDS}
        records.append(Row(record, record))
    _emit_rows(
        records,
        lambda: _FIT_FIELDS,
        (_FIT_TABLE, _FIT_PLAIN),
        out,
        "models",
        title=f"{card.label} ({size})",
    )


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


# --- your own catalog files -------------------------------------------------------------


@app.command("sources")
@listing
def sources_command(*, out: OutputSpec) -> None:
    """List the files the catalog was loaded from, in order, and what each gave.

    Examples:

      llmtrack sources

      llmtrack --catalog mine.yaml sources
    """
    from llmtrack.records import Row

    rows = []
    for source in _catalog().files:
        record = {
            "path": source.path,
            "layer": source.layer,
            "entries": source.entries,
            "replaced": list(source.replaced),
        }
        rows.append(Row(record, record))
    columns = ("path", "layer", "entries", "replaced")
    _emit_rows(rows, lambda: columns, (columns, columns), out, "files")


@app.command("validate")
def validate_command(
    files: Annotated[list[str], typer.Argument(help="Catalog files (YAML or JSON) to check.")],
) -> None:
    """Check catalog files without loading them into anything: syntax, schema, unknown and
    duplicate keys and ids, dangling references, and implausible values (as warnings).

    Every problem is one line, FILE:LINE:COL: entry.field: message. Exit 1 if any is an error.

    Examples:

      llmtrack validate my-models.yaml

      llmtrack validate src/llmtrack/data/*.yaml
    """
    from llmtrack.catalog import bundled_paths, load_catalog, max_file_bytes, read_overlay
    from llmtrack.errors import CatalogError
    from llmtrack.validation import load_layers

    problems = []
    layers = []
    for path in files:
        try:
            item = read_overlay(path, "validate", max_file_bytes())
            layers.append([(item.name, item.data)])
        except CatalogError as refused:
            problems += refused.problems
    # references resolve in the bundled catalog, unless the bundled files are what is checked
    checked = {os.path.realpath(path) for path in files}
    checking_bundled = any(os.path.realpath(path) in checked for path in bundled_paths())
    base = None if checking_bundled or not _settings["bundled"] else load_catalog()
    try:
        loaded = load_layers(layers, base=base)
        problems += loaded.warnings
        for entry_id, earlier, by in loaded.replaced:
            problems.append(_replacement_warning(entry_id, earlier, by))
    except CatalogError as failed:
        problems += failed.problems
    for problem in problems:
        typer.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    _note(
        f"{_plural(len(files), 'file')}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    )
    raise typer.Exit(1 if errors else 0)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _replacement_warning(entry_id: str, earlier: str, by: str):
    from llmtrack.errors import Problem

    return Problem(by, None, None, entry_id, None, f"replaces the entry from {earlier}", "warning")


@app.command("schema")
def schema_command(
    section: Annotated[
        str | None, typer.Option("--section", help="Only this section's entries.")
    ] = None,
) -> None:
    """Print the JSON Schema of a catalog file, for editors to check files as you type.

    Examples:

      llmtrack schema > llmtrack.schema.json

      llmtrack schema --section projects
    """
    from llmtrack.schema import SECTIONS
    from llmtrack.validation import json_schema

    sections = [_choice(section, SECTIONS, "section")] if section else list(SECTIONS)
    typer.echo(json.dumps(json_schema(sections), indent=2))


@app.command("new")
def new_command(
    section: Annotated[
        str,
        typer.Argument(
            help="base_models, projects, references, stages, techniques or gpus.",
            autocompletion=lambda incomplete: [
                s
                for s in ("base_models", "projects", "references", "stages", "techniques", "gpus")
                if s.startswith(incomplete)
            ],
        ),
    ],
) -> None:
    """Print a commented YAML template for a new entry: every field, which are required,
    units. It is a valid catalog file as printed.

    Examples:

      llmtrack new projects > my-project.yaml

      llmtrack new base_models
    """
    from llmtrack.schema import SECTIONS
    from llmtrack.templates import template

    typer.echo(template(_choice(section, SECTIONS, "section")), nl=False)


# --- entry point ---------------------------------------------------------------


def main() -> None:
    """The console script and ``python -m llmtrack``."""
    _only_the_invoked_command(sys.argv[1:])()


def _only_the_invoked_command(args: list[str]) -> typer.Typer:
    """The app with just the command being run, when that is clear from the arguments.

    typer builds every command's parameters before it runs one; with twenty commands that
    is a noticeable part of start-up. Help, completion and anything unclear get the full app.
    """
    if os.environ.get("_LLMTRACK_COMPLETE"):
        return app
    root_values = {"--catalog"}  # root options that take a value
    words = iter(args)
    for word in words:
        if word in root_values:
            next(words, None)
        elif not word.startswith("-"):
            chosen = [c for c in app.registered_commands if c.name == word]
            if not chosen:
                return app
            narrow = typer.Typer(**{**_APP_SETTINGS, "no_args_is_help": False})
            narrow.registered_callback = app.registered_callback
            narrow.registered_commands = chosen
            return narrow
        elif word in ("-h", "--help"):
            return app
    return app


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"Error: {message}\n")
    return code


def _silence_stdout() -> None:
    """The reader went away (``| head``): say nothing, and keep Python's exit flush quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
