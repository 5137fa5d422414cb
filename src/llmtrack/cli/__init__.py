"""The command line: `app` (the typer app, its error policy and the registration of every
command), `options` (shared options, declared once), `session` (what one run shares), and
one module per command group: `catalog_commands`, `memory_commands`, `user_commands`."""

from llmtrack.cli.app import app, main

__all__ = ["app", "main"]
