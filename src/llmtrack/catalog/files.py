"""Where the catalog's files are, in the order they are read (later wins, entry by entry):

1. the bundled catalog (left out with ``--no-bundled``);
2. ``*.yaml``, ``*.yml`` and ``*.json`` in the user's config folder, ``catalog.d/`` (e.g.
   ``~/.config/llmtrack/catalog.d/``), by file name;
3. the files in ``LLMTRACK_CATALOG`` (a path list, ``:``-separated; ``;`` on Windows);
4. the files given with ``--catalog FILE``, in order.

User files are read here with a size limit, before anything parses them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from llmtrack.catalog.schema import SECTIONS
from llmtrack.errors import CatalogError, Problem

CACHE_ENV = "LLMTRACK_CACHE_DIR"
CATALOG_ENV = "LLMTRACK_CATALOG"
CONFIG_ENV = "LLMTRACK_CONFIG_DIR"
MAX_SIZE_ENV = "LLMTRACK_MAX_FILE_SIZE"
DEFAULT_MAX_FILE_BYTES = 20 * 1024**2  # user files over this are refused before parsing
_SUFFIXES = (".yaml", ".yml", ".json")
BUNDLED = "bundled"
# The package's data folder. A path, not importlib.resources (which costs every run more
# than a millisecond to import): the wheel installs llmtrack as plain files.
DATA = Path(__file__).resolve().parent.parent / "data"


class CatalogFile(NamedTuple):
    name: str  # as shown in messages: the path the user gave, or data/x.yaml
    layer: str
    data: bytes


def bundled_paths() -> list[str]:
    """Where the bundled section files are, in section order."""
    return [str(DATA / f"{name}.yaml") for name in SECTIONS]


def bundled_files() -> list[tuple[str, bytes]]:
    """(display name, bytes) of each bundled section file, in section order."""
    return [(f"data/{name}.yaml", (DATA / f"{name}.yaml").read_bytes()) for name in SECTIONS]


def config_dir() -> Path:
    override = os.environ.get(CONFIG_ENV)
    return Path(override) if override else _user_dir("config")


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else _user_dir("cache")


def _user_dir(kind: str) -> Path:
    """The user's config or cache folder for llmtrack, as platformdirs finds it. On Linux
    that is the XDG rule, computed here: importing platformdirs costs every run time."""
    if sys.platform.startswith("linux"):
        variable, fallback = {
            "config": ("XDG_CONFIG_HOME", ".config"),
            "cache": ("XDG_CACHE_HOME", ".cache"),
        }[kind]
        base = os.environ.get(variable, "").strip()
        return Path(base if os.path.isabs(base) else Path.home() / fallback) / "llmtrack"
    import platformdirs

    finder = platformdirs.user_config_dir if kind == "config" else platformdirs.user_cache_dir
    return Path(finder("llmtrack", appauthor=False))


def overlay_paths(command_line: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(path, layer) of every user file, in the documented order."""
    found: list[tuple[str, str]] = []
    folder = config_dir() / "catalog.d"
    if folder.is_dir():
        found += [(path, "config") for path in _scanned(folder)]
    for path in os.environ.get(CATALOG_ENV, "").split(os.pathsep):
        if path.strip():
            found.append((path.strip(), "environment"))
    found += [(path, "command line") for path in command_line]
    return found


def _scanned(folder: Path) -> list[str]:
    """The catalog files of the config folder: regular .yaml, .yml and .json files. What is
    not (a FIFO would hang every command; an editor's lock link ``.#mine.yaml``, a dot-file,
    a dangling link, a folder) is skipped and said, once."""
    found, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.suffix not in _SUFFIXES:
            continue
        if path.name.startswith("."):
            skipped.append(f"{path.name} (a hidden or editor's lock file)")
        elif not path.exists():
            skipped.append(f"{path.name} (a link to nothing)")
        elif not path.is_file():
            skipped.append(f"{path.name} (not a regular file)")
        else:
            found.append(str(path))
    if skipped:
        import warnings

        warnings.warn(f"skipped in {folder}: {', '.join(skipped)}", stacklevel=2)
    return found


def max_file_bytes() -> int:
    text = os.environ.get(MAX_SIZE_ENV)
    if not text:
        return DEFAULT_MAX_FILE_BYTES
    from llmtrack.units import parse_memory_gib

    return int(parse_memory_gib(text) * 1024**3)


def read_overlay(path: str, layer: str, limit: int) -> CatalogFile:
    """A user file's bytes; too big, missing or unreadable files are refused before parsing."""

    def refuse(message: str) -> CatalogError:
        return CatalogError([Problem(path, None, None, None, None, message)])

    the_limit = (
        f"the {limit / 1024**2:g} MiB limit for catalog files; "
        f"set {MAX_SIZE_ENV} (e.g. 200MB) to allow it"
    )
    try:
        size = os.stat(path).st_size
        if size > limit:
            raise refuse(f"{size / 1024**2:.1f} MiB is over {the_limit}")
        with open(path, "rb") as handle:
            # at most the limit, whatever the size said: /dev/zero and pipes have none
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise refuse(f"more than {the_limit}")
        return CatalogFile(path, layer, data)
    except IsADirectoryError:
        raise refuse("is a folder, not a file") from None
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None


def catalog_files(overlays: Sequence[str] = (), bundled: bool = True) -> list[CatalogFile]:
    """Every file the catalog is made of, bundled first, in the documented order."""
    files = [CatalogFile(name, BUNDLED, data) for name, data in bundled_files()] if bundled else []
    limit = max_file_bytes()
    files += [read_overlay(path, layer, limit) for path, layer in overlay_paths(overlays)]
    return files


def as_catalog_files(files) -> list[CatalogFile]:
    """(name, bytes) pairs are bundled files; CatalogFiles say their own layer."""
    return [f if isinstance(f, CatalogFile) else CatalogFile(f[0], BUNDLED, f[1]) for f in files]
