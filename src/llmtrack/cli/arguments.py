"""The command line as people type it, rewritten before click parses it: the root options
also after the command (``llmtrack list --catalog mine.yaml``), and ``llmtrack help
COMMAND``. Pure functions over the argument list; nothing here imports click."""

from __future__ import annotations

ROOT_VALUES = {"--catalog"}  # root options that take a value


ROOT_FLAGS = {"--debug", "--no-bundled", "--no-pager"}


def root_options_first(args: list[str]) -> list[str]:
    """The root options (``--catalog FILE``, ``--no-bundled``, ``--no-pager``, ``--debug``)
    moved before the command when they are given after it (``llmtrack list --catalog
    mine.yaml``), as people type them; everything after ``--`` stays where it is."""
    command = _command_index(args)
    if command is None:
        return list(args)
    moved: list[str] = []
    kept: list[str] = []
    rest = iter(args[command + 1 :])
    for word in rest:
        if word == "--":
            kept += [word, *rest]
            break
        if word in ROOT_FLAGS or word.startswith("--catalog="):
            moved.append(word)
        elif word in ROOT_VALUES:
            moved += [word, *[value for value in [next(rest, None)] if value is not None]]
        else:
            kept.append(word)
    return [*args[:command], *moved, args[command], *kept]


def _command_index(args: list[str]) -> int | None:
    """Where the command's name is: the first word that is neither an option nor the value
    of a root option."""
    i = 0
    while i < len(args):
        if args[i] in ROOT_VALUES:
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            return i
    return None


def help_as_option(args: list[str]) -> list[str]:
    """``llmtrack help [COMMAND]`` as ``llmtrack [COMMAND] --help``, as git and gh read it."""
    i = _command_index(args)
    if i is None or args[i] != "help":
        return list(args)
    return [*args[:i], *args[i + 1 :], "--help"]
