"""Your own catalog files and the state llmtrack keeps: sources, validate, schema, new, cache."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from llmtrack.catalog.schema import SECTIONS
from llmtrack.choices import choose, choose_section
from llmtrack.cli import session
from llmtrack.cli.options import choice_argument, choice_option, listing
from llmtrack.errors import UsageError
from llmtrack.output.listing import OutputSpec
from llmtrack.units import format_count


@listing
def sources_command(*, out: OutputSpec) -> None:
    """List the files the catalog was loaded from, in order, and what each gave; stderr says
    how far the data goes (the newest entry of each section).

    Examples:

      llmtrack sources

      llmtrack --catalog mine.yaml sources
    """
    from llmtrack.output.listing import emit
    from llmtrack.output.listings import sources_listing
    from llmtrack.timeline import reach

    catalog = session.load()
    emit(sources_listing(catalog), out, session.current().env)
    session.note(f"newest entry per section: {reach(catalog)}")


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
    from llmtrack.catalog.validation import check_files

    problems = check_files(files, over_bundled=session.current().bundled)
    for problem in problems:
        typer.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    session.note(
        f"{format_count(len(files), 'file')}: {format_count(errors, 'error')}, "
        f"{format_count(warnings, 'warning')}"
    )
    raise typer.Exit(1 if errors else 0)


def schema_command(
    section: Annotated[
        str | None,
        choice_option("--section", values=SECTIONS, before="Only this section's entries: "),
    ] = None,
) -> None:
    """Print the JSON Schema of a catalog file, for editors to check files as you type.

    Examples:

      llmtrack schema > llmtrack.schema.json

      llmtrack schema --section projects
    """
    from llmtrack.catalog.validation import json_schema

    sections = [choose_section(section)] if section else list(SECTIONS)
    typer.echo(json.dumps(json_schema(sections), indent=2))


def new_command(
    section: Annotated[
        str,
        choice_argument(values=SECTIONS),
    ],
    from_config: Annotated[
        str | None,
        typer.Option(
            "--from-config",
            metavar="FILE",
            help="base_models: fill the entry in from a config.json, a .gguf file or a "
            "Hugging Face repo id (architecture and parameter count).",
        ),
    ] = None,
) -> None:
    """Print a commented YAML template for a new entry: every field, which are required,
    units. It is a valid catalog file as printed.

    Examples:

      llmtrack new projects > my-project.yaml

      llmtrack new base_models

      llmtrack new base-model --from-config ./Qwen3-8B/config.json > qwen3-8b.yaml
    """
    from llmtrack.catalog.templates import template

    chosen = choose_section(section)
    if from_config is None:
        typer.echo(template(chosen), nl=False)
        return
    if chosen != "base_models":
        raise UsageError("--from-config fills in a base model: llmtrack new base_models ...")
    from llmtrack.external import entry_with_count

    entry, notes = entry_with_count(from_config)
    typer.echo(template(chosen, entry, notes), nl=False)


CACHE_ACTIONS = ("path", "clear")


def cache_command(
    action: Annotated[
        str,
        choice_argument(
            values=CACHE_ACTIONS, after=": where the compiled catalogs are, or remove them."
        ),
    ],
) -> None:
    """Show or clear the cache of compiled catalogs (your catalog files, compiled once so later
    runs start fast). Clearing is always safe: the next run compiles again.

    Examples:

      llmtrack cache path

      llmtrack cache clear
    """
    from llmtrack.catalog.cache import cached_files
    from llmtrack.catalog.files import cache_dir

    action = choose(action, CACHE_ACTIONS, "cache action")
    if action == "path":
        typer.echo(str(cache_dir()))
        return
    removed = 0
    for path in cached_files():
        try:
            path.unlink()
            removed += 1
        except OSError as exc:
            from llmtrack.errors import OutputError

            raise OutputError(f"cannot remove {path}: {exc.strerror or exc}") from None
    session.note(f"removed {format_count(removed, 'compiled catalog')} from {cache_dir()}")
