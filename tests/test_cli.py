"""Each command as a user sees it: TSV in a pipe, JSON for scripts, a table on a terminal."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.conftest import run
from tests.terminal import on_a_terminal, visible

# Projects of the awesome list trained on LLaMA-7B, as their own sources state (Phoenix is
# not one: the list says LLaMA, but Phoenix is BLOOMZ; Koala is 13B only).
ON_LLAMA_7B = {
    "alpaca",
    "belle-llama",
    "alpaca-lora",
    "gpt4all",
    "chinese-llama-alpaca",
    "llama-adapter",
    "vicuna",
    "baize",
    "stackllama",
    "llama-gpt4",
    "colossalchat",
    # since spring 2023
    "guanaco",
    "wizardlm",
}


def tsv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def test_list_base_llama_7b_lists_every_project_built_on_it(cli):
    result = cli("list", "--base", "LLaMA-7B")
    assert result.exit_code == 0
    rows = tsv_rows(result.stdout)
    assert {row["id"] for row in rows} == ON_LLAMA_7B
    alpaca = next(row for row in rows if row["id"] == "alpaca")
    assert alpaca["base_models"] == "llama-7b"
    assert alpaca["hardware"] == "8x a100-80gb, 3h"
    assert alpaca["cost.total_usd"] == "600"


@pytest.mark.parametrize("spelling", ["LLaMA-7B", "llama 7b", "llama_7b", "llama7b", "LLAMA-7b"])
def test_base_names_are_matched_forgivingly(cli, spelling):
    result = cli("list", "--base", spelling, "--fields", "id")
    assert {row["id"] for row in tsv_rows(result.stdout)} == ON_LLAMA_7B


def test_a_family_name_selects_every_size_of_the_line(cli):
    ids = {row["id"] for row in tsv_rows(cli("list", "--base", "llama", "--fields", "id").stdout)}
    on_llama_2 = {"wizardlm", "orca-2", "tulu-2", "vicuna-v1.5"}
    on_llama_3_1 = {"tulu-3", "simplerl-zoo"}  # SimpleRL-Zoo trained Llama-3.1-8B among others
    # Meta's Llama line, all generations
    assert ids == ON_LLAMA_7B | {"koala"} | on_llama_2 | on_llama_3_1
    one = {row["id"] for row in tsv_rows(cli("list", "--base", "llama 2", "--fields", "id").stdout)}
    assert one == on_llama_2  # a versioned name is one generation


def test_a_family_filter_follows_the_line_too(cli):
    ids = {
        row["id"] for row in tsv_rows(cli("bases", "--family", "llama", "--fields", "id").stdout)
    }
    assert {"llama-7b", "llama-2-70b", "llama-3.1-8b", "llama-3.3-70b"} <= ids
    assert not any(i.startswith("codellama") for i in ids)  # Code Llama is its own family
    gen = {
        row["id"]
        for row in tsv_rows(cli("bases", "--family", "llama 3.1", "--fields", "id").stdout)
    }
    assert gen == {"llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"}
    t5 = {row["id"] for row in tsv_rows(cli("bases", "--family", "t5", "--fields", "id").stdout)}
    assert not any(i.startswith("flan") for i in t5)


def test_list_filters_by_method_and_org(cli):
    rlhf = {row["id"] for row in tsv_rows(cli("list", "--method", "rlhf", "--fields", "id").stdout)}
    assert {"stackllama", "deepspeed-chat", "colossalchat"} <= rlhf
    assert "alpaca" not in rlhf
    databricks = tsv_rows(cli("list", "--org", "databricks", "--fields", "id").stdout)
    assert {row["id"] for row in databricks} == {"dolly-v1", "dolly-v2"}


def test_list_json_is_the_scripting_contract(cli):
    result = cli("list", "--format", "json")
    projects = json.loads(result.stdout)
    assert len(projects) >= 22
    for project in projects:
        assert {"id", "name", "base_models", "sources"} <= set(project)
        assert isinstance(project["base_models"], list)
    vicuna = next(p for p in projects if p["id"] == "vicuna")
    assert vicuna["training"]["gpu"] == "a100-80gb"
    assert vicuna["cost"]["training_usd"] == 300


@pytest.mark.parametrize("command", ["list", "bases", "refs", "stages", "techniques", "gpus"])
def test_every_listing_command_prints_tsv_and_json(cli, command):
    tsv = cli(command)
    assert tsv.exit_code == 0
    rows = tsv_rows(tsv.stdout)
    assert rows and "id" in rows[0]
    assert "\x1b[" not in tsv.stdout  # no colour codes in a pipe
    data = json.loads(cli(command, "--format", "json").stdout)
    assert [item["id"] for item in data] == [row["id"] for row in rows]
    assert all(item["name"] for item in data)


def test_bases_filters_and_sorts(cli):
    rows = tsv_rows(cli("bases", "--family", "pythia", "--sort", "-params").stdout)
    assert rows[0]["id"] == "pythia-12b" and rows[-1]["id"] == "pythia-70m"
    closed = {row["id"] for row in tsv_rows(cli("bases", "--closed").stdout)}
    assert {"gpt-4", "palm-540b", "chinchilla-70b"} <= closed
    assert "llama-7b" not in closed


def test_sort_puts_unknown_values_last(cli):
    rows = tsv_rows(cli("list", "--sort", "cost.total_usd", "--fields", "id,cost.total_usd").stdout)
    costs = [row["cost.total_usd"] for row in rows]
    known = [float(c) for c in costs if c]
    assert known == sorted(known)
    assert costs.index("") == len(known)  # blanks only after every known cost


def test_fields_and_limit_shape_the_output(cli):
    result = cli("gpus", "--fields", "id,memory_gib", "--limit", "2", "--format", "csv")
    assert result.stdout.splitlines()[0] == "id,memory_gib"
    assert len(result.stdout.splitlines()) == 3


def test_gpus_min_memory(cli):
    rows = tsv_rows(cli("gpus", "--min-memory", "40GB", "--fields", "id,memory_gib").stdout)
    assert rows and all(float(row["memory_gib"]) >= 40 for row in rows)
    assert "t4" not in {row["id"] for row in rows}


def test_stages_show_the_projects_that_use_them(cli):
    stages = {s["id"]: s for s in json.loads(cli("stages", "--format", "json").stdout)}
    assert "stackllama" in stages["rlhf"]["projects"]
    assert "alpaca" in stages["sft"]["projects"]


def test_show_vicuna_shows_its_facts_and_sources(cli):
    result = cli("show", "vicuna")
    assert result.exit_code == 0
    text = result.stdout
    for expected in (
        "Vicuna",
        "llama-7b, llama-13b",
        "ShareGPT",
        "a100-80gb",
        "$300",
        "Corrections to the awesome list",
        "https://lmsys.org/blog/2023-03-30-vicuna/",
    ):
        assert expected in text


def test_show_json_is_one_object_with_derived_links(cli):
    data = json.loads(cli("show", "LLaMA 7B", "--format", "json").stdout)
    assert data["id"] == "llama-7b" and data["section"] == "base_models"
    assert data["architecture"]["layers"] == 32
    assert "alpaca" in data["projects"]


def test_show_hides_empty_fields_and_all_shows_them_as_unknown(cli):
    text = cli("show", "gpt-4").stdout
    fields = text.split("\nNotes\n")[0]
    assert "\nparams " not in fields and "unknown" not in fields
    assert "empty fields hidden (--all shows them)" in text
    everything = cli("show", "gpt-4", "--all").stdout
    assert re.search(r"^params +unknown$", everything, re.MULTILINE)
    assert "hidden" not in everything.split("Notes")[0]


# --- errors as the user sees them --------------------------------------------------


def test_a_confident_typo_is_used_and_said(cli):
    result = cli("show", "koalla")
    assert result.exit_code == 0
    assert result.stdout.startswith("Koala  koala")
    assert result.stderr == "using koala for 'koalla'\n"


def test_an_unknown_name_is_one_line_with_suggestions(cli):
    result = cli("show", "vicunaa-chat")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: unknown name 'vicunaa-chat'; did you mean: vicuna")
    assert result.stderr.count("\n") == 1


def test_an_ambiguous_family_asks_which_one(cli):
    result = cli("show", "llama")
    assert result.exit_code == 1
    assert "ambiguous" in result.stderr and "llama-7b" in result.stderr


def test_an_unknown_base_model_is_a_runtime_error(cli):
    result = cli("list", "--base", "lama-7x")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown base model 'lama-7x'")


@pytest.mark.parametrize(
    "args, message",
    [
        (["bases", "--format", "banana"], "unknown format 'banana'"),
        (
            ["bases", "--sort", "weight"],
            "unknown sort key 'weight'; did you mean: weights_format? --fields all shows every key",
        ),
        (
            ["bases", "--fields", "id,colour"],
            "unknown field 'colour'; --fields all shows every key",
        ),
        (["list", "--method", "magic"], "unknown method 'magic'"),
        (["gpus", "--min-memory", "banana"], "invalid memory size 'banana'"),
        (["bases", "--limit", "-1"], "--limit"),
    ],
)
def test_bad_option_values_are_usage_errors(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_an_empty_result_is_a_success_said_on_stderr(cli):
    result = cli("list", "--org", "no such org", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert result.stderr == "No projects match.\n"


# --- output files ------------------------------------------------------------------


def test_output_file_is_written_and_never_overwritten_without_force(cli, tmp_path):
    target = tmp_path / "bases.json"
    assert cli("bases", "--format", "json", "-o", str(target)).exit_code == 0
    assert json.loads(target.read_text())[0]["id"] == "gpt-j-6b"
    target.write_text("keep me")
    refused = cli("bases", "--format", "json", "-o", str(target))
    assert refused.exit_code == 1
    assert "already exists; use --force" in refused.stderr
    assert target.read_text() == "keep me"
    assert cli("bases", "-o", str(target), "--force").exit_code == 0
    assert json.loads(target.read_text())[0]["id"] == "gpt-j-6b"
    assert [p.name for p in tmp_path.iterdir()] == ["bases.json"]  # no temporary file left


def test_output_into_a_missing_folder_fails_cleanly(cli, tmp_path):
    result = cli("bases", "-o", str(tmp_path / "missing" / "out.tsv"))
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()


def test_output_dash_means_stdout(cli):
    assert cli("gpus", "-o", "-", "--fields", "id").stdout.startswith("id\n")


# --- as a real process ---------------------------------------------------------------


def test_no_command_shows_the_help():
    result = run()
    assert result.returncode == 0
    assert "USAGE\n  llmtrack COMMAND" in result.stdout and "estimate" in result.stdout
    assert result.stderr == ""


def test_python_dash_m_and_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("llmtrack ")


def test_version_says_how_far_the_data_goes(catalog):
    from llmtrack.timeline import newest_by_section

    line = run("--version").stdout.splitlines()[1]
    newest = newest_by_section(catalog)
    assert line.startswith("bundled data, newest entry per section: ")
    assert (
        f"base models {newest['base_models']}" in line and f"projects {newest['projects']}" in line
    )


def test_a_closed_pipe_is_quiet():
    import subprocess
    import sys

    producer = subprocess.Popen(
        [sys.executable, "-m", "llmtrack", "bases", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = producer.stdout.readline()
    producer.stdout.close()  # like `| head -1`
    _, stderr = producer.communicate(timeout=60)
    assert first.strip() == b"["
    assert stderr == b""
    assert producer.returncode == 0


def test_errors_in_a_real_process_have_no_traceback():
    result = run("show", "no-such-model")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: unknown name")
    assert "Traceback" not in result.stderr


def test_a_terminal_gets_a_table():
    code, screen = on_a_terminal("list", "--base", "llama-7b")
    assert code == 0
    assert "\t" not in screen  # not TSV
    assert "─" in screen  # a rich table rule
    assert "alpaca-lora" in screen and "8x a100-80gb, 3h" in screen
    assert "variant" in screen  # --base: the run on that base, named
    code, screen = on_a_terminal("list")
    assert "base_models" in screen


@pytest.mark.parametrize(
    "command, expected",
    [
        ("bases", "llama-7b"),
        ("refs", "lora-paper"),
        ("stages", "rlhf"),
        ("techniques", "zero-3"),
        ("gpus", "rtx-4090"),
    ],
)
def test_every_listing_command_is_a_table_on_a_terminal(command, expected):
    code, screen = on_a_terminal(command)
    assert code == 0
    assert "─" in screen and "\t" not in screen
    assert expected in screen


def test_a_narrow_terminal_keeps_the_id_whole():
    code, screen = on_a_terminal("list", columns=60)
    assert code == 0
    lines = [line.rstrip() for line in visible(screen).splitlines()]
    assert any(line.lstrip().startswith("chinese-llama-alpaca") for line in lines)
    assert all(len(line) <= 60 for line in lines)


# --- dates: --since/--until on every section, and the timeline ---------------------------


@pytest.mark.parametrize(
    "command, since, expected, excluded",
    [
        ("list", "2023-06", {"zephyr", "orca-2", "tulu-2", "vicuna-v1.5"}, {"alpaca", "vicuna"}),
        ("bases", "2023-06", {"llama-2-7b", "mistral-7b", "qwen2.5-7b"}, {"llama-7b"}),
        ("refs", "2024", {"orpo-paper", "dora-paper"}, {"lora-paper"}),
        ("stages", "2023", {"dpo", "orpo"}, {"sft", "rlhf"}),
        ("techniques", "2024", {"dora"}, {"lora", "qlora-nf4"}),
        ("gpus", "2023", {"l4"}, {"t4", "rtx-3090"}),
    ],
)
def test_since_filters_every_section(cli, command, since, expected, excluded):
    ids = {row["id"] for row in tsv_rows(cli(command, "--since", since, "--fields", "id").stdout)}
    assert expected <= ids
    assert not ids & excluded


def test_until_bounds_from_above(cli):
    ids = {row["id"] for row in tsv_rows(cli("stages", "--until", "2023", "--fields", "id").stdout)}
    # ORPO's paper is from March 2024; model merging's first reference (model soups) is 2022
    assert ids == {"sft", "rm", "rlhf", "dpo", "merging"}


def test_timeline_counts_releases_by_month(cli, catalog):
    rows = json.loads(cli("timeline", "--since", "2023-06", "--format", "json").stdout)
    months = [row["month"] for row in rows]
    # a date known only to its year ("2026") sits in "2026-??", before January
    assert months == sorted(months, key=lambda m: m.replace("??", "00"))
    assert months[0] >= "2023-06"
    july = next(row for row in rows if row["month"] == "2023-07")
    assert {"llama-2-7b", "llama-2-13b", "llama-2-70b"} <= set(july["ids"])
    assert july["count"] == july["base_models"] + july["projects"] == len(july["ids"])
    dated = [
        entry
        for entry in [*catalog.base_models, *catalog.projects]
        if entry.released and entry.released[:7] >= "2023-06"
    ]
    assert sum(row["count"] for row in rows) == len(dated)


def test_timeline_by_year_for_one_section_draws_a_chart(cli):
    rows = json.loads(
        cli("timeline", "--section", "references", "--by", "year", "-f", "json").stdout
    )
    assert {"year", "count", "ids"} == set(rows[0])
    assert "lora-paper" in next(row for row in rows if row["year"] == "2021")["ids"]
    table = cli("timeline", "--since", "2023", "--format", "table").stdout
    assert "█" in table and "2023-03" in table


def test_timeline_says_what_it_leaves_out(cli):
    result = cli("timeline")
    assert "with no known date are left out" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (("timeline", "--section", "banana"), "unknown section 'banana'"),
        (("timeline", "--by", "week"), "choose from: month, year"),
        (("timeline", "--since", "2023-13"), "2023-13"),
    ],
)
def test_timeline_refuses_bad_options(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_show_dates_a_stage_and_leaves_out_features_a_model_lacks(cli):
    stage = cli("show", "dpo").stdout
    assert "paper date" in stage and "2023-05-29" in stage
    dense = cli("show", "llama-7b").stdout
    assert "sliding_window" not in dense and "experts" not in dense
    moe = cli("show", "mixtral-8x7b").stdout
    assert "12.9B" in moe  # active_params, formatted as a count
    assert "architecture.experts_per_token" in moe


# --- colour: on a terminal it is there, with NO_COLOR (or in a pipe) it is not -------------

CYAN, BOLD_YELLOW = "\x1b[36m", "\x1b[1;33m"


@pytest.mark.slow
@pytest.mark.parametrize("columns", [120, 80, 60])
def test_a_terminal_table_is_in_colour_at_every_width(columns):
    code, screen = on_a_terminal("list", "--base", "llama-7b", columns=columns)
    assert code == 0
    assert CYAN in screen  # the id column
    assert all(len(line.rstrip()) <= columns for line in visible(screen).splitlines())


@pytest.mark.slow
def test_compare_highlights_the_fields_that_differ_on_a_terminal():
    code, screen = on_a_terminal("compare", "alpaca", "vicuna")
    assert code == 0
    assert BOLD_YELLOW in screen
    differing = [line for line in screen.splitlines() if BOLD_YELLOW in line]
    assert any("org" in visible(line) for line in differing)


@pytest.mark.slow
def test_search_highlights_the_match_on_a_terminal():
    code, screen = on_a_terminal("search", "sharegpt")
    assert code == 0
    assert BOLD_YELLOW in screen


@pytest.mark.slow
@pytest.mark.parametrize(
    "args", [("list",), ("compare", "alpaca", "vicuna"), ("search", "sharegpt"), ("show", "vicuna")]
)
def test_no_color_removes_every_escape_on_a_terminal(args):
    code, screen = on_a_terminal(*args, env={"NO_COLOR": "1"})
    assert code == 0
    assert "\x1b[" not in screen
    assert "─" in screen or "Sources" in screen  # still the terminal layout, only plainer


@pytest.mark.slow
def test_show_and_estimate_are_in_colour_on_a_terminal():
    for args in (("show", "vicuna"), ("estimate", "llama-7b", "--vram", "24GB")):
        code, screen = on_a_terminal(*args)
        assert code == 0
        assert "\x1b[1m" in screen  # the bold title


def test_force_color_colours_a_pipe_and_no_color_wins(cli):
    coloured = cli("list", "--base", "llama-7b", "--format", "table", env={"FORCE_COLOR": "1"})
    assert CYAN in coloured.stdout
    plain = cli(
        "list", "--base", "llama-7b", "--format", "table", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}
    )
    assert "\x1b[" not in plain.stdout


def test_the_environment_decides_colour_once():
    from llmtrack.output.env import Env

    class Terminal:
        encoding = "utf-8"

        def isatty(self):
            return True

        def fileno(self):
            raise OSError

    assert Env.detect(Terminal(), {"TERM": "xterm"}).colour
    assert not Env.detect(Terminal(), {"TERM": "xterm", "NO_COLOR": "1"}).colour
    assert not Env.detect(Terminal(), {"TERM": "dumb"}).colour
    assert Env.detect(Terminal(), {"TERM": "dumb", "FORCE_COLOR": "1"}).colour
    assert Env.detect(Terminal(), {"COLUMNS": "61"}).width == 61


def test_json_in_a_pipe_is_one_object_per_line_and_indented_on_a_terminal(cli):
    piped = cli("gpus", "--format", "json").stdout
    lines = piped.splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    assert all(line.startswith("  {") for line in lines[1:-1])
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == json.loads(piped)
    code, screen = on_a_terminal("gpus", "--format", "json")
    assert code == 0
    assert '\n    "id": "t4",' in visible(screen).replace("\r\n", "\n")
