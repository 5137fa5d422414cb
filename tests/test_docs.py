"""Meta-tests: every command is documented, with an example, in its help and in the README."""

from __future__ import annotations

import re

import pytest
import typer

from llmtrack.cli import app
from tests.conftest import REPO

COMMANDS = sorted(typer.main.get_command(app).commands)
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_expected_commands_exist():
    assert set(COMMANDS) >= {"list", "bases", "refs", "stages", "techniques", "gpus", "show"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"llmtrack {command}" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_appears_in_the_readme_with_an_example(command):
    assert re.search(rf"`llmtrack {command}\b[^`]*`", README), command


def test_the_readme_quick_start_is_what_ci_runs():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    quick_start = re.findall(r"```console\n(.+?)\n```", README)
    install_and_run, run_tests = quick_start[0], quick_start[1]
    assert install_and_run == "pip install . && llmtrack list --base LLaMA-7B"
    assert run_tests in ci
