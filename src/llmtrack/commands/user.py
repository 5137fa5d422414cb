"""Your own catalog files: sources, validate, schema and new."""

import json
import os
from typing import Annotated

import typer

from llmtrack.cli import (
    OutputSpec,
    _catalog,
    _choice,
    _emit_rows,
    _note,
    _settings,
    app,
    listing,
)


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
