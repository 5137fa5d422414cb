"""Options shared between commands, declared once. Every enumeration in a help text or a
completion comes from the domain's constants, never retyped."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated

import typer

from llmtrack.catalog.schema import SECTIONS
from llmtrack.output.formats import FORMATS
from llmtrack.output.listing import OutputSpec


def listed(values: Iterable[str]) -> str:
    """'a, b or c'."""
    values = list(values)
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def complete_from(values: Iterable[str]) -> Callable[[str], list[str]]:
    """A completion callback offering these values."""
    values = tuple(values)
    return lambda incomplete: [v for v in values if v.startswith(incomplete)]


def choice_option(
    *names: str,
    values: Sequence[str],
    before: str = "",
    after: str = ".",
    forms: Sequence[str] = (),
    metavar: str | None = None,
) -> typer.models.OptionInfo:
    """An option that takes one of ``values``: its help names every one and completion
    offers them, so neither can leave a value out. ``forms`` are patterns it also takes
    (exl2-BITS), named in the help but not completed."""
    return typer.Option(
        *names,
        help=f"{before}{listed([*values, *forms])}{after}",
        autocompletion=complete_from(values),
        metavar=metavar,
    )


def choice_argument(
    values: Sequence[str], before: str = "", after: str = "."
) -> typer.models.ArgumentInfo:
    """An argument that takes one of ``values``, as ``choice_option``."""
    return typer.Argument(
        help=f"{before}{listed(values)}{after}", autocompletion=complete_from(values)
    )


def complete_ids(*sections: str) -> Callable[[str], list[str]]:
    """A completion callback offering the ids of these sections (every section when none)."""

    def complete(incomplete: str) -> list[str]:
        from llmtrack.cli.session import load
        from llmtrack.match import completions

        try:
            return completions(load(), incomplete, sections or None)
        except Exception:  # a broken catalog must not break the user's shell
            return []

    return complete


def complete_families(incomplete: str) -> list[str]:
    from llmtrack.cli.session import load
    from llmtrack.match import normalize

    try:
        families = load().families
    except Exception:  # a broken catalog must not break the user's shell
        return []
    return [name for name in families if normalize(name).startswith(normalize(incomplete))]


def complete_fields(ctx: typer.Context, incomplete: str) -> list[str]:
    """--fields: the command's fields (and all), after the last comma of a list."""
    from llmtrack.output.listings import command_fields

    done, comma, last = incomplete.rpartition(",")
    names = [*command_fields(ctx.info_name or ""), *([] if comma else ["all"])]
    return [f"{done}{comma}{name}" for name in names if name.startswith(last)]


def complete_sort_keys(ctx: typer.Context, incomplete: str) -> list[str]:
    """--sort: the command's fields, -KEY for descending."""
    from llmtrack.output.listings import command_fields

    sign = "-" if incomplete.startswith("-") else ""
    names = command_fields(ctx.info_name or "")
    return [sign + name for name in names if name.startswith(incomplete.removeprefix("-"))]


def _shared(name: str, default, annotation) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


# -o and --force of every command that writes a result (one writer: llmtrack.output.write)
OutputOption = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE instead of stdout ('-' is stdout); its extension picks the format.",
    ),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
]

_OUTPUT_OPTIONS = [
    _shared("fmt", None, Annotated[str | None, choice_option(
        "--format", "-f", values=FORMATS,
        after=" [default: table on a terminal, tsv in a pipe].")]),
    _shared("output", None, OutputOption),
    _shared("force", False, ForceOption),
    _shared("sort", None, Annotated[list[str] | None, typer.Option(
        "--sort", "-s",
        metavar="KEY", autocompletion=complete_sort_keys,
        help="Sort by KEY (repeatable); -KEY sorts descending. Missing values go last.")]),
    _shared("limit", None, Annotated[int | None, typer.Option(
        "--limit", "-n", metavar="N", min=0, help="Show at most N rows.")]),
    _shared("fields", None, Annotated[str | None, typer.Option(
        "--fields", metavar="LIST", autocompletion=complete_fields,
        help="Comma-separated columns to show, e.g. id,name,params; all: every field.")]),
]  # fmt: skip


def listing(func):
    """Give a listing command the shared output options, handed to it as ``out``."""
    own = [p for p in inspect.signature(func, eval_str=True).parameters.values() if p.name != "out"]
    names = [p.name for p in _OUTPUT_OPTIONS]

    @functools.wraps(func)
    def command(**kwargs):
        from llmtrack.cli.session import output_format

        out = OutputSpec(**{name: kwargs.pop(name) for name in names})
        out = out._replace(fmt=output_format(out.fmt, out.output, FORMATS))
        return func(out=out, **kwargs)

    command.__signature__ = inspect.Signature([*own, *_OUTPUT_OPTIONS])  # type: ignore[attr-defined]
    return command


def section_option(help_text: str) -> typer.models.OptionInfo:
    return choice_option("--section", values=SECTIONS, before=f"{help_text}: ")


OrgOption = Annotated[
    str | None, typer.Option("--org", metavar="TEXT", help="Organisation contains this text.")
]
SinceOption = Annotated[
    str | None, typer.Option("--since", metavar="DATE", help="On or after DATE (ISO).")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", metavar="DATE", help="On or before DATE (ISO).")
]
VramOption = Annotated[
    str | None,
    typer.Option(
        "--vram", metavar="SIZE", help="Memory of one card, e.g. 24GB (GiB, as nvidia-smi counts)."
    ),
]
GpuOption = Annotated[
    str | None,
    typer.Option(
        "--gpu",
        metavar="NAME",
        help='A GPU preset by name, e.g. "RTX 4090" (see llmtrack gpus); auto: the card '
        "this machine's nvidia-smi, rocm-smi or system_profiler reports.",
        autocompletion=complete_ids("gpus"),
    ),
]
GpusOption = Annotated[
    int, typer.Option("--gpus", metavar="N", min=1, help="Number of GPUs (memory is per GPU).")
]
SeqLenOption = Annotated[
    int | None,
    typer.Option(
        "--seq-len",
        metavar="TOKENS",
        min=1,
        help="Tokens per sequence [default: context up to 2048; 512 to train].",
    ),
]
BatchOption = Annotated[
    int, typer.Option("--batch", metavar="N", min=1, help="Sequences per batch (per GPU).")
]
DETAIL_FORMATS = ("text", "json", "yaml")
DetailFormatOption = Annotated[
    str | None,
    choice_option("--format", "-f", values=DETAIL_FORMATS, after=" [default: text]."),
]


def finite_between(low: float, high: float) -> Callable[[str], float]:
    """A parser for a number from ``low`` to ``high`` that says so of nan and inf too: a
    range check alone reads nan as over the maximum (every comparison with it is false)."""

    def parse(text: str | float) -> float:
        try:
            number = float(text)
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not a number") from None
        if not (math.isfinite(number) and low <= number <= high):
            raise typer.BadParameter(
                f"{text!r} is not a number from {_plain(low)} to {_plain(high)}"
            )
        return number

    return parse


def _plain(number: float) -> str:
    return f"{int(number):,}" if number == int(number) else f"{number:g}"


# parsed only when given (the shortcut in cli/coercion.py hands back a None unparsed)
_EPOCHS = {"parser": finite_between(0.001, 10**6)}
EpochsOption = Annotated[
    float | None,
    typer.Option(
        "--epochs", metavar="N", **_EPOCHS, help="Passes over the training data [default: 1]."
    ),
]
# reproduce: None runs as many epochs as the project did
ProjectEpochsOption = Annotated[
    float | None,
    typer.Option(
        "--epochs",
        metavar="N",
        **_EPOCHS,
        help="Passes over the data [default: as many as the project ran, else 1].",
    ),
]
UsdPerHourOption = Annotated[
    str | None,
    typer.Option(
        "--usd-per-hour", metavar="USD", help="Price of a GPU-hour [default: the preset's]."
    ),
]
