"""Shared fixtures: an isolated cache folder, and the CLI run the ways a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmtrack.catalog import load_catalog
from llmtrack.cli import app

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Never read or write the user's real cache folder."""
    folder = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("LLMTRACK_CACHE_DIR")
    os.environ["LLMTRACK_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("LLMTRACK_CACHE_DIR", None)
    else:
        os.environ["LLMTRACK_CACHE_DIR"] = previous


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


def run(*args: str, stdin=None, env=None, **kwargs) -> subprocess.CompletedProcess:
    """Run ``python -m llmtrack`` as a real process (exit codes, pipes, stderr as users see them)."""
    streams = {"stderr": subprocess.PIPE} if "stdout" in kwargs else {"capture_output": True}
    return subprocess.run(
        [sys.executable, "-m", "llmtrack", *args],
        text=True,
        env={**os.environ, **(env or {})},
        stdin=stdin,
        timeout=60,
        **streams,
        **kwargs,
    )
