"""Renderers (table, tsv, csv, json, jsonl, yaml, markdown) and safe writing of the result."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from llmtrack.errors import UsageError
from llmtrack.output.safe_text import safe_text
from llmtrack.units import format_cost, format_params, format_usd

FORMATS = ("table", "tsv", "csv", "json", "jsonl", "yaml", "markdown")

# Spreadsheets run cells that start with these as formulas.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def default_format(env) -> str:
    """A rich table for a person at a terminal, TSV for a pipe (as gh does)."""
    return "table" if env.is_terminal else "tsv"


# What people also call the formats (as sqlite-utils, jq and the YAML world do).
FORMAT_ALIASES = {"md": "markdown", "yml": "yaml", "ndjson": "jsonl", "txt": "text"}


def check_format(fmt: str, allowed: Sequence[str] = FORMATS) -> str:
    """The format ``fmt`` names, in any case or by a usual other name (md, yml, ndjson)."""
    from llmtrack.choices import choose

    aliases = {k: v for k, v in FORMAT_ALIASES.items() if v in allowed}
    return choose(fmt, allowed, "format", aliases)


# --- cell text -----------------------------------------------------------------


def _single_spaced(text: str) -> bool:
    return "  " not in text and text[:1] != " " and text[-1:] != " "


def plain_cell(value: Any) -> str:
    """Machine formats: nothing hidden, lists joined with ';', no tabs or newlines, and no
    control, bidirectional or zero-width character (shown as an escape, see ``safe_text``):
    a TSV in a terminal or a pager is read by a person too."""
    if value is None:
        return ""
    if type(value) is str and value.isprintable() and _single_spaced(value):
        return value  # the common case, already as safe_text and the join would leave it
    if type(value) is int:
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value == int(value):
        value = int(value)
    if isinstance(value, (list, tuple)):
        return ";".join(plain_cell(item) for item in value)
    return safe_text(" ".join(str(value).split()), keep_lines=False)


_COUNTS = ("params", "active_params", "training_tokens")  # 6.74B


def _is_money(leaf: str) -> bool:
    return leaf.endswith("usd") or leaf == "usd_per_hour"


def human_number(key: str) -> bool:
    """Whether ``human_cell`` writes this key's numbers its own way (6.74B, $600), not as
    plain figures a table can align by their decimals."""
    leaf = key.rsplit(".", 1)[-1]
    return leaf in _COUNTS or _is_money(leaf)


def human_cell(key: str, value: Any, row: dict[str, Any] | None = None) -> str:
    """Tables for people: 6.74B, $600, lists with commas; a cost with its bound from the row
    (``cost.total_usd`` with ``cost.total_bound``: '≤$600', '~$300'). Text is made safe
    by ``plain_cell``: nothing in it can drive the terminal."""
    if value is None or value == []:
        return "-"
    leaf = key.rsplit(".", 1)[-1]
    if leaf in _COUNTS:
        return format_params(value)
    if leaf.endswith("_usd") and row is not None:
        return format_cost(value, row.get(key.removesuffix("_usd") + "_bound"))
    if _is_money(leaf):
        return format_usd(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain_cell(item) for item in value)
    return plain_cell(value)


# In a Markdown cell: pipes (the table), brackets (links, images) and backslashes escaped,
# HTML's specials as entities (no tag); emphasis is left, so ``~$300`` reads as written.
_MARKDOWN_CELL = str.maketrans(
    {"\\": "\\\\", "[": "\\[", "]": "\\]", "|": "\\|", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
)


def markdown_cell(cell: str) -> str:
    """A human cell in a Markdown table: no catalog text in it can become a tag, a link or
    another column (controls are gone already: ``human_cell`` made it safe)."""
    return cell.translate(_MARKDOWN_CELL)


def _defused(cell: str) -> str:
    """Keep a spreadsheet from reading a text cell as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_TRIGGERS) else cell


# --- renderers -----------------------------------------------------------------


def render(
    fmt: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    records: Sequence[dict[str, Any]] | None = None,
    title: str | None = None,
    highlights: Sequence[tuple[str, int, int] | None] | None = None,
    env=None,
    kept: Sequence[str] = ("id",),
    bars: dict[str, str] | None = None,
) -> str:
    """Rows (flat dicts) in the given format. JSON/YAML print ``records`` (nested) when given;
    a table marks ``highlights`` (per row: column, start, end) in bold."""
    if fmt in ("json", "jsonl", "yaml"):
        data = (
            list(records)
            if records is not None
            else [{c: row.get(c) for c in columns} for row in rows]
        )
        if fmt == "json":
            return json_array(data, indented=env is not None and env.is_terminal)
        if fmt == "jsonl":
            return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in data)
        return to_yaml(data)
    if fmt == "tsv":
        lines = ["\t".join(columns)]
        lines += ["\t".join(_spreadsheet_cell(row.get(c)) for c in columns) for row in rows]
        return "\n".join(lines) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        import csv

        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(_spreadsheet_cell(row.get(c)) for c in columns)
        return buffer.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += [
            "| " + " | ".join(markdown_cell(human_cell(c, row.get(c), row)) for c in columns) + " |"
            for row in rows
        ]
        return "\n".join(lines) + "\n"
    if fmt == "table":
        from llmtrack.output.env import Env
        from llmtrack.output.table import render_table

        return render_table(rows, columns, env or Env.detect(), title, highlights, kept, bars)
    raise UsageError(f"unknown format {fmt!r}")


def json_array(items: Sequence[Any], indented: bool) -> str:
    """A JSON array: indented for a person at a terminal; in a pipe or a file, one object
    per line, which reads as well and is written by the json module's C encoder, several
    times faster than its indenting one (a `fits` listing has hundreds of rows)."""
    if indented or not items:
        return json.dumps(list(items), indent=2, ensure_ascii=False) + "\n"
    lines = ",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in items)
    return f"[\n{lines}\n]\n"


def _spreadsheet_cell(value: Any) -> str:
    """A TSV/CSV cell: text defused against formulas, numbers left as they are."""
    cell = plain_cell(value)
    return cell if isinstance(value, (int, float)) else _defused(cell)


def to_yaml(data: Any) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()
