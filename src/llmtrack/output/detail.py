"""The `show` view: every field of one entry, what it links to, its corrections and sources."""

from __future__ import annotations

from typing import Any

from llmtrack.catalog import rows as records
from llmtrack.catalog import schema
from llmtrack.catalog.sections import SECTIONS
from llmtrack.catalog.store import Catalog
from llmtrack.output.env import Env, console
from llmtrack.output.formats import human_cell
from llmtrack.output.safe_text import safe_text

# Shown in their own blocks below the fields, not in the field list.
_OWN_BLOCKS = ("id", "name", "notes", "corrections", "sources")


def detail_record(entry: schema.Entry, catalog: Catalog) -> dict[str, Any]:
    """What `show --format json` prints: the full record, its section and derived links."""
    data = records.to_dict(entry)
    data["section"] = entry.section
    data.update(records.related(entry, catalog))
    return data


def render_detail(entry: schema.Entry, catalog: Catalog, env: Env) -> str:
    """The text for a person; catalog text goes through ``_inert`` (controls shown as
    escapes, markup as written), or ``human_cell``, which does the same for a cell."""
    from rich.markup import escape
    from rich.table import Table

    out = console(env)
    title = SECTIONS[entry.section].singular
    out.print(
        f"[bold]{_inert(entry.name)}[/bold]  [cyan]{_inert(entry.id)}[/cyan]  [dim]{title}[/dim]"
    )

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    data = records.to_dict(entry)
    not_applicable = _features(type(entry))
    for key, value in _field_lines(data):
        if key.split(".")[0].split("[")[0] in _OWN_BLOCKS:
            continue
        if value is None and key in not_applicable:
            continue  # a feature the model does not have, not an unknown
        shown = (
            "[dim]unknown[/dim]" if value is None or value == [] else escape(human_cell(key, value))
        )
        grid.add_row(key, shown)
    for key, value in records.related(entry, catalog).items():
        if isinstance(value, list):
            shown = _inert(", ".join(value)) if value else "[dim]none[/dim]"
        else:
            shown = _inert(value) if value else "[dim]unknown[/dim]"
        grid.add_row(key.replace("_", " "), shown)
    out.print(grid)

    if entry.notes:
        out.print("\n[bold]Notes[/bold]")
        out.print(_inert(entry.notes, keep_lines=True))
    if entry.corrections:
        out.print("\n[bold]Corrections to the awesome list[/bold]")
        for correction in entry.corrections:
            out.print(f"- list said: {_inert(correction.claim)}")
            out.print(f"  source says: {_inert(correction.fact)}")
            out.print(f"  [dim]{_inert(correction.source)}[/dim]", soft_wrap=True)
    out.print("\n[bold]Sources[/bold]")
    for number, url in enumerate(entry.sources, 1):
        out.print(f"{number}. {_inert(url)}", soft_wrap=True)  # a wrapped URL cannot be clicked
    return out.file.getvalue()


def _inert(text: str, keep_lines: bool = False) -> str:
    """Catalog text as rich markup that shows it as written and cannot drive the terminal."""
    from rich.markup import escape

    return escape(safe_text(text, keep_lines=keep_lines))


def _field_lines(data: dict, prefix: str = ""):
    """(dotted key, value) pairs; a list of records becomes one numbered key per item."""
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _field_lines(value, f"{name}.")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for number, item in enumerate(value, 1):
                yield from _field_lines(item, f"{name}[{number}].")
        else:
            yield name, value


def _features(cls: type, prefix: str = "") -> frozenset[str]:
    """Dotted keys of the fields whose null means the model lacks the feature (no sliding
    window, no experts), where "unknown" would mislead: the schema marks them."""
    import typing

    found = set()
    hints = typing.get_type_hints(cls)
    for f in schema.fields_of(cls):
        if f.metadata.get("feature"):
            found.add(f"{prefix}{f.name}")
        nested = [t for t in typing.get_args(hints[f.name]) if isinstance(t, type)]
        record = next((t for t in nested if issubclass(t, schema.Record)), None)
        if record is not None:
            found |= _features(record, f"{prefix}{f.name}.")
    return frozenset(found)
