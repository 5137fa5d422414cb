"""Meta-tests: every command is documented, with an example, in its help, in the command
reference under docs/ and in the README's command table; the README stays short and its
quick start is what CI runs."""

from __future__ import annotations

import re

import pytest
import typer

from llmtrack.cli import app
from tests.conftest import REPO

COMMANDS = sorted(typer.main.get_command(app).commands)
README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = REPO / "docs"
COMMAND_REFERENCE = (DOCS / "commands.md").read_text(encoding="utf-8")

INSTALL_AND_RUN = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install . "
    "&& llmtrack list --base LLaMA-7B"
)
RUN_TESTS = "pip install -e '.[test]' && python -m pytest"


def readme_command_table() -> dict[str, list[str]]:
    """The README's command table: command name -> the row's cells after the first."""
    rows = {}
    for line in README.splitlines():
        match = re.match(r"\|\s*`llmtrack (\w+)[^`]*`\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_the_expected_commands_exist():
    assert set(COMMANDS) >= {"list", "bases", "refs", "stages", "techniques", "gpus", "show"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert f"EXAMPLES\n  $ llmtrack {command}" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_section_in_the_command_reference(command):
    assert re.search(rf"^### llmtrack {command}$", COMMAND_REFERENCE, re.MULTILINE), (
        f"docs/commands.md has no '### llmtrack {command}': "
        "run cog -r -I . docs/commands.md docs/estimator.md"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme_table_with_an_example(command):
    rows = readme_command_table()
    assert command in rows, f"the README's command table has no row for {command}"
    description, example = rows[command][0], rows[command][-1]
    assert description, command
    assert re.fullmatch(rf"`llmtrack (--\S+ \S+ )*{command}\b[^`]*`", example), (command, example)


def test_the_readme_quick_start_is_what_ci_runs():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    quick_start = re.findall(r"```console\n(.+?)\n```", README)
    install_and_run, run_tests = quick_start[0], quick_start[1]
    assert install_and_run == INSTALL_AND_RUN
    assert run_tests == RUN_TESTS
    assert run_tests in ci


def test_the_quick_start_is_two_one_line_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```console\n(.*?)\n```", section, re.DOTALL) == [INSTALL_AND_RUN, RUN_TESTS]


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 200


def test_the_readme_links_to_pages_that_exist():
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", README)
    assert links
    for link in links:
        assert (REPO / link).is_file(), link


@pytest.mark.parametrize(
    "path",
    [REPO / "README.md", *sorted(DOCS.glob("**/*.md"))],
    ids=lambda path: str(path.relative_to(REPO)),
)
def test_no_page_mentions_files_outside_the_repository(path):
    assert "../shared" not in path.read_text(encoding="utf-8")
