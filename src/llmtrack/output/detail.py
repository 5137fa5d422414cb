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


_UNWRAPPED = 100_000  # a pipe or a file: each line as long as it is, never wrapped or padded
_KEY_COLUMN_MAX = 28  # a longer key pushes its value to the right of the column


def render_detail(entry: schema.Entry, catalog: Catalog, env: Env, everything: bool = False) -> str:
    """The text for a person: the fields that have a value (``everything``: the empty ones
    too, as unknown), what the entry links to, a base model's memory at a glance, then notes,
    corrections and sources. On a terminal values wrap at spaces and URLs are links, never
    broken; in a pipe or a file nothing wraps and no line is padded. Catalog text goes
    through ``_inert`` or ``human_cell``: shown as written, unable to drive the terminal."""
    from rich.text import Text

    width = env.width if env.is_terminal else None
    out = console(env, width=width or _UNWRAPPED)
    title = SECTIONS[entry.section].singular
    out.print(
        f"[bold]{_inert(entry.name)}[/bold]  [cyan]{_inert(entry.id)}[/cyan]  [dim]{title}[/dim]"
    )
    rows, empty = _rows(entry, catalog, everything)
    column = min(max((len(key) for key, _ in rows), default=0), _KEY_COLUMN_MAX) + 2
    for key, value in rows:
        for line in _lines(key, value, column, width, env):
            out.print(line, soft_wrap=True)
    if empty and not everything:
        out.print(Text(f"{empty} empty fields hidden (--all shows them)", style="dim"))
    if isinstance(entry, schema.BaseModelEntry):
        _memory_block(out, entry)
    if entry.notes:
        out.print("\n[bold]Notes[/bold]")
        for paragraph in safe_text(entry.notes, keep_lines=True).split("\n"):
            _paragraph(out, "", paragraph, width)
    if entry.corrections:
        out.print("\n[bold]Corrections to the awesome list[/bold]")
        for correction in entry.corrections:
            _paragraph(out, "- list said: ", safe_text(correction.claim), width)
            _paragraph(out, "  source says: ", safe_text(correction.fact), width)
            out.print(Text("  ").append(_url(correction.source, env, "dim")), soft_wrap=True)
    out.print("\n[bold]Sources[/bold]")
    for number, url in enumerate(entry.sources, 1):  # a wrapped URL cannot be clicked
        out.print(Text(f"{number}. ").append(_url(url, env)), soft_wrap=True)
    return out.file.getvalue()


# a value as shown: its text and its style ("dim" for unknown), or a URL
_Value = tuple[str, str | None]


def _rows(entry: schema.Entry, catalog: Catalog, everything: bool) -> tuple[list, int]:
    """(key, value) for each field shown, and how many empty ones were left out."""
    rows: list[tuple[str, _Value]] = []
    empty = 0
    not_applicable = _features(type(entry))
    for key, value in _field_lines(records.to_dict(entry)):
        if key.split(".")[0].split("[")[0] in _OWN_BLOCKS:
            continue
        if value is None and key in not_applicable:
            continue  # a feature the model does not have, not an unknown
        if value is None or value == []:
            empty += 1
            if everything:
                rows.append((key, ("unknown", "dim")))
            continue
        rows.append((key, (human_cell(key, value), None)))
    for key, value in records.related(entry, catalog).items():
        text = ", ".join(value) if isinstance(value, list) else value
        if text:
            rows.append((key.replace("_", " "), (safe_text(text, keep_lines=False), None)))
        else:
            empty += 1
            if everything:
                rows.append(
                    (
                        key.replace("_", " "),
                        ("none" if isinstance(value, list) else "unknown", "dim"),
                    )
                )
    return rows, empty


def _lines(key: str, value: _Value, column: int, width: int | None, env: Env):
    """The key in bold and its value, wrapped at spaces to the terminal (never a URL)."""
    from rich.text import Text

    from llmtrack.output.wrapping import wrap_words

    text, style = value
    if _is_url(text):
        yield Text.assemble((_label(key, column), "bold"), _url(text, env))
        return
    room = (width - column) if width else None
    parts = wrap_words(text, room) if room and room > 20 else [text]
    yield Text.assemble((_label(key, column), "bold"), (parts[0], style or ""))
    for part in parts[1:]:
        yield Text(" " * column + part, style=style or "")


def _label(key: str, column: int) -> str:
    """The key padded to the column; a key longer than the column keeps two spaces after it."""
    return key.ljust(column) if len(key) + 2 <= column else key + "  "


def _paragraph(out, prefix: str, text: str, width: int | None) -> None:
    """Prose after a prefix, its later lines under the prose (wrapped only on a terminal)."""
    from rich.text import Text

    from llmtrack.output.wrapping import wrap_words

    lines = [prefix + text]
    if width and text:
        lines = wrap_words(text, width, " " * len(prefix), first=prefix)
    for line in lines:
        out.print(Text(line), soft_wrap=True)


def _memory_block(out, base: schema.BaseModelEntry) -> None:
    """Weights at 16, 8 and 4 bits and the KV cache per 1,000 tokens, and where to go next."""
    from rich.text import Text

    from llmtrack.memory.summary import CACHE_TOKENS, memory_summary

    summary = memory_summary(base)
    if summary is None:
        return
    weights = ", ".join(f"{name} {gib:.1f} GiB" for name, gib in summary.weights_gib.items())
    out.print("\n[bold]Memory[/bold] [dim](llmtrack's estimate)[/dim]")
    rows = [
        ("weights", weights),
        ("KV cache", f"{summary.cache_gib_per_1k:.2f} GiB per {CACHE_TOKENS:,} tokens (16-bit)"),
        ("go further", f"llmtrack estimate {base.id} --gpu NAME"),
        ("", f"llmtrack fits --model {base.id} --vram SIZE"),
    ]
    for key, text in rows:
        out.print(Text.assemble((f"{key:<12}", "bold"), safe_text(text)), soft_wrap=True)


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://")) and " " not in text


def _url(url: str, env: Env, style: str | None = None):
    """A URL as one piece of text: a link (OSC 8) on a colour terminal, never broken."""
    from rich.style import Style
    from rich.text import Text

    text = safe_text(url, keep_lines=False)
    link = url if env.colour and env.is_terminal and _is_url(url) and text == url else None
    return Text(text, style=Style.combine([Style.parse(style or "none"), Style(link=link)]))


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
