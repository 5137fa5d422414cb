"""Help and options as people type them: `llmtrack help COMMAND`, `-V`, and the root
options after the command."""

from __future__ import annotations

import re

import pytest
import typer

from llmtrack.cli import app
from llmtrack.cli.application import COMMANDS
from llmtrack.cli.arguments import help_as_option, root_options_first
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
    assert "USAGE\n  llmtrack estimate MODEL [OPTIONS]" in asked.stdout
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


# --- help as a person reads it: at 120, 80 and 60 columns --------------------------------

COMMAND_NAMES = sorted(COMMANDS)


def _help(cli, args, width: int, **env) -> str:
    result = cli(*args, "--help", env={"COLUMNS": str(width), **env})
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("width", [120, 80, 60])
@pytest.mark.parametrize("command", [None, *COMMAND_NAMES])
def test_help_fits_the_terminal_and_cuts_no_option(cli, command, width):
    from llmtrack.cli.help import MAX_WIDTH

    args = [command] if command else []
    text = _help(cli, args, width)
    lines = text.splitlines()
    for line in lines:  # a long example is continued with a backslash, as a shell reads it
        assert len(line) <= min(width, MAX_WIDTH), f"{line!r} is wider than {width}"
    assert "USAGE" in lines and "OPTIONS" in lines
    # no programmers' types, no {argument}, no space before a full stop
    for wrong in ("<bool>", "<str>", "<int", "<list", "{"):
        assert wrong not in text, f"{wrong!r} in llmtrack {command or ''} --help"
    assert not re.search(r"\w \.(\s|$)", text), "a stray space before a full stop"
    command_object = typer.main.get_command(app)
    if command:
        command_object = command_object.commands[command]
    for param in command_object.params:
        for name in [*param.opts, *param.secondary_opts]:
            if name.startswith("-"):  # every option's name whole, where it can be read
                assert re.search(rf"(^|[ ,/]){re.escape(name)}([ ,]|$)", text, re.MULTILINE), (
                    f"{name} is not whole in llmtrack {command or ''} --help at {width}"
                )


def test_help_at_80_columns_keeps_descriptions_beside_their_options(cli):
    text = _help(cli, ["estimate"], 80)
    assert "  --mode MODE" in text and "--seq-len TOKENS" in text and "-o, --output FILE" in text
    # a name too long for the column has its line, and its description is not squeezed
    assert "  --gradient-checkpointing / --no-gradient-checkpointing\n" in text
    column = next(line for line in text.splitlines() if line.startswith("  --mode MODE"))
    assert column.index("inference") < 40  # the description starts left of the middle
    assert "USAGE\n  llmtrack estimate MODEL [OPTIONS]" in text
    assert "  llmtrack compare NAME... [OPTIONS]" in _help(cli, ["compare"], 80)


def test_help_at_60_columns_puts_descriptions_under_their_options(cli):
    text = _help(cli, ["fits"], 60)
    assert "\n  --vram SIZE\n      Memory of one card" in text


def test_every_command_shows_its_examples_in_one_style(cli):
    for command in COMMAND_NAMES:
        text = _help(cli, [command], 80)
        examples = text.split("\nEXAMPLES\n", 1)[1].splitlines()
        assert examples and all(line.startswith((f"  $ llmtrack {command}", "  $ llmtrack --",
                                                 "      ")) for line in examples), command  # fmt: skip


def test_the_root_help_lists_every_command_once_under_a_heading(cli):
    from llmtrack.cli.application import COMMAND_HEADINGS

    listed = [name for names in COMMAND_HEADINGS.values() for name in names]
    assert sorted(listed) == COMMAND_NAMES
    text = _help(cli, [], 80)
    for heading in COMMAND_HEADINGS:
        assert f"\n{heading.upper()}\n" in text
    for name in COMMAND_NAMES:
        assert re.search(rf"^  {name} +\S", text, re.MULTILINE), name


def test_help_headings_are_bold_on_a_colour_terminal_only(cli):
    assert "\x1b[1mOPTIONS\x1b[0m" in _help(cli, ["show"], 80, FORCE_COLOR="1")
    assert "\x1b[" not in _help(cli, ["show"], 80, NO_COLOR="1", FORCE_COLOR="1")


def test_a_long_example_is_continued_so_it_still_runs(cli):
    import shlex

    text = _help(cli, ["export"], 60)
    examples = text.split("\nEXAMPLES\n", 1)[1]
    joined = examples.replace(" \\\n      ", " ").splitlines()
    assert "  $ llmtrack export --format markdown --section projects -o model-spec.md" in joined
    for line in joined:  # every continued example is the command as written, word for word
        shlex.split(line.removeprefix("  $ "), comments=True)
    assert " \\\n      -o model-spec.md" in examples  # an option keeps its value


def test_a_docstrings_line_breaks_are_not_the_readers(cli):
    text = _help(cli, ["fits"], 120)
    # the docstring breaks after 'fits (--all-recipes'; at 120 columns the paragraph flows on
    assert "its highest precision that fits (--all-recipes for every one)" in text


# --- completion ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shell, installed, marker",
    [("zsh", ".zfunc/_llmtrack", "compdef"), ("fish", ".config/fish/completions/llmtrack.fish",
     "complete --command llmtrack"), ("bash", ".bash_completions/llmtrack.sh", "complete")],
)  # fmt: skip
def test_install_completion_honours_the_named_shell(tmp_path, shell, installed, marker):
    home = {"HOME": str(tmp_path), "SHELL": "/bin/bash"}  # run from bash, whatever is named
    result = run("--install-completion", shell, env=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{shell} completion installed in ")
    assert marker in (tmp_path / installed).read_text()
    others = {".zfunc", ".bash_completions", ".config"} - {installed.split("/")[0]}
    assert not [p for p in others if (tmp_path / p).exists()], "another shell's files written"
    shown = run(f"--show-completion={shell}", env=home)
    assert shown.returncode == 0 and marker in shown.stdout


def test_completion_for_an_unknown_shell_is_a_usage_error(tmp_path):
    result = run("--install-completion", "tcsh", env={"HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.startswith("Error: unknown shell 'tcsh': name one of bash, zsh")
    assert len(result.stderr.splitlines()) == 1 and not list(tmp_path.iterdir())


def _complete(line: str) -> list[str]:
    from typer.testing import CliRunner

    words = line.split(" ")
    env = {"_LLMTRACK_COMPLETE": "complete_bash", "COMP_WORDS": line,
           "COMP_CWORD": str(len(words) - 1)}  # fmt: skip
    return CliRunner().invoke(app, [], env=env, prog_name="llmtrack").stdout.split()


@pytest.mark.parametrize(
    "line, expected",
    [
        ("llmtrack list --format j", ["json", "jsonl"]),
        ("llmtrack list --method qlo", ["qlora"]),
        ("llmtrack estimate x --mode q", ["qlora"]),
        ("llmtrack estimate x --precision q4_k_", ["q4_k_s", "q4_k_m"]),
        ("llmtrack estimate x --engine v", ["vllm"]),
        ("llmtrack export --section pro", ["projects"]),
        ("llmtrack list --fields id,na", ["id,name"]),
        ("llmtrack list --fields al", ["aliases", "all"]),
        ("llmtrack bases --sort context_l", ["context_length"]),
        ("llmtrack fits --sort decode", ["decode_tokens_per_s"]),
        ("llmtrack gpus --fields memory_g", ["memory_gib"]),
    ],
)
def test_option_values_complete(line, expected):
    assert _complete(line) == expected
