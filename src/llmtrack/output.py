"""Renderers (table, tsv, csv, json, jsonl, yaml, markdown) and safe writing of the result."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llmtrack.errors import OutputError, UsageError
from llmtrack.units import format_params, format_usd

FORMATS = ("table", "tsv", "csv", "json", "jsonl", "yaml", "markdown")

# Cells up to this wide are never wrapped in a table (ids, dates, numbers).
_SHORT_CELL = 12
# Longer cells wrap; a table needs about this much room per column to read well.
_WRAP_AT = 16

# Spreadsheets run cells that start with these as formulas.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def default_format(stream=None) -> str:
    """A rich table for a person at a terminal, TSV for a pipe (as gh does)."""
    stream = stream or sys.stdout
    return "table" if stream.isatty() else "tsv"


def check_format(fmt: str, allowed: Sequence[str] = FORMATS) -> str:
    if fmt not in allowed:
        raise UsageError(f"unknown format {fmt!r}; choose one of: {', '.join(allowed)}")
    return fmt


# --- cell text -----------------------------------------------------------------


def plain_cell(value: Any) -> str:
    """Machine formats: nothing hidden, lists joined with ';', no tabs or newlines."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value == int(value):
        value = int(value)
    if isinstance(value, (list, tuple)):
        return ";".join(plain_cell(item) for item in value)
    return " ".join(str(value).split())


def human_cell(key: str, value: Any) -> str:
    """Tables for people: 6.74B, $600, lists with commas."""
    if value is None or value == []:
        return "-"
    leaf = key.rsplit(".", 1)[-1]
    if leaf in ("params", "active_params", "training_tokens"):
        return format_params(value)
    if leaf.endswith("usd") or leaf == "usd_per_hour":
        return format_usd(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain_cell(item) for item in value)
    return plain_cell(value)


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
            return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if fmt == "jsonl":
            return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in data)
        return to_yaml(data)
    if fmt == "tsv":
        lines = ["\t".join(columns)]
        lines += ["\t".join(_spreadsheet_cell(row.get(c)) for c in columns) for row in rows]
        return "\n".join(lines) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(_spreadsheet_cell(row.get(c)) for c in columns)
        return buffer.getvalue()
    if fmt == "markdown":
        escape = lambda text: text.replace("|", "\\|")  # noqa: E731
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += [
            "| " + " | ".join(escape(human_cell(c, row.get(c))) for c in columns) + " |"
            for row in rows
        ]
        return "\n".join(lines) + "\n"
    if fmt == "table":
        return render_table(rows, columns, title, highlights)
    raise UsageError(f"unknown format {fmt!r}")


def _spreadsheet_cell(value: Any) -> str:
    """A TSV/CSV cell: text defused against formulas, numbers left as they are."""
    cell = plain_cell(value)
    return cell if isinstance(value, (int, float)) else _defused(cell)


def to_yaml(data: Any) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.sort_base_mapping_type_on_output = False
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def console(stream=None, width: int | None = None):
    from rich.console import Console

    return Console(
        file=stream or io.StringIO(),
        width=width or _terminal_width(),
        highlight=False,
        soft_wrap=False,
        emoji=False,
    )


def _terminal_width() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        try:
            return os.get_terminal_size(sys.stdout.fileno()).columns
        except (OSError, ValueError, AttributeError):
            return 100


def render_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    title: str | None = None,
    highlights: Sequence[tuple[str, int, int] | None] | None = None,
) -> str:
    """A rich table that fits the terminal: columns drop from the right until the rest read
    well, the id never wraps, and short values (dates, numbers) stay on one line."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    width = _terminal_width()
    cells = {c: [human_cell(c, row.get(c)) for row in rows] for c in columns}
    wanted = {
        c: max(min(len(c), _SHORT_CELL), *(min(len(text), _WRAP_AT) for text in cells[c]))
        for c in columns
    }
    shown = list(columns)
    while len(shown) > 2 and sum(wanted[c] + 1 for c in shown) > width:
        shown.pop()
    # no cell padding (a space between columns comes from the box): padding wraps every cell
    # in another renderable, which costs a third of the rendering time
    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        header_style="bold",
        title_justify="left",
        padding=0,
        show_edge=False,
    )
    for column in shown:
        short = column == "id" or max((len(t) for t in cells[column]), default=0) <= _SHORT_CELL
        table.add_column(
            column,
            no_wrap=short,
            overflow="ellipsis" if short else "fold",
            min_width=min(len(column), _SHORT_CELL),
            style="cyan" if column == "id" else None,
        )
    for n in range(len(rows)):
        # Text, not markup: a "[bold]" in the data is shown, not obeyed
        line = [Text(cells[c][n]) for c in shown]
        mark = highlights[n] if highlights else None
        if mark and mark[0] in shown:
            line[shown.index(mark[0])].stylize("bold yellow", mark[1], mark[2])
        table.add_row(*line)
    out = console(io.StringIO(), width)
    out.force_terminal = sys.stdout.isatty()
    out.print(table)
    return out.file.getvalue()


# --- writing -------------------------------------------------------------------


def write_output(text: str, output: str | None, force: bool = False) -> None:
    """Print to stdout, or write ``output`` atomically; an existing file needs ``force``.

    A regular file is written to a temporary file beside it and renamed over it, so a
    failure leaves any existing file as it was. A device or pipe (``/dev/null``, a FIFO)
    is written to directly: renaming over one would replace it."""
    if output in (None, "-"):
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # a full disk, a closed terminal
            raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None
        return
    target = Path(output)
    if target.is_dir():
        raise OutputError(f"cannot write {output}: it is a directory")
    if target.exists() and not target.is_file():
        _write_directly(target, text, output)
        return
    if target.exists() and not force:
        raise OutputError(f"{output} already exists; use --force to overwrite it")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {output}: folder {folder} does not exist")
    tmp_name = None
    try:
        with tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=folder,
            prefix=f".{target.name}.",
            suffix=".tmp",
            delete=False,
        ) as tmp:
            tmp_name = tmp.name
            tmp.write(text)
        os.replace(tmp_name, target)
    except OSError as exc:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None


def _write_directly(target: Path, text: str, output: str) -> None:
    try:
        with target.open("w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
