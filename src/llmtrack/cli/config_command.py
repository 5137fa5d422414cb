"""`llmtrack config`: the settings kept between runs (a remembered card, engine and RAM)."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtrack.cli import session
from llmtrack.cli.options import choice_argument, complete_from
from llmtrack.config import KEYS
from llmtrack.errors import NotFoundError, UsageError

CONFIG_ACTIONS = ("list", "get", "set", "unset", "path")
# a card is a preset or a bare size: setting one forgets the other
_EXCLUSIVE = {"gpu": "vram", "vram": "gpu"}


def config_command(
    action: Annotated[
        str, choice_argument(values=CONFIG_ACTIONS, after=" [default: list].")
    ] = "list",
    key: Annotated[
        str | None,
        typer.Argument(
            help="For get, set and unset: " + ", ".join(KEYS) + ".",
            metavar="KEY",
            autocompletion=complete_from(tuple(KEYS)),
        ),
    ] = None,
    value: Annotated[
        str | None, typer.Argument(help="For set: the value.", metavar="VALUE")
    ] = None,
) -> None:
    """Remember the card `estimate` and `fits` answer for when you give none (and the engine
    and system RAM `estimate` uses), in config.toml in your config folder. Every run that
    uses a remembered value says so on stderr. Each value is what the option of its name
    takes (gpu as --gpu, vram as --vram, ...), checked when it is set.

    Examples:

      llmtrack config set gpu "RTX 4090"

      llmtrack config list      # or just: llmtrack config

      llmtrack config get gpu

      llmtrack config unset gpu
    """
    from llmtrack import config
    from llmtrack.choices import choose

    action = choose(action, CONFIG_ACTIONS, "config action")
    wanted = {"get": 1, "unset": 1, "set": 2}.get(action, 0)
    given = [word for word in (key, value) if word is not None]
    if len(given) != wanted:
        usage = {0: f"config {action}", 1: f"config {action} KEY", 2: "config set KEY VALUE"}
        raise UsageError(f"usage: llmtrack {usage[wanted]} (keys: {', '.join(KEYS)})")
    if action == "path":
        typer.echo(str(config.config_file()))
        return
    settings = config.read()
    if action == "list":
        for name, setting in settings.items():
            typer.echo(f"{name}\t{setting}")
        if not settings:
            session.note(f"nothing is set ({config.config_file()} does not exist or is empty)")
        return
    assert key is not None
    if action == "get":
        name = choose(key, tuple(KEYS), "config key")
        if name not in settings:
            raise NotFoundError(f"{name} is not set; `llmtrack config set {name} VALUE` sets it")
        typer.echo(settings[name])
        return
    if action == "unset":
        name = choose(key, tuple(KEYS), "config key")
        if settings.pop(name, None) is None:
            session.note(f"{name} was not set")
            return
    else:
        assert value is not None
        name, checked = config.checked(key, value)
        if name == "gpu":  # a card that is not in the catalog is refused now, not at use
            session.card(session.load(), None, checked)
        settings[name] = checked
        other = _EXCLUSIVE.get(name)
        if other and settings.pop(other, None) is not None:
            session.note(f"{other} unset: a card is a preset (gpu) or a bare size (vram)")
    _write(config, settings)


def _write(config, settings: dict[str, str]) -> None:
    from llmtrack.errors import OutputError
    from llmtrack.output.write import write_output

    path = config.config_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot make {path.parent}: {exc.strerror or exc}") from None
    write_output(config.text_of(settings), str(path), force=True)
