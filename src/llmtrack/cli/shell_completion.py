"""``--install-completion [SHELL]`` and ``--show-completion [SHELL]``: the shell named, or
the one running llmtrack when none is.

typer's own options are flags: ``--install-completion zsh`` from bash installed bash's
completion and then read ``zsh`` as a command. typer's vendored click has no option with an
optional value, so the two are read from the arguments before click parses them (they act
alone, like --version), and the scripts and where they go stay typer's.
"""

from __future__ import annotations

import os
import sys
from typing import NamedTuple

from llmtrack.errors import UsageError

PROG = "llmtrack"
COMPLETE_VAR = "_LLMTRACK_COMPLETE"
SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
OPTIONS = ("--install-completion", "--show-completion")
HELP = {
    "--install-completion": f"Install tab completion for SHELL ({', '.join(SHELLS)}); the "
    "shell you run when none is named.",
    "--show-completion": "Print the completion script for SHELL, to install it yourself.",
}


class Request(NamedTuple):
    option: str  # one of OPTIONS
    shell: str  # "" when none was named


def requested(args: list[str]) -> Request | None:
    """The completion option among the root's arguments (before any command), with the word
    after it as the shell when that is not an option."""
    for i, word in enumerate(args):
        name, _, value = word.partition("=")
        if name in OPTIONS:
            if value or "=" in word:
                return Request(name, value)
            following = args[i + 1] if i + 1 < len(args) else ""
            return Request(name, "" if following.startswith("-") else following)
        if not word.startswith("-"):
            return None  # a command: the options are the root's only
    return None


def run(request: Request) -> None:
    """Install or print the completion for the shell asked for."""
    from typer._completion_shared import get_completion_script, install

    shell = _shell(request.shell)
    if request.option == "--show-completion":
        sys.stdout.write(
            get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)
        )
        sys.stdout.write("\n")
        return
    shell, path = install(shell=shell, prog_name=PROG, complete_var=COMPLETE_VAR)
    sys.stdout.write(f"{shell} completion installed in {path}\nIt takes effect in a new shell.\n")


def _shell(named: str) -> str:
    """The shell named, else the one running us (as typer finds it); unknown: a usage error."""
    if named:
        shell = named.lower()
    elif os.environ.get("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"):
        shell = ""
    else:
        from typer._completion_shared import _get_shell_name

        shell = (_get_shell_name() or "").lower()
    if shell not in SHELLS:
        said = f"unknown shell {named!r}" if named else "cannot tell which shell runs llmtrack"
        raise UsageError(f"{said}: name one of {', '.join(SHELLS)}")
    return shell
