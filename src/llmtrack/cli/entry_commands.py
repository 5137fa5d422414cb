"""Finding and reading entries: search, show, compare and export."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtrack.catalog.schema import SECTIONS
from llmtrack.cli import session
from llmtrack.cli.options import (
    DETAIL_FORMATS,
    DetailFormatOption,
    ForceOption,
    OutputOption,
    choice_option,
    complete_ids,
    listing,
    section_option,
)
from llmtrack.errors import UsageError
from llmtrack.output.compare import COMPARE_FORMATS
from llmtrack.output.export import EXPORT_FORMATS
from llmtrack.output.listing import OutputSpec

_MOST_WORDS = 32  # every word must match: a longer query finds nothing, slowly


@listing
def search_command(
    query: Annotated[str, typer.Argument(help="Words to find; every one must occur in the entry.")],
    section: Annotated[list[str] | None, section_option("Only this section (repeatable)")] = None,
    *,
    out: OutputSpec,
) -> None:
    """Search every text field of every section: names, orgs, data, notes, corrections,
    titles and authors. Ranked, with the field that matched. When nothing holds the words,
    a misspelt word is corrected to one the catalog holds, or close names are shown, and
    stderr says it is a guess.

    Examples:

      llmtrack search chinese

      llmtrack search sharegpt --section projects --format json
    """
    from llmtrack.choices import choose_section
    from llmtrack.output.listing import emit
    from llmtrack.output.listings import search_listing
    from llmtrack.textsearch import search

    if not query.strip():
        raise UsageError("search needs a word to find, e.g. llmtrack search sharegpt")
    if len(query.split()) > _MOST_WORDS:
        raise UsageError(f"search takes at most {_MOST_WORDS} words; every one must match")
    sections = [choose_section(name) for name in section] if section else None
    found = search(session.load(), query, sections)
    if found.note:
        session.note(found.note)
    emit(search_listing(found.hits), out, session.current().env)


def show(
    name: Annotated[
        str,
        typer.Argument(
            help="Any id or name: vicuna, 'LLaMA 7B', rtx-4090, lora-paper, ...",
            autocompletion=complete_ids(),
        ),
    ],
    fmt: DetailFormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    everything: Annotated[
        bool, typer.Option("--all", help="Also the empty fields, as unknown (text only).")
    ] = False,
) -> None:
    """Show one entry: the fields it has a value for, what it links to, for a base model
    its memory at a glance, then notes, corrections and sources.

    Examples:

      llmtrack show vicuna

      llmtrack show phoenix --all

      llmtrack show "LLaMA 7B" --format json

      llmtrack show vicuna -o vicuna.yaml
    """
    from llmtrack.match import find
    from llmtrack.output.detail import detail_record, render_detail
    from llmtrack.output.write import output_env, write_detail

    fmt = session.output_format(fmt, output, DETAIL_FORMATS, "text")
    env = output_env(session.current().env, output)
    catalog = session.load()
    entry, resolution = find(catalog, name)
    if resolution.note:
        session.note(resolution.note)
    if resolution.base:
        session.note(f"{entry.name} on {catalog.get(resolution.base).name}")
    write_detail(
        fmt,
        lambda: render_detail(entry, catalog, env, everything),
        lambda: detail_record(entry, catalog),
        output,
        force,
        env,
    )


def compare(
    names: Annotated[
        list[str],
        typer.Argument(help="Two or more entries of one section.", autocompletion=complete_ids()),
    ],
    fmt: Annotated[
        str | None,
        choice_option(
            "--format", "-f", values=COMPARE_FORMATS, after=" [default: table on a terminal]."
        ),
    ] = None,
    output: OutputOption = None,
    force: ForceOption = False,
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            metavar="LIST",
            help="Comma-separated fields to compare, e.g. org,methods; all: every field "
            "[default: those any of the entries has a value for].",
        ),
    ] = None,
    long: Annotated[
        bool, typer.Option("--long", help="Long text whole, not cut to one line (table).")
    ] = False,
) -> None:
    """Compare entries side by side: one row per field any of them has a value for,
    differences highlighted.

    Examples:

      llmtrack compare alpaca vicuna koala

      llmtrack compare alpaca vicuna --fields org,methods,cost.total_usd

      llmtrack compare llama-7b pythia-6.9b --format markdown
    """
    from llmtrack.output.compare import comparison, render_comparison
    from llmtrack.output.write import output_env, write_output

    if len(names) < 2:
        raise UsageError("compare needs at least two names")
    env = session.current().env
    fmt = session.output_format(fmt, output, COMPARE_FORMATS)
    env = output_env(env, output)
    catalog = session.load()
    entries = [catalog.get(session.resolve(catalog, name, "name")) for name in names]
    rows = comparison(entries, fields)
    paged = env if fmt == "table" else None
    write_output(render_comparison(fmt, entries, rows, env, long), output, force, paged)


def export(
    fmt: Annotated[
        str | None,
        choice_option(
            "--format",
            "-f",
            values=EXPORT_FORMATS,
            after=" (markdown: the awesome list; sqlite: a database, one table per section); "
            "default: json, or what -o FILE's extension says.",
        ),
    ] = None,
    section: Annotated[list[str] | None, section_option("Only this section (repeatable)")] = None,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Export the whole catalog: JSON or YAML that loads back as a catalog, Markdown that
    rebuilds the awesome list from the data, or an SQLite database to query.

    Examples:

      llmtrack export --format json -o catalog.json

      llmtrack export --format markdown --section projects -o model-spec.md

      llmtrack export -o llmtrack.db && sqlite3 llmtrack.db 'select * from projects__base_models'

      llmtrack export --format csv -o catalog/      # one file per section
    """
    import os

    from llmtrack.choices import choose_section
    from llmtrack.output.export import export_text
    from llmtrack.output.write import write_output

    sections = [choose_section(name) for name in section] if section else SECTIONS
    # several sections of CSV are a folder of files: a wrongly named -o is told to name one
    folder = {"csv": os.path.splitext(output)[0] + os.sep} if output and len(sections) > 1 else {}
    # --format, else -o's extension, else the remembered format, else JSON
    fmt = session.output_format(fmt, output, EXPORT_FORMATS, "json", suggest=folder)
    if fmt == "sqlite":
        from llmtrack.output.sqlite_export import sqlite_bytes
        from llmtrack.output.write import to_stdout

        if to_stdout(output) and session.current().env.is_terminal:
            raise UsageError(
                "an SQLite database is binary: write it with -o FILE (e.g. -o llmtrack.db)"
            )
        write_output(sqlite_bytes(session.load(), sections), output, force)
        return
    if fmt == "csv" and len(sections) > 1:
        _csv_folder(sections, output, force)
        return
    write_output(export_text(session.load(), fmt, sections), output, force)


def _csv_folder(sections, output: str | None, force: bool) -> None:
    """One CSV file per section, ``SECTION.csv``, into the folder ``-o`` names (made if it
    is missing; its parent must exist)."""
    import os

    from llmtrack.errors import OutputError
    from llmtrack.output.export import section_csv
    from llmtrack.output.write import to_stdout, write_output

    if to_stdout(output) or output is None or output.lower().endswith(".csv"):
        raise UsageError(
            "CSV holds one section: give --section NAME, or -o FOLDER for a file per section"
        )
    targets = [os.path.join(output, f"{section}.csv") for section in sections]
    if not force:  # refuse before writing any, so a folder is never left half replaced
        for target in targets:
            if os.path.lexists(target):
                raise OutputError(f"{target} already exists; use --force to overwrite it")
    if not os.path.isdir(output):
        if os.path.lexists(output):
            raise OutputError(
                f"cannot write {output}: not a folder (CSV writes a file per section)"
            )
        try:
            os.mkdir(output)
        except OSError as exc:
            raise OutputError(f"cannot make folder {output}: {exc.strerror or exc}") from None
    catalog = session.load()
    for section, target in zip(sections, targets, strict=True):
        write_output(section_csv(catalog, section), target, force)
    session.note(f"wrote {len(sections)} CSV files into {output}")
