"""Help as gh prints it: plain sections (USAGE, ARGUMENTS, OPTIONS, EXAMPLES), option names
never cut, descriptions rewrapped to the terminal, ``NAME``-style value names, and every
command's examples in one style.

typer's rich help lays options out as a table whose columns share the width: at 80 columns
``--gradient-checkpointing / --no-gradient-checkpointing`` squeezed the descriptions into a
17-column strip, and it showed programmers' types (``<bool>``, ``<int range>``). Here an
option too long for the name column gets a line of its own, and below 70 columns every
description goes under its option.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from llmtrack.output.wrapping import wrap_words

INDENT = "  "
NAME_COLUMN_MAX = 28  # a longer option name gets its own line, its description below
STACKED_BELOW = 70  # on a narrower terminal every description goes under its option
MAX_WIDTH = 100  # lines longer than this are hard to read, however wide the terminal
MIN_WIDTH = 40
_EXAMPLES = re.compile(r"^\s*Examples?:\s*$", re.MULTILINE)
_DEFAULT_SAID = re.compile(r"\[default", re.IGNORECASE)

# what every command also takes (the root's options, accepted after the command too)
GLOBAL_OPTIONS = "--catalog FILE, --no-bundled, --no-pager, --debug (see llmtrack --help)"
LEARN_MORE = (
    "Use `llmtrack help COMMAND` (or `llmtrack COMMAND --help`) for a command's options "
    "and examples."
)


def help_width(width: int) -> int:
    return max(MIN_WIDTH, min(width, MAX_WIDTH))


def command_help(ctx: Any, command: Any, width: int, bold: bool) -> str:
    """One command's help."""
    width = help_width(width)
    description, examples = split_help(command.help or "")
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    arguments = [p for p in params if p.param_type_name == "argument"]
    options = [p for p in params if p.param_type_name == "option"]
    usage = " ".join([ctx.command_path, *[argument_name(a) for a in arguments], "[OPTIONS]"])
    sections: list[tuple[str | None, list[str]]] = [
        (None, paragraphs(description, width)),
        ("USAGE", [INDENT + usage]),
    ]
    if arguments:
        rows = [(argument_name(a), getattr(a, "help", None) or "") for a in arguments]
        sections.append(("ARGUMENTS", two_columns(rows, width)))
    sections.append(("OPTIONS", two_columns([option_row(o) for o in options], width)))
    sections.append(("GLOBAL OPTIONS", wrap_words(GLOBAL_OPTIONS, width, INDENT)))
    if examples:
        sections.append(("EXAMPLES", example_lines(examples, width)))
    return render(sections, bold)


def example_lines(examples: Sequence[str], width: int) -> list[str]:
    """``  $ llmtrack ...``, one per example; one too long for the terminal is continued on
    the next line with a backslash, between words (never inside quotes, never between an
    option and its value, never inside a comment), so what a person copies still runs."""
    lines: list[str] = []
    for example in examples:
        first = f"{INDENT}$ "
        if len(first) + len(example) <= width:
            lines.append(first + example)
            continue
        units = _example_units(example)
        line = first + units[0]
        for unit in units[1:]:
            if len(line) + 1 + len(unit) + 2 > width:
                lines.append(line + " \\")
                line = INDENT * 3 + unit
            else:
                line = f"{line} {unit}"
        lines.append(line)
    return lines


def _example_units(example: str) -> list[str]:
    """The words of a command line that a line break may go between."""
    import shlex

    lexer = shlex.shlex(example, posix=False)
    lexer.whitespace_split = True
    lexer.commenters = ""  # a '# comment' is kept, as one unit below
    words = list(lexer)
    units: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("#"):  # a comment runs to the end: a backslash in it would not
            units.append(" ".join(words[i:]))
            break
        following = words[i + 1] if i + 1 < len(words) else None
        if word.startswith("-") and following and not following.startswith(("-", "#", "&", "|")):
            units.append(f"{word} {following}")  # an option keeps its value
            i += 2
        else:
            units.append(word)
            i += 1
    return units


def group_help(
    ctx: Any,
    group: Any,
    headings: Mapping[str, Sequence[str]],
    width: int,
    bold: bool,
) -> str:
    """The root's help: what it is, its commands under their headings, its options."""
    width = help_width(width)
    description, examples = split_help(group.help or "")
    sections: list[tuple[str | None, list[str]]] = [
        (None, paragraphs(description, width)),
        ("USAGE", [f"{INDENT}{ctx.command_path} COMMAND [ARGS] [OPTIONS]"]),
    ]
    names = [name for names in headings.values() for name in names]
    column = max(map(len, names)) + 2
    for heading, members in headings.items():
        rows = []
        for name in members:
            command = group.get_command(ctx, name)
            if command is not None:
                summary = command.get_short_help_str(limit=max(width - column - len(INDENT), 20))
                rows.append((name, summary))
        # command names are short: a line each, its summary cut to fit, however narrow
        sections.append((heading.upper(), two_columns(rows, width, column, stack=False)))
    options = [p for p in group.get_params(ctx) if p.param_type_name == "option" and not p.hidden]
    sections.append(("OPTIONS", two_columns([option_row(o) for o in options], width)))
    if examples:
        sections.append(("EXAMPLES", example_lines(examples, width)))
    sections.append(("LEARN MORE", wrap_words(LEARN_MORE, width, INDENT)))
    return render(sections, bold)


def split_help(text: str) -> tuple[str, list[str]]:
    """A docstring's description and its examples (the lines after ``Examples:``)."""
    parts = _EXAMPLES.split(text, maxsplit=1)
    description = parts[0].strip()
    examples = [line.strip() for line in parts[1].splitlines() if line.strip()] if parts[1:] else []
    return description, examples


def paragraphs(text: str, width: int) -> list[str]:
    """The text's paragraphs, each rewrapped (a docstring's line breaks are not the reader's)."""
    lines: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if paragraph.strip():
            if lines:
                lines.append("")
            lines += wrap_words(" ".join(paragraph.split()), width, "")
    return lines


def argument_name(argument: Any) -> str:
    """MODEL, NAME..., [KEY]: as the usage line and the arguments section show it."""
    name = argument.metavar or (argument.name or "").upper()
    if argument.nargs == -1 and not name.endswith("..."):
        name = f"{name.removesuffix('S') if argument.metavar is None else name}..."
    return name if argument.required else f"[{name}]"


def option_row(option: Any) -> tuple[str, str]:
    """The option as typed (``-f, --format FORMAT``) and its description with its default."""
    from llmtrack.cli.shell_completion import HELP as COMPLETION

    if option.opts[0] in COMPLETION:  # read before click, with an optional shell
        return f"{option.opts[0]} [SHELL]", COMPLETION[option.opts[0]]
    names = sorted(option.opts, key=lambda name: (name.startswith("--"), name))
    shown = ", ".join(names)
    if option.secondary_opts:
        shown += " / " + ", ".join(option.secondary_opts)
    elif not option.is_flag and not option.count:
        shown += f" {value_name(option)}"
    text = option.help or ""
    default = default_text(option)
    if default and not _DEFAULT_SAID.search(text):
        text = f"{text.rstrip('.')} [default: {default}]".strip()
    return shown, text


def value_name(option: Any) -> str:
    """The option's own metavar, else its long name in capitals (--seq-len SEQ_LEN)."""
    if option.metavar:
        return option.metavar
    longest = max(option.opts, key=len).lstrip("-")
    return longest.upper().replace("-", "_")


def default_text(option: Any) -> str | None:
    """The default worth saying: not an absent value, not an unset flag."""
    if option.show_default is False or option.name == "help":
        return None
    default = option.default
    if callable(default) or default is None or default == () or default == []:
        return None
    if option.secondary_opts:  # --x / --no-x: the one that is in effect
        return option.opts[0] if default else option.secondary_opts[0]
    if option.is_flag:
        return None
    if isinstance(default, list | tuple):
        return ", ".join(map(str, default))
    return str(default) if str(default) != "" else None


def two_columns(
    rows: Iterable[tuple[str, str]], width: int, column: int | None = None, stack: bool = True
) -> list[str]:
    """Names on the left, descriptions wrapped on the right; a name too long for the column
    has the line to itself, and on a narrow terminal every description goes under its name."""
    rows = list(rows)
    if column is None:
        fitting = [len(name) for name, _ in rows if len(name) <= NAME_COLUMN_MAX]
        column = (max(fitting) if fitting else 0) + 2
    stacked = stack and width < STACKED_BELOW
    pad = INDENT + " " * column
    lines: list[str] = []
    for name, text in rows:
        if stacked:
            lines.append(INDENT + name)
            if text:
                lines += wrap_words(text, width, INDENT * 3)
        elif len(name) + 2 > column:
            lines.append(INDENT + name)
            if text:
                lines += wrap_words(text, width, pad)
        else:
            lines += wrap_words(text, width, pad, first=INDENT + name.ljust(column))
    return lines


def render(sections: Sequence[tuple[str | None, list[str]]], bold: bool) -> str:
    blocks = []
    for heading, lines in sections:
        if not lines:
            continue
        title = [] if heading is None else [f"\x1b[1m{heading}\x1b[0m" if bold else heading]
        blocks.append("\n".join([*title, *lines]))
    return "\n\n".join(blocks) + "\n"
