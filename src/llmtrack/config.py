"""Settings a user keeps between runs: the card `estimate`, `fits` and `list --fits` answer
for when none is given, the engine, the system RAM and the output format. One TOML file,
``config.toml`` in the user config folder (``LLMTRACK_CONFIG_DIR`` or
``~/.config/llmtrack``), written by ``llmtrack config``.

Each value is checked when it is set, with the same parser its option uses, so a file that
``config set`` wrote never fails later; a file edited by hand is checked when read, and a
bad value is a usage error naming the file and the key, never a silent default."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from llmtrack.errors import UsageError


def _gpu(value: str) -> str:
    return value  # resolved against the catalog when used, as --gpu is


def _memory(value: str) -> str:
    from llmtrack.units import parse_memory_gib

    parse_memory_gib(value)
    return value


def _engine(value: str) -> str:
    from llmtrack.choices import choose
    from llmtrack.memory.engines import ENGINE_NAMES

    return choose(value, ENGINE_NAMES, "engine")


def _format(value: str) -> str:
    from llmtrack.output.formats import FORMATS, check_format

    return check_format(value, FORMATS)


# key -> (what it is, the check a value passes)
KEYS: dict[str, tuple[str, Callable[[str], str]]] = {
    "gpu": ("the card estimate and fits answer for, as --gpu takes it", _gpu),
    "vram": ("a bare card size instead of gpu, as --vram takes it", _memory),
    "ram": ("system RAM for layers that do not fit the GPU, as --ram takes it", _memory),
    "engine": ("what runs the model, as --engine takes it", _engine),
    "format": ("the output format of every command that has it, as --format takes it", _format),
}


def config_file() -> Path:
    from llmtrack.catalog.files import config_dir

    return config_dir() / "config.toml"


def read() -> dict[str, str]:
    """The settings in the file; none when there is no file."""
    path = config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the same parser, before it joined the standard library
        import tomli as tomllib  # type: ignore[import-not-found]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not TOML ({exc}); fix it or remove it") from None
    settings = {}
    for key, value in data.items():
        if key not in KEYS:
            raise UsageError(f"{path}: unknown key {key!r}; keys: {', '.join(KEYS)}")
        if not isinstance(value, str):
            raise UsageError(f'{path}: {key} must be a string, e.g. {key} = "..."')
        try:
            settings[key] = KEYS[key][1](value)
        except UsageError as exc:  # the file and the key, then what the option would say
            raise UsageError(f"{path}: {key}: {exc}") from None
    return settings


def checked(key: str, value: str) -> tuple[str, str]:
    """The key as spelled here and the value as its option would read it."""
    from llmtrack.choices import choose

    key = choose(key, tuple(KEYS), "config key")
    if not value.strip():
        raise UsageError(f"{key} needs a value; `llmtrack config unset {key}` removes it")
    return key, KEYS[key][1](value.strip())


def text_of(settings: dict[str, str]) -> str:
    """The file's text: one ``key = "value"`` line per setting (a JSON string is a TOML
    basic string: quotes, backslashes and control characters escaped)."""
    lines = ["# written by `llmtrack config`; `llmtrack config list` shows it"]
    lines += [
        f"{key} = {json.dumps(settings[key], ensure_ascii=False)}"
        for key in KEYS
        if key in settings
    ]
    return "\n".join(lines) + "\n"
