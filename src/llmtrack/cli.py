"""The command line: the app, its error policy and what the commands share. typer only: it
parses, calls the library, renders. The commands themselves are in `llmtrack.commands`."""

import functools
import inspect
import os
import sys
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


def _shared(name: str, default, annotation) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


_SHARED_OPTIONS = [
    _shared("fmt", None, Annotated[str | None, typer.Option(
        "--format", "-f", help="table, tsv, csv, json, jsonl, yaml or markdown "
        "[default: table on a terminal, tsv in a pipe].")]),
    _shared("output", None, Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to FILE instead of stdout ('-' is stdout).")]),
    _shared("force", False, Annotated[bool, typer.Option(
        "--force", help="Overwrite the --output file if it exists.")]),
    _shared("sort", None, Annotated[list[str] | None, typer.Option(
        "--sort", "-s",
        help="Sort by KEY (repeatable); -KEY sorts descending. Missing values go last.")]),
    _shared("limit", None, Annotated[int | None, typer.Option(
        "--limit", "-n", min=0, help="Show at most N rows.")]),
    _shared("fields", None, Annotated[str | None, typer.Option(
        "--fields", help="Comma-separated columns to show, e.g. id,name,params.")]),
]  # fmt: skip


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


def _dated(date_of, since: str | None, until: str | None, tests: list) -> None:
    """Add the --since/--until filter on ``date_of(entry)`` to ``tests`` when either is given."""
    if since or until:
        from llmtrack import query
        from llmtrack.units import parse_date

        since, until = (parse_date(d) if d else None for d in (since, until))
        tests.append(query.dated_between(date_of, since, until))


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


# The commands register themselves on `app` when imported.
import llmtrack.commands.catalog  # noqa: E402
import llmtrack.commands.memory  # noqa: E402
import llmtrack.commands.user  # noqa: E402, F401
