"""Entries of one section side by side: one row per field, the differences marked."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llmtrack.catalog import schema
from llmtrack.catalog.rows import flatten, to_dict
from llmtrack.catalog.sections import SECTIONS
from llmtrack.errors import LlmtrackError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.output.env import Env, console

COMPARE_FORMATS = ("table", "tsv", "json", "markdown")


@lazy_dataclass(frozen=True)
class FieldRow:
    field: str
    values: tuple[Any, ...]

    @property
    def differs(self) -> bool:
        return any(value != self.values[0] for value in self.values[1:])


def comparison(entries: Sequence[schema.Entry], fields: str | None = None) -> list[FieldRow]:
    """The fields of the entries, in schema order, with each entry's value: those any of
    them has a value for, or the ``fields`` asked for ('id,org', 'all': every one)."""
    sections = {entry.section for entry in entries}
    if len(sections) > 1:
        kinds = ", ".join(f"{e.id} ({SECTIONS[e.section].singular})" for e in entries)
        raise LlmtrackError(f"compare needs entries of one section; got {kinds}")
    flats = [flatten(to_dict(entry)) for entry in entries]
    keys: list[str] = []
    for flat in flats:
        keys += [key for key in flat if key not in keys]
    rows = {key: FieldRow(key, tuple(flat.get(key) for flat in flats)) for key in keys}
    if fields:
        from llmtrack.query import parse_fields

        return [rows[key] for key in parse_fields(fields, keys)]
    return [row for row in rows.values() if any(v not in (None, []) for v in row.values)]


def render_comparison(
    fmt: str,
    entries: Sequence[schema.Entry],
    rows: Sequence[FieldRow],
    env: Env,
    long: bool = False,
) -> str:
    from llmtrack.output.formats import human_cell, markdown_cell, plain_cell

    ids = [entry.id for entry in entries]
    if fmt == "json":
        data = {
            "section": entries[0].section,
            "entries": ids,
            "fields": [
                {
                    "field": r.field,
                    "values": dict(zip(ids, r.values, strict=True)),
                    "differs": r.differs,
                }
                for r in rows
            ],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "tsv":
        lines = ["\t".join(["field", *ids, "differs"])]
        for r in rows:
            cells = [plain_cell(r.field), *(plain_cell(v) for v in r.values)]
            cells.append("yes" if r.differs else "")
            lines.append("\t".join(cells))
        return "\n".join(lines) + "\n"
    if fmt == "markdown":
        heads = [markdown_cell(plain_cell(entry_id)) for entry_id in ids]
        lines = ["| field | " + " | ".join(heads) + " |", "|---|" + "---|" * len(ids)]
        for r in rows:
            field = markdown_cell(plain_cell(r.field))
            name = f"**{field}**" if r.differs else field
            cells = [markdown_cell(human_cell(r.field, v)) for v in r.values]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
    return _table(ids, rows, env, long)


def _table(ids: Sequence[str], rows: Sequence[FieldRow], env: Env, long: bool) -> str:
    """Cells are Text, not markup, and made safe by ``human_cell``/``plain_cell``: nothing
    in an entry can drive the terminal or be read as rich markup. Prose is cut to one line
    unless ``long``: three projects' notes side by side were hundreds of lines."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from llmtrack.output.formats import human_cell, plain_cell

    # without colour a differing field is marked with a "*" (its bold yellow is the mark
    # with colour): a note that says "highlighted" over nothing highlighted misleads
    mark = "" if env.colour else "* "
    names = [("" if not mark else mark if r.differs else "  ") + plain_cell(r.field) for r in rows]
    field_width = max((len(name) for name in names), default=5)
    # every entry column gets the same exact width, so a cell cut to fit it is never folded
    # by rich ("text-davinci-00|3"); a word longer than it is cut with an ellipsis
    room = max((env.width - field_width) // max(len(ids), 1) - 1, 8)
    # one space between columns, from the box; no padding and no edges, so the widths add up
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", padding=0, show_edge=False)
    table.add_column("field", no_wrap=True, width=field_width)
    for entry_id in ids:
        table.add_column(Text(plain_cell(entry_id)), width=room, overflow="ellipsis")
    cut = False
    for r, name in zip(rows, names, strict=True):
        style = "bold yellow" if r.differs else None
        cells = [Text(name)]
        for value in r.values:
            text = human_cell(r.field, value)
            if isinstance(value, list) and len(value) > 1 and len(text) > room:
                text = "\n".join(human_cell(r.field, [item]) for item in value)  # an item a line
            if long:  # whole: prose wraps at spaces; only a word wider than the column folds
                cells.append(Text(text, overflow="fold"))
                continue
            cut = cut or any(len(line) > room for line in text.split("\n"))
            cells.append(Text(text, no_wrap=True, overflow="ellipsis"))
        table.add_row(*cells, style=style)
    out = console(env)
    out.print(table)
    if not any(r.differs for r in rows):
        out.print(Text("no field differs", style="dim"))
    else:
        said = "* marks the fields that differ" if mark else "highlighted: fields that differ"
        out.print(Text(said, style="dim"))
    if cut:
        out.print(Text("long text cut to one line (--long shows it whole)", style="dim"))
    return out.file.getvalue()
