"""The command line's app: its one error policy, the root options, the commands registered
in one block, and the entry point. typer only parses and dispatches; the commands map
options to the library and hand results to the renderers."""

from __future__ import annotations

import errno
import functools
import importlib
import os
import sys
import warnings
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from llmtrack import __version__
from llmtrack.cli import session, shell_completion
from llmtrack.cli.arguments import ROOT_VALUES, help_as_option, root_options_first
from llmtrack.cli.coercion import skip_known_coercions
from llmtrack.errors import EXIT_ERROR, EXIT_INTERRUPTED, LlmtrackError
from llmtrack.output.env import Env


class OneErrorPolicy(TyperGroup):
    """Runs every invocation, from the console script or typer's CliRunner, through one
    policy: an expected failure is one 'Error: ...' line on stderr and its exit code."""

    def main(self, args=None, prog_name=None, **extra):  # type: ignore[override]
        _guard_streams()
        session.start(Env.detect())
        extra["standalone_mode"] = False
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
            code = self._run(args, prog_name, extra)
        sys.exit(code)

    def format_help(self, ctx, formatter) -> None:
        from llmtrack.cli.help import group_help

        env = session.current().env
        ctx.color = env.colour or None  # click strips escapes off a pipe unless told
        formatter.write(group_help(ctx, self, COMMAND_HEADINGS, env.width, env.colour))

    def _run(self, args, prog_name, extra) -> int:
        try:
            given = sys.argv[1:] if args is None else list(args)  # None: click reads argv too
            if completion := shell_completion.requested(given):
                shell_completion.run(completion)  # before click: it takes an optional SHELL
                return 0
            code = super().main(args, prog_name or "llmtrack", **extra)
            sys.stdout.flush()  # a full disk or a closed reader shows here, not at exit
            return code if isinstance(code, int) else 0
        except typer.Exit as exc:
            return exc.exit_code
        except SystemExit as exc:
            # when the reader of a pipe goes away (``--help | head``), typer (click) and rich
            # exit 1 themselves; a closed pipe is no failure of ours
            if exc.code == 1 and _reader_gone():
                return 0
            raise
        except (typer.Abort, KeyboardInterrupt):
            return EXIT_INTERRUPTED
        except typer.TyperException as exc:  # typer's own usage errors: bad option values
            if type(exc).__name__ == "NoArgsIsHelpError":  # a bare `llmtrack`: the help
                sys.stdout.write(exc.ctx.get_help() + "\n")  # type: ignore[attr-defined]
                return 0
            context = getattr(exc, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context else ""
            return _fail(f"{exc.format_message()}{hint}", exc.exit_code)
        except LlmtrackError as exc:
            if session.current().debug:
                raise
            for problem in getattr(exc, "problems", ()):  # a catalog error: a line each
                sys.stderr.write(f"{problem}\n")
            return _fail(str(exc), exc.exit_code)
        except BrokenPipeError:
            _silence_stdout()
            return 0
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRNOS:
                raise
            _silence_stdout()  # what could not be written must not be retried at exit
            return _fail(f"cannot write the output: {exc.strerror or exc}", EXIT_ERROR)
        except Exception as exc:  # a bug: still one line, unless the user asked for the traceback
            if session.current().debug:
                raise
            message = (
                f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
            )
            return _fail(message, EXIT_ERROR)


class HelpfulCommand(TyperCommand):
    """A command whose help is ``llmtrack.cli.help``'s, not typer's rich table."""

    def format_help(self, ctx, formatter) -> None:
        from llmtrack.cli.help import command_help

        env = session.current().env
        ctx.color = env.colour or None  # click strips escapes off a pipe unless told
        formatter.write(command_help(ctx, self, env.width, env.colour))


skip_known_coercions()


APP_SETTINGS = dict(
    name="llmtrack",
    cls=OneErrorPolicy,
    help=(
        "Query a bundled, sourced catalog of affordable LLMs: base models, the projects "
        "fine-tuned on them, the papers and tools behind them, fine-tuning stages, "
        "efficient-training techniques and GPUs; and estimate what fits your card, how fast "
        "it runs and what a fine-tune costs.\n\n"
        "Examples:\n\n"
        "llmtrack list --base LLaMA-7B\n"
        "llmtrack show vicuna\n"
        'llmtrack estimate llama-3-8b --mode qlora --gpu "RTX 4090"\n'
        "llmtrack fits --vram 24GB"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    """The version, and how far the bundled data goes: the newest date of each section (the
    data's cut-off: releases after it are not in the catalog yet)."""
    if value:
        from llmtrack.catalog.files import as_catalog_files, bundled_files
        from llmtrack.catalog.load import bundled_catalog
        from llmtrack.timeline import reach

        bundled = reach(bundled_catalog(as_catalog_files(bundled_files())))
        typer.echo(f"llmtrack {__version__}\nbundled data, newest entry per section: {bundled}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")] = False,
    catalog: Annotated[
        list[str] | None,
        typer.Option(
            "--catalog",
            metavar="FILE",
            help="Load this catalog file (YAML or JSON) over the bundled one (repeatable; "
            "after the config folder and LLMTRACK_CATALOG).",
        ),
    ] = None,
    no_bundled: Annotated[
        bool, typer.Option("--no-bundled", help="Leave the bundled catalog out: only your files.")
    ] = False,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page output taller than the terminal (else LLMTRACK_PAGER, PAGER or "
            "less -FRX).",
        ),
    ] = False,
) -> None:
    settings = session.current()
    settings.debug = debug
    settings.catalogs = list(catalog or ())
    settings.bundled = not no_bundled
    if no_pager:
        settings.env = settings.env.without_pager()


# --- the commands, in the order help lists them: name -> (module in llmtrack.cli, function) ---

COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("catalog_commands", "list_projects"),
    "bases": ("catalog_commands", "list_bases"),
    "refs": ("catalog_commands", "list_refs"),
    "stages": ("catalog_commands", "list_stages"),
    "techniques": ("catalog_commands", "list_techniques"),
    "gpus": ("catalog_commands", "list_gpus"),
    "search": ("entry_commands", "search_command"),
    "show": ("entry_commands", "show"),
    "compare": ("entry_commands", "compare"),
    "export": ("entry_commands", "export"),
    "timeline": ("catalog_commands", "timeline_command"),
    "estimate": ("memory_commands", "estimate_command"),
    "fits": ("fits_command", "fits_command"),
    "reproduce": ("reproduce_command", "reproduce_command"),
    "sources": ("user_commands", "sources_command"),
    "validate": ("user_commands", "validate_command"),
    "schema": ("user_commands", "schema_command"),
    "new": ("user_commands", "new_command"),
    "cache": ("user_commands", "cache_command"),
    "config": ("config_command", "config_command"),
}


# the headings the root's help lists the commands under, in COMMANDS' order
COMMAND_HEADINGS: dict[str, tuple[str, ...]] = {
    "catalog commands": (
        *("list", "bases", "refs", "stages", "techniques", "gpus"),
        *("search", "show", "compare", "export", "timeline"),
    ),
    "estimator commands": ("estimate", "fits", "reproduce"),
    "your catalogs and settings": ("sources", "validate", "schema", "new", "cache", "config"),
}


def build_app(names: list[str] | None = None) -> typer.Typer:
    """The app with these commands (every command when None). A run that names its command
    builds only that one: typer works out every registered command's parameters before it
    runs one, and importing every command module would cost every run their imports."""
    settings = APP_SETTINGS if names is None else {**APP_SETTINGS, "no_args_is_help": False}
    built = typer.Typer(**settings)  # type: ignore[arg-type]
    built.callback()(root)
    for name in names or COMMANDS:
        module, function = COMMANDS[name]
        built.command(name, cls=HelpfulCommand)(
            getattr(importlib.import_module(f"llmtrack.cli.{module}"), function)
        )
    return built


@functools.cache
def full_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # built on first use: help, completion, tests and the docs need it
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "app"])


# --- entry point -----------------------------------------------------------------------


def main() -> None:
    """The console script and ``python -m llmtrack``."""
    args = help_as_option(root_options_first(sys.argv[1:]))  # as people type them
    only_the_invoked_command(args)(args=args)


def only_the_invoked_command(args: list[str]) -> typer.Typer:
    """The app with just the command being run, when that is clear from the arguments.

    Help, completion and anything unclear get the full app.
    """
    if os.environ.get("_LLMTRACK_COMPLETE"):
        return full_app()
    words = iter(args)
    for word in words:
        if word in ROOT_VALUES:
            next(words, None)
        elif not word.startswith("-"):
            return build_app([word]) if word in COMMANDS else full_app()
        elif word in ("-h", "--help"):
            return full_app()
    return full_app()


def _fail(message: str, code: int) -> int:
    from llmtrack.output.safe_text import safe_text  # a message may quote catalog text

    sys.stderr.write(f"Error: {safe_text(message, keep_lines=False)}\n")
    return code


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A library warning (an unsafe cache folder, say) as one line, not Python's four."""
    sys.stderr.write(f"warning: {message}\n")


# What writing the output can fail with: a full disk or quota, an I/O error, a file too
# large, a closed stdout (``>&-``).
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EBADF}


class _ClosedStream:
    """stdout when the shell closed it (``>&-``): every write is the error it is, instead of
    Python's None, which crashes rich and which click silently writes nothing to."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "stdout is closed")


def _guard_streams() -> None:
    """A closed stdout becomes a stream that says so; a stdout or stderr that cannot
    encode every character (``PYTHONIOENCODING=ascii``) escapes what it cannot show (白泽
    as \\u767d\\u6cfd) instead of crashing in the middle of a table."""
    if sys.stdout is None:
        sys.stdout = _ClosedStream()
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and not encoding.startswith("utf"):
            reconfigure(errors="backslashreplace")


def _reader_gone() -> bool:
    """True after typer or rich met a broken pipe: typer wraps stdout to quiet the exit
    flush, rich points it at the null device."""
    if type(sys.stdout).__name__ == "PacifyFlushWrapper":
        return True
    try:
        out, null = os.fstat(sys.stdout.fileno()), os.stat(os.devnull)
    except (OSError, ValueError):
        return False
    return (out.st_dev, out.st_ino) == (null.st_dev, null.st_ino)


def _silence_stdout() -> None:
    """The reader went away (``| head``): say nothing, and keep Python's exit flush quiet."""
    try:
        descriptor = sys.stdout.fileno()
    except (OSError, ValueError):  # closed, or not a file (typer's test runner)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
