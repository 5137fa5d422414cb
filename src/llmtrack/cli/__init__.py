"""The command line: `application` (the typer app, its error policy, every command
registered in one block, the entry point), `options` (shared options, declared once),
`session` (what one run shares), and one module per command group: `catalog_commands` (the
listings), `entry_commands` (search, show, compare, export), `memory_commands` (estimate),
`fits_command`, `reproduce_command`, `config_command`, `user_commands`.

``app`` and ``main`` are imported from `application` on first use, so importing a command
module (or `options`, for the docs) does not build the whole app."""

from __future__ import annotations

from typing import Any

__all__ = ["app", "main"]


def main() -> None:
    """The console script and ``python -m llmtrack``. Ctrl-C exits 130 quietly at any
    moment, while typer and the rest are still being imported too."""
    import signal
    import sys

    try:
        from llmtrack.cli.application import main as run

        run()
    except KeyboardInterrupt:
        sys.exit(130)
    finally:  # the work is done: a Ctrl-C while Python shuts down changes nothing
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def __getattr__(name: str) -> Any:
    if name == "app":
        from llmtrack.cli import application

        return application.app
    raise AttributeError(f"module 'llmtrack.cli' has no attribute {name!r}")


def __dir__() -> list[str]:  # typer's own CLI (`typer llmtrack.cli utils docs`) looks here
    return sorted([*globals(), *__all__])
