"""The command line: `application` (the typer app, its error policy, every command
registered in one block, the entry point), `options` (shared options, declared once),
`session` (what one run shares), and one module per command group: `catalog_commands` (the
listings), `entry_commands` (search, show, compare, export), `memory_commands`,
`user_commands`.

``app`` and ``main`` are imported from `application` on first use, so importing a command
module (or `options`, for the docs) does not build the whole app."""

from __future__ import annotations

from typing import Any

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from llmtrack.cli import application

        return getattr(application, name)
    raise AttributeError(f"module 'llmtrack.cli' has no attribute {name!r}")


def __dir__() -> list[str]:  # typer's own CLI (`typer llmtrack.cli utils docs`) looks here
    return sorted([*globals(), *__all__])
