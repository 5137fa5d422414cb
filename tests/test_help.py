"""Help and options as people type them: `llmtrack help COMMAND`, `-V`, and the root
options after the command."""

from __future__ import annotations

import pytest

from llmtrack.cli.application import help_as_option, root_options_first
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


@pytest.mark.parametrize(
    "args, expected",
    [
        (["list", "--catalog", "a.yaml"], ["--catalog", "a.yaml", "list"]),
        (["list", "--catalog=a.yaml", "--debug"], ["--catalog=a.yaml", "--debug", "list"]),
        (
            ["--catalog", "a.yaml", "gpus", "--no-bundled", "--fields", "id"],
            ["--catalog", "a.yaml", "--no-bundled", "gpus", "--fields", "id"],
        ),
        (["search", "--", "--debug"], ["search", "--", "--debug"]),  # after --: an argument
        (["list", "--catalog"], ["--catalog", "list"]),  # the missing value is click's to say
        (["--version"], ["--version"]),
    ],
)
def test_root_options_after_the_command_move_before_it(args, expected):
    assert root_options_first(args) == expected


def test_a_catalog_given_after_the_command_is_loaded(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "gpus:\n- id: my-card\n  name: My Card\n  vendor: nvidia\n  memory_gib: 24\n"
        "  sources: [https://example.org/my-card]\n",
        encoding="utf-8",
    )
    result = run("gpus", "--no-bundled", "--catalog", str(mine), "--fields", "id")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["id", "my-card"]
