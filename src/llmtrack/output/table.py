"""The terminal table: rich, fitted to the width, colour as the environment allows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmtrack.output.env import Env, console
from llmtrack.output.formats import human_cell
from llmtrack.output.safe_text import safe_text

# Cells up to this wide are never wrapped in a table (ids, dates, numbers).
_SHORT_CELL = 12
# Longer cells wrap; a table needs about this much room per column to read well.
_WRAP_AT = 16


def render_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    env: Env,
    title: str | None = None,
    highlights: Sequence[tuple[str, int, int] | None] | None = None,
) -> str:
    """A rich table that fits the terminal: columns drop from the right until the rest read
    well, the id never wraps, and short values (dates, numbers) stay on one line. Cells are
    made safe by ``human_cell`` (no control characters), and the title here (as Text, so a
    "[" in a GPU's name is not read as markup)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    width = env.width
    cells = {c: [human_cell(c, row.get(c), row) for row in rows] for c in columns}
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
        title=Text(safe_text(title, keep_lines=False)) if title else None,
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
            line[shown.index(mark[0])].stylize("bold yellow", *_moved(rows[n].get(mark[0]), mark))
        table.add_row(*line)
    out = console(env)
    out.print(table)
    return out.file.getvalue()


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
