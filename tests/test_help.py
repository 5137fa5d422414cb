"""Help as people ask for it: `llmtrack help COMMAND`, `-V`."""

from __future__ import annotations

import pytest

from llmtrack.cli.application import help_as_option
from tests.conftest import run


@pytest.mark.parametrize(
    "args, expected",
    [
        (["help"], ["--help"]),
        (["help", "estimate"], ["estimate", "--help"]),
        (["--catalog", "help", "help", "fits"], ["--catalog", "help", "fits", "--help"]),
        (["--debug", "help", "list"], ["--debug", "list", "--help"]),
        (["show", "help"], ["show", "help"]),  # an argument named help is left alone
        ([], []),
    ],
)
def test_help_is_read_as_the_help_option(args, expected):
    assert help_as_option(args) == expected


def test_help_command_prints_what_command_help_prints():
    asked = run("help", "estimate")
    assert asked.returncode == 0
    assert asked.stdout == run("estimate", "--help").stdout
    assert "Usage: llmtrack estimate" in asked.stdout
    assert "llmtrack help COMMAND" in run("help").stdout
    unknown = run("help", "nosuch")
    assert unknown.returncode == 2 and "No such command 'nosuch'" in unknown.stderr


def test_short_version_option():
    short, long = run("-V"), run("--version")
    assert short.returncode == 0 and short.stdout == long.stdout
    assert short.stdout.startswith("llmtrack ")
