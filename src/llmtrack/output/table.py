"""The terminal table: rich, fitted to the width, colour as the environment allows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from llmtrack.output.env import Env, console
from llmtrack.output.formats import human_cell, human_number
from llmtrack.output.safe_text import safe_text

# Cells up to this wide are never wrapped in a table (ids, dates, numbers).
_SHORT_CELL = 12
# Longer cells wrap; a table needs about this much room per column to read well.
_WRAP_AT = 16
_BAR_MIN, _BAR_MAX = 10, 80  # a bar chart's longest bar, however narrow or wide the room
# A wrapping column is never narrower than its longest word up to this long, so a word is
# never folded ("parameter-efficien|t"); a longer one (a URL) folds rather than take a row.
_WORD_FLOOR_MOST = 30


def render_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    env: Env,
    title: str | None = None,
    highlights: Sequence[tuple[str, int, int] | None] | None = None,
    kept: Sequence[str] = ("id",),
    bars: Mapping[str, str] | None = None,
) -> str:
    """A rich table that fits the terminal: columns drop from the right until the rest read
    well, except the ``kept`` ones (id, name, verdict), and a dim line below says what was
    hidden and how to see it. Numbers are right-aligned with one count of decimals per
    column; a list wraps between its items, never inside one.
    A column of ``bars`` (bar column -> the number it draws) is a bar chart sized to the
    room the other columns leave. Cells are made safe by ``human_cell`` (no control
    characters), and the title here (as Text, so a "[" in a GPU's name is not read as
    markup)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    numeric = {c for c in columns if _is_numeric(row.get(c) for row in rows)}
    cells = {c: _column_cells(c, rows, c in numeric) for c in columns}
    longest = {c: max((_widest(t) for t in cells[c]), default=0) for c in columns}
    # a column that never wraps (the id, numbers, short values) needs its longest cell
    whole = {c for c in columns if c in kept[:1] or c in numeric or longest[c] <= _SHORT_CELL}
    wanted = {
        c: max(
            min(len(c), _SHORT_CELL),
            longest[c] if c in whole else min(longest[c], _WRAP_AT),
            _longest_item(c, rows),
        )
        for c in columns
    }
    for c in columns:  # a column that wraps wraps between words, never inside one
        if c not in whole:
            word = max((_longest_word(t) for t in cells[c]), default=0)
            wanted[c] = max(wanted[c], min(word, _WORD_FLOOR_MOST))
    bars = {c: source for c, source in (bars or {}).items() if c in columns}
    for c in bars:
        whole.add(c)
        wanted[c] = max(len(c), _BAR_MIN)
    shown = _fitting(list(columns), wanted, env.width, kept)
    room = env.width - sum(wanted[c] + 1 for c in shown if c not in bars)
    for c in bars:
        wanted[c] = max(min(room, _BAR_MAX), wanted[c])
        cells[c] = _bars([row.get(bars[c]) for row in rows], wanted[c])
    # the room left goes to the wrapping columns' text first, then to whole headers; every
    # column then has an exact width: rich, left to size them, squeezed a list below its
    # longest item and cut the comma after it
    spare = env.width - sum(wanted[c] + 1 for c in shown)
    flexible = [c for c in shown if c not in whole]
    while spare > 0 and any(wanted[c] < longest[c] for c in flexible):
        for c in flexible:  # a character each in turn: no column takes all the room
            if spare > 0 and wanted[c] < longest[c]:
                wanted[c] += 1
                spare -= 1
    for c in shown:
        if c in whole and spare > 0 and len(c) > wanted[c]:
            grown = min(len(c), wanted[c] + spare)
            spare -= grown - wanted[c]
            wanted[c] = grown
    # no cell padding (a space between columns comes from the box): padding wraps every cell
    # in another renderable, which costs a third of the rendering time
    table = Table(
        title=Text(safe_text(title, keep_lines=False)) if title else None,
        box=box.SIMPLE_HEAD,
        header_style="bold",
        title_justify="left",
        padding=0,
        show_edge=False,
    )
    for column in shown:
        table.add_column(
            column,
            no_wrap=column in whole,
            overflow="ellipsis" if column in whole else "fold",
            # a whole column is as wide as its longest cell (a longer header is cut short)
            width=wanted[column],
            justify="right" if column in numeric else "left",
            style="cyan" if column == "id" else None,
        )
    for n in range(len(rows)):
        # Text, not markup: a "[bold]" in the data is shown, not obeyed
        line = [Text(cells[c][n]) for c in shown]
        mark = highlights[n] if highlights else None
        if mark and mark[0] in shown:
            line[shown.index(mark[0])].stylize("bold yellow", *_moved(rows[n].get(mark[0]), mark))
        table.add_row(*line)
    out = console(env)
    out.print(table)
    hidden = [c for c in columns if c not in shown]
    if hidden:
        out.print(Text(hidden_line(hidden), style="dim"))
    return out.file.getvalue()


def _bars(values: Sequence[Any], size: int) -> list[str]:
    """A bar per value, the largest ``size`` long; a zero is no bar, anything else one at least."""
    numbers = [v if isinstance(v, int | float) and v > 0 else 0 for v in values]
    top = max(numbers, default=0) or 1
    return ["█" * max(1, round(v * size / top)) if v else "" for v in numbers]


def hidden_line(hidden: Sequence[str]) -> str:
    count = f"{len(hidden)} column{'s' if len(hidden) > 1 else ''}"
    return f"{count} hidden to fit: {', '.join(hidden)} (--fields to pick, --format tsv for all)"


def _fitting(columns: list[str], wanted: dict[str, int], width: int, kept: Sequence[str]):
    """The columns that fit, dropping from the right any that is not kept."""
    shown = list(columns)
    while sum(wanted[c] + 1 for c in shown) > width:
        droppable = [c for c in shown if c not in kept]
        if not droppable or len(shown) <= 2:
            break
        shown.remove(droppable[-1])
    return shown


def _is_numeric(values: Iterable[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in present
    )


def _column_cells(column: str, rows: Sequence[dict[str, Any]], numeric: bool) -> list[str]:
    """The column's cells as shown: floats with the column's count of decimals (up to 2, as
    many as its values have); the rest as ``human_cell`` writes them."""
    if numeric and not human_number(column):
        values = [row.get(column) for row in rows]
        places = max((_decimals(v) for v in values if isinstance(v, float)), default=0)
        return ["-" if v is None else f"{v:,.{places}f}" if places else _whole(v) for v in values]
    return [human_cell(column, row.get(column), row) for row in rows]


def _longest_item(column: str, rows: Sequence[dict[str, Any]]) -> int:
    """The longest item of the column's lists, with its comma: the column is never narrower,
    so a list wraps between items and never breaks one (',' starting a line)."""
    lengths = [
        len(human_cell(column, [item], row)) + 1
        for row in rows
        if isinstance(row.get(column), list | tuple)
        for item in row[column]
    ]
    return max(lengths, default=0)


def _decimals(value: float) -> int:
    text = f"{value:.2f}".rstrip("0")
    return len(text.partition(".")[2])


def _whole(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) else str(value)


def _longest_word(text: str) -> int:
    return max(map(len, text.split()), default=0)


def _widest(text: str) -> int:
    return max(map(len, text.split("\n")))


def _moved(value: Any, mark: tuple[str, int, int]) -> tuple[int, int]:
    """A highlight's span in the raw text, moved to where it is in the safe cell: an escape
    (``\\x1b``) before it is longer than the character it shows."""
    if not isinstance(value, str):
        return mark[1], mark[2]
    text = " ".join(value.split())
    return (
        len(safe_text(text[: mark[1]], keep_lines=False)),
        len(safe_text(text[: mark[2]], keep_lines=False)),
    )
