"""The one listing contract: every listing command builds a ``Listing`` and ``emit`` sorts,
limits, picks fields, renders and writes it. Nothing else turns rows into output."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Any, NamedTuple

from llmtrack.catalog.rows import Row
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.output.env import Env
from llmtrack.output.write import note

Highlight = tuple[str, int, int]  # column, start, end: shown in bold on a terminal


class OutputSpec(NamedTuple):
    """What the user asked to be done with a listing's rows."""

    fmt: str | None = None
    output: str | None = None
    force: bool = False
    sort: Sequence[str] | None = None
    limit: int | None = None
    fields: str | None = None


@lazy_dataclass()
class Listing:
    """Rows, and how to show them.

    ``fields`` gives the names --fields and --sort accept (a function: they are worked out
    only when asked for); ``table_columns`` are the terminal table's default columns and
    ``plain_columns`` every other format's; ``noun`` says what the rows are ("No projects
    match."); ``highlight`` marks a span of one cell of a row."""

    rows: list[Row]
    fields: Callable[[], Sequence[str]]
    table_columns: Sequence[str]
    plain_columns: Sequence[str]
    noun: str
    title: str | None = None
    highlight: Callable[[Row], Highlight | None] | None = None
    notes: list[str] = field(default_factory=list)  # said on stderr, before the rows
    kept: Sequence[str] = ("id",)  # table columns never dropped to fit the terminal
    bars: dict[str, str] = field(default_factory=dict)  # a bar column -> the number it draws
    # why a field may be empty in every row, said when a --sort by it can order nothing
    empty_because: dict[str, str] = field(default_factory=dict)


def emit(listing: Listing, out: OutputSpec, env: Env) -> None:
    from llmtrack import query
    from llmtrack.output.formats import FORMATS, check_format, default_format, render
    from llmtrack.output.write import file_format, output_env, write_output

    # into a file: the format its extension names, else TSV; never the terminal's table
    fmt = check_format(out.fmt or file_format(out.output, FORMATS, "tsv") or default_format(env))
    env = output_env(env, out.output)
    if out.fields:
        chosen = query.parse_fields(out.fields, listing.fields())
    else:
        chosen = list(listing.table_columns if fmt == "table" else listing.plain_columns)
    sort_keys = [query.SortKey.parse(spec, listing.fields()) for spec in out.sort or ()]
    rows = query.shape(listing.rows, sort_keys, out.limit)
    for message in listing.notes:
        note(message)
    for key in sort_keys:  # a sort that cannot order anything is said, not silently a no-op
        if listing.rows and all(query.missing(row.flat.get(key.field)) for row in listing.rows):
            why = listing.empty_because.get(key.field)
            hint = f" ({why})" if why else ""
            note(f"no row has {key.field}, so --sort {key.field} orders nothing{hint}")
    if listing.title and fmt != "table":  # a table shows it as its title: said once
        note(listing.title)
    if not rows:
        note(f"No {listing.noun} match.")
    # JSON and YAML keep the whole nested record unless the user picked fields
    nested = None if out.fields else [row.record for row in rows]
    marks = [listing.highlight(row) for row in rows] if listing.highlight else None
    flat: list[dict[str, Any]] = [row.flat for row in rows]
    text = render(
        fmt,
        flat,
        chosen,
        nested,
        listing.title,
        marks,
        env,
        kept=[c for c in listing.kept if c in chosen],
        bars=listing.bars,
    )
    write_output(text, out.output, out.force, env if fmt == "table" else None)
