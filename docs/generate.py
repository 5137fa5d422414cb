"""Markdown generated from the code, kept in the docs pages with cog (cogapp).

The pages hold cog blocks such as::

    <!-- [[[cog
    import docs.generate as g
    cog.out(g.command_reference())
    ]]] -->
    <!-- [[[end]]] -->

Regenerate them from the repository root with::

    cog -r -I . docs/commands.md docs/estimator.md

and check that they are current with ``cog --check -I . README.md docs/*.md``.
Each function returns the Markdown as a string; run this file to print both.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# the help as an 80-column, colourless terminal shows it, the same on every machine
HELP_ENV = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}


def _help(args: list[str]) -> str:
    """The output of ``llmtrack ARGS --help``, obtained in-process, trailing spaces stripped."""
    from typer.testing import CliRunner

    from llmtrack.cli import app

    result = CliRunner().invoke(app, [*args, "--help"], env=HELP_ENV, terminal_width=80)
    if result.exit_code != 0:
        raise RuntimeError(
            f"llmtrack {' '.join(args)} --help exited {result.exit_code}:\n{result.output}"
        )
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def command_names() -> list[str]:
    """Every command of the app, sorted."""
    import typer

    from llmtrack.cli import app

    return sorted(typer.main.get_command(app).commands)


def command_reference() -> str:
    """``llmtrack --help``, then a heading and the ``--help`` of every command."""
    parts = ["### llmtrack\n", "```text", _help([]), "```\n"]
    for name in command_names():
        parts += [f"### llmtrack {name}\n", "```text", _help([name]), "```\n"]
    return "\n".join(parts)


def accuracy_tables() -> str:
    """What ``benchmarks/accuracy.py`` prints: the estimator against published runs."""
    result = subprocess.run(
        [sys.executable, "benchmarks/accuracy.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return result.stdout.rstrip("\n") + "\n"


def speed_tables() -> str:
    """What ``benchmarks/speed.py --markdown`` prints: the speed model against published runs."""
    result = subprocess.run(
        [sys.executable, "benchmarks/speed.py", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return result.stdout.rstrip("\n") + "\n"


if __name__ == "__main__":
    print(command_reference())
    print(accuracy_tables())
