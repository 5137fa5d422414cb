"""The environment output is made for, found once per run: is stdout a terminal, how wide
it is, whether colour is wanted, and what it can encode. Every renderer is handed this
object and asks it, never ``sys.stdout``; tests build one to see what a terminal gets."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from typing import IO, Any

from llmtrack.lazyclass import lazy_dataclass

DEFAULT_WIDTH = 100  # when neither COLUMNS nor the terminal says


@lazy_dataclass(frozen=True)
class Env:
    """What output is made for (see the module's docstring)."""

    is_terminal: bool = False  # stdout is a terminal: tables by default
    width: int = DEFAULT_WIDTH
    colour: bool = False
    encoding: str = "utf-8"
    rows: int = 0  # the terminal's height; 0: unknown (never paged)
    pager: str | None = None  # the command output taller than the terminal goes through

    @classmethod
    def detect(cls, stdout: IO[str] | None = None, environ: Mapping[str, str] | None = None) -> Env:
        """Colour follows https://no-color.org and FORCE_COLOR: NO_COLOR (any value) turns it
        off, FORCE_COLOR on, TERM=dumb off; otherwise colour when stdout is a terminal."""
        stream = stdout if stdout is not None else sys.stdout
        environ = os.environ if environ is None else environ
        try:
            terminal = bool(stream.isatty())
        except (AttributeError, ValueError, OSError):  # closed or odd streams
            terminal = False
        if environ.get("NO_COLOR"):
            colour = False
        elif environ.get("FORCE_COLOR"):
            colour = True
        else:
            colour = terminal and environ.get("TERM") != "dumb"
        encoding = getattr(stream, "encoding", None) or "utf-8"
        rows = _size(stream, environ, "LINES", "lines") if terminal else 0
        pager = pager_command(environ) if terminal else None
        return cls(terminal, _width(stream, environ), colour, encoding, rows, pager)

    def without_pager(self) -> Env:
        import dataclasses

        return dataclasses.replace(self, pager=None)

    @property
    def unicode(self) -> bool:
        return "utf" in self.encoding.lower()


def pager_command(environ: Mapping[str, str]) -> str | None:
    """As gh and git choose it: LLMTRACK_PAGER, then PAGER, then ``less -FRX``; set empty
    (or to cat) for none."""
    for name in ("LLMTRACK_PAGER", "PAGER"):
        if name in environ:
            command = environ[name].strip()
            return None if command in ("", "cat") else command
    return "less -FRX"


def _width(stream: Any, environ: Mapping[str, str]) -> int:
    return _size(stream, environ, "COLUMNS", "columns") or DEFAULT_WIDTH


def _size(stream: Any, environ: Mapping[str, str], variable: str, attribute: str) -> int:
    """COLUMNS or LINES when set, else what the terminal says; 0 when neither knows."""
    try:
        size = int(environ[variable])
        if size > 0:
            return size
    except (KeyError, ValueError):
        pass
    try:
        return getattr(os.get_terminal_size(stream.fileno()), attribute)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return 0


def console(env: Env, width: int | None = None):
    """The one way output code gets a rich Console: it renders into a string (the writer
    puts it where it goes), with colour decided here, when the Console is built."""
    from rich.console import Console

    return Console(
        file=io.StringIO(),
        width=width or env.width,
        force_terminal=env.colour,
        no_color=not env.colour,
        color_system="standard" if env.colour else None,
        highlight=False,
        soft_wrap=False,
        emoji=False,
        legacy_windows=False,
    )
