"""Shared fixtures: a test never sees the developer's own config, cache or environment; a
tiny synthetic catalog for code tests; and the CLI run the ways a user runs it.

Tests that start a real process (``run``, ``on_a_terminal``) are marked ``slow``, so
``python -m pytest -m "not slow"`` is a quick run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmtrack.catalog.load import load_catalog
from llmtrack.cli import app

REPO = Path(__file__).resolve().parent.parent
TINY = Path(__file__).resolve().parent / "fixtures" / "tiny.yaml"

# What a developer's shell may set that changes what llmtrack reads or shows.
_USER_VARIABLES = (
    "LLMTRACK_CATALOG",
    "LLMTRACK_MAX_FILE_SIZE",
    "NO_COLOR",
    "FORCE_COLOR",
    "COLUMNS",
    "LINES",
    "TERM",
    "PAGER",
    "LLMTRACK_PAGER",
    "LESS",
    "PYTHONIOENCODING",
)


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Never read or write the user's real cache folder (one for the run: compiled user
    catalogs are reused between tests, as between a user's runs)."""
    folder = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("LLMTRACK_CACHE_DIR")
    os.environ["LLMTRACK_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("LLMTRACK_CACHE_DIR", None)
    else:
        os.environ["LLMTRACK_CACHE_DIR"] = previous


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """Never read the user's config folder (``catalog.d/``) or their environment."""
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("LLMTRACK_CONFIG_DIR", str(config))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config.parent / "xdg-config"))
    for name in _USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return config


def pytest_collection_modifyitems(items):
    """Mark every test that starts a real process ``slow``."""
    for item in items:
        function = getattr(item, "function", None)
        names = set(getattr(getattr(function, "__code__", None), "co_names", ()))
        if names & {"run", "on_a_terminal", "on_a_terminal_with_stderr", "subprocess", "Popen"}:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_catalog():
    """A synthetic catalog of a few entries in every section, for code tests: what the
    bundled data says is for the data tests."""
    from llmtrack.catalog.files import CatalogFile

    return load_catalog([CatalogFile(str(TINY), "command line", TINY.read_bytes())])


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture
def cli():
    """Invoke the app in-process with typer's CliRunner; stdout is not a terminal, as in a pipe.

    The result has ``exit_code``, ``stdout`` and ``stderr`` (kept apart)."""
    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        return runner.invoke(app, list(args), catch_exceptions=False, **kwargs)

    return invoke


def run(*args: str, stdin=None, env=None, timeout=60, **kwargs) -> subprocess.CompletedProcess:
    """Run ``python -m llmtrack`` as a real process (exit codes, pipes, stderr as users see them)."""
    streams = {"stderr": subprocess.PIPE} if "stdout" in kwargs else {"capture_output": True}
    return subprocess.run(
        [sys.executable, "-m", "llmtrack", *args],
        text=True,
        env={**os.environ, **(env or {})},
        stdin=stdin,
        timeout=timeout,
        **streams,
        **kwargs,
    )
