"""Finding and reading entries: search, show, compare and export."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtrack.catalog.schema import SECTIONS
from llmtrack.cli import session
from llmtrack.cli.options import (
    DETAIL_FORMATS,
    DetailFormatOption,
    choice_option,
    complete_ids,
    listing,
    section_option,
)
from llmtrack.errors import UsageError
from llmtrack.output.compare import COMPARE_FORMATS
from llmtrack.output.export import EXPORT_FORMATS
from llmtrack.output.listing import OutputSpec


@listing
def search_command(
    query: Annotated[str, typer.Argument(help="Words to find; every one must occur in the entry.")],
    section: Annotated[list[str] | None, section_option("Only this section (repeatable)")] = None,
    *,
    out: OutputSpec,
) -> None:
    """Search every text field of every section: names, orgs, data, notes, corrections,
    titles and authors. Ranked, with the field that matched.

    Examples:

      llmtrack search chinese

      llmtrack search sharegpt --section projects --format json
    """
    from llmtrack.choices import choose_section
    from llmtrack.output.listing import emit
    from llmtrack.output.listings import search_listing
    from llmtrack.textsearch import search

    sections = [choose_section(name) for name in section] if section else None
    hits = search(session.load(), query, sections)
    emit(search_listing(hits), out, session.current().env)


def show(
    name: Annotated[
        str,
        typer.Argument(
            help="Any id or name: vicuna, 'LLaMA 7B', rtx-4090, lora-paper, ...",
            autocompletion=complete_ids(),
        ),
    ],
    fmt: DetailFormatOption = None,
) -> None:
    """Show one entry: every field, what it links to, corrections and sources.

    Examples:

      llmtrack show vicuna

      llmtrack show "LLaMA 7B" --format json
    """
    from llmtrack.match import find
    from llmtrack.output.detail import detail_record, render_detail
    from llmtrack.output.formats import check_format
    from llmtrack.output.write import write_detail

    fmt = check_format(fmt or "text", DETAIL_FORMATS)
    catalog = session.load()
    entry, resolution = find(catalog, name)
    if resolution.note:
        session.note(resolution.note)
    if resolution.base:
        session.note(f"{entry.name} on {catalog.get(resolution.base).name}")
    write_detail(
        fmt,
        lambda: render_detail(entry, catalog, session.current().env),
        lambda: detail_record(entry, catalog),
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
) -> None:
    """Compare entries side by side: one row per field, differences highlighted.

    Examples:

      llmtrack compare alpaca vicuna koala

      llmtrack compare llama-7b pythia-6.9b --format markdown
    """
    from llmtrack.output.compare import comparison, render_comparison
    from llmtrack.output.formats import check_format, default_format
    from llmtrack.output.write import write_output

    if len(names) < 2:
        raise UsageError("compare needs at least two names")
    env = session.current().env
    fmt = check_format(fmt or default_format(env), COMPARE_FORMATS)
    catalog = session.load()
    entries = [catalog.get(session.resolve(catalog, name, "name")) for name in names]
    write_output(render_comparison(fmt, entries, comparison(entries), env), None)


def export(
    fmt: Annotated[
        str,
        choice_option(
            "--format", "-f", values=EXPORT_FORMATS, after=" (markdown: the awesome list)."
        ),
    ] = "json",
    section: Annotated[list[str] | None, section_option("Only this section (repeatable)")] = None,
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
    from llmtrack.choices import choose_section
    from llmtrack.output.export import export_text
    from llmtrack.output.formats import check_format
    from llmtrack.output.write import write_output

    fmt = check_format(fmt, EXPORT_FORMATS)
    sections = [choose_section(name) for name in section] if section else SECTIONS
    write_output(export_text(session.load(), fmt, sections), output, force)
