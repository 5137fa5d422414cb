"""Every screen as a person sees it on a terminal at 120, 80 and 60 columns: nothing that
says which entry a row is, or whether it fits, is ever dropped; what is hidden is said."""

from __future__ import annotations

import re

import pytest

from llmtrack.output.env import Env
from llmtrack.output.table import render_table
from tests.terminal import on_a_terminal, on_a_terminal_with_stderr, visible

WIDTHS = [120, 80, 60]


def header_of(screen: str) -> list[str]:
    lines = visible(screen).splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("─"))
    return lines[rule - 1].split()


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize(
    "args, kept",
    [
        (("list",), ["id", "name"]),
        (("list", "--vram", "24GB"), ["id", "name"]),
        (("fits", "--gpu", "RTX 4090"), ["model", "params", "verdict"]),
        (("fits", "--vram", "24GB", "--all"), ["model", "verdict"]),
        (("gpus",), ["id"]),
        (("bases",), ["id", "params"]),
        (("techniques",), ["id", "name"]),
        (("search", "sharegpt"), ["id", "match"]),
        (("timeline",), ["month", "count", "chart"]),
    ],
)
def test_a_table_never_drops_what_says_which_row_it_is(args, kept, columns):
    code, screen = on_a_terminal(*args, columns=columns)
    assert code == 0
    header = header_of(screen)
    assert [c for c in kept if c in header] == kept, f"{args} at {columns}: {header}"
    lines = visible(screen).splitlines()
    assert all(len(line.rstrip()) <= columns for line in lines), "wider than the terminal"
    hidden = [line for line in lines if "hidden to fit" in line]
    if columns == 60 and args[0] in ("list", "fits", "gpus"):
        assert hidden, "columns were dropped without a word"
        assert "\x1b[2m" in screen  # the line is dim


def test_the_hidden_line_names_the_columns_and_how_to_get_them():
    rows = [{"id": "a", "name": "x", "wide_one": "y" * 30, "wide_two": "z" * 30}]
    text = render_table(rows, ["id", "name", "wide_one", "wide_two"], Env(True, 20), kept=["id"])
    said = " ".join(text.split())
    assert "2 columns hidden to fit: wide_one, wide_two" in said
    assert "--fields" in said and "--format tsv" in said


def test_ids_are_never_cut_on_a_narrow_terminal():
    code, screen = on_a_terminal("gpus", columns=60)
    assert code == 0
    from llmtrack import load_catalog

    shown = visible(screen)
    for gpu in load_catalog().gpus:
        assert re.search(rf"^{re.escape(gpu.id)} ", shown, re.MULTILINE), gpu.id
    assert "…" not in "".join(line.split()[0] for line in shown.splitlines()[2:] if line)


def test_numbers_are_right_aligned_with_one_count_of_decimals():
    rows = [{"id": "a", "peak": 21.15, "n": 7}, {"id": "b", "peak": 4.1, "n": 1024}]
    text = render_table(rows, ["id", "peak", "n"], Env(True, 80))
    lines = [line.rstrip() for line in text.splitlines() if line.startswith(("a ", "b "))]
    assert lines[0].endswith("21.15    7") and lines[1].endswith(" 4.10 1024")


def test_a_list_is_never_broken_at_a_comma():
    """A list wraps between its items; the column is never narrower than an item and its
    comma, so no item is cut and no line starts with the comma (what rich's fold did)."""
    items = ["sft", "quantization", "continued-pretraining", "lora"]
    rows = [{"id": "a", "methods": items, "note": "x " * 40}]
    for width in (30, 40, 60):
        text = render_table(rows, ["id", "methods", "note"], Env(True, width))
        lines = text.splitlines()
        start, end = lines[0].index("methods"), lines[0].find("note")
        rows_shown = [line for line in lines[2:] if line.startswith(("a ", "   "))]
        column = [line[start : end if end > 0 else None].strip() for line in rows_shown]
        assert " ".join(part for part in column if part) == ", ".join(items), text
        assert not [part for part in column if part.startswith(",")]
    short = render_table(
        [{"id": "a", "methods": ["sft", "lora"]}], ["id", "methods"], Env(True, 30)
    )
    assert "sft, lora" in short  # a short list stays on its line


def test_fits_says_the_card_once_on_a_terminal_and_on_stderr_in_a_pipe(cli):
    code, screen, stderr = on_a_terminal_with_stderr("fits", "--gpu", "RTX 4090", columns=120)
    assert code == 0
    assert "NVIDIA GeForce RTX 4090 (24 GiB)" in visible(screen)
    assert "RTX 4090" not in stderr
    piped = cli("fits", "--gpu", "RTX 4090")
    assert "NVIDIA GeForce RTX 4090 (24 GiB)" in piped.stderr
    assert piped.stderr.count("RTX 4090") == 1


# --- show and compare: pages of the right length ------------------------------------------


def test_show_in_a_pipe_neither_wraps_nor_pads_and_keeps_urls_whole(cli):
    text = cli("show", "phoenix", env={"COLUMNS": "60"}).stdout
    lines = text.splitlines()
    assert len(lines) < 70  # it was 104, most of them 'unknown'
    assert not [line for line in lines if line != line.rstrip()], "a padded line"
    from llmtrack import load_catalog

    phoenix = load_catalog().get("phoenix")
    for number, url in enumerate(phoenix.sources, 1):
        assert f"{number}. {url}" in lines
    assert any(len(line) > 60 for line in lines)  # prose is not wrapped to COLUMNS
    order = [text.index(heading) for heading in ("\nNotes\n", "\nCorrections", "\nSources\n")]
    assert order == sorted(order), "sources and corrections come last"


@pytest.mark.parametrize("columns", [80, 60])
def test_show_on_a_terminal_wraps_prose_and_links_urls_whole(columns):
    code, screen = on_a_terminal("show", "phoenix", columns=columns)
    assert code == 0
    links = re.findall(r"\x1b\]8;[^;]*;([^\x1b]+)\x1b\\", screen)
    assert "https://github.com/FreedomIntelligence/LLMZoo" in links  # a link (OSC 8), whole
    plain = re.sub(r"\x1b\]8;[^\x1b]*\x1b\\", "", visible(screen))
    long = [line for line in plain.splitlines() if len(line.rstrip()) > columns]
    assert all("https://" in line for line in long), long  # only a URL may run past the edge
    code, screen = on_a_terminal("show", "phoenix", columns=columns, env={"NO_COLOR": "1"})
    assert "\x1b" not in screen  # no colour, no link escapes


def test_show_gives_a_base_model_its_memory_at_a_glance(cli):
    import json

    text = cli("show", "llama-7b").stdout
    block = text.split("\nMemory", 1)[1].split("\n\n", 1)[0]
    estimate = json.loads(cli("estimate", "llama-7b", "--format", "json").stdout)
    weights = estimate["components"]["weights"]
    assert f"fp16 {weights:.1f} GiB" in block and "int8 " in block and "nf4 " in block
    assert "GiB per 1,000 tokens" in block
    assert "llmtrack estimate llama-7b --gpu NAME" in block
    assert "\nMemory" not in cli("show", "gpt-4").stdout  # closed weights: no estimate


@pytest.mark.parametrize("columns", [120, 80, 60])
def test_compare_of_three_projects_is_a_page_not_hundreds_of_lines(columns):
    code, screen = on_a_terminal("compare", "alpaca", "vicuna", "koala", columns=columns)
    assert code == 0
    lines = visible(screen).splitlines()
    assert len(lines) < 100  # 445 at 80 columns before
    assert all(len(line.rstrip()) <= columns for line in lines)
    assert "--long shows it whole" in visible(screen)
    code, whole = on_a_terminal("compare", "alpaca", "vicuna", "koala", "--long", columns=80)
    assert len(whole.splitlines()) > 2 * len(lines)


def test_compare_drops_rows_no_entry_has_and_picks_fields(cli):
    tsv = cli("compare", "alpaca", "vicuna", "--format", "tsv").stdout
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        assert any(cells[1:3]), f"a row neither entry has: {line}"
    picked = cli("compare", "alpaca", "vicuna", "--fields", "org,methods", "--format", "tsv")
    assert [line.split("\t")[0] for line in picked.stdout.splitlines()] == [
        "field",
        "org",
        "methods",
    ]
    every = cli("compare", "alpaca", "vicuna", "--fields", "all", "--format", "tsv").stdout
    assert len(every.splitlines()) > len(tsv.splitlines())
    wrong = cli("compare", "alpaca", "vicuna", "--fields", "nosuch")
    assert wrong.exit_code == 2 and "unknown field 'nosuch'" in wrong.stderr


# --- the pager ---------------------------------------------------------------------------

PAGER_SCRIPT = """import os, sys
text = sys.stdin.read()
with open(os.environ["PAGED_TO"], "w", encoding="utf-8") as out:
    out.write(text + "\\nARGS=" + repr(sys.argv[1:]) + " LESS=" + os.environ.get("LESS", "-"))
"""


@pytest.fixture
def stub_pager(tmp_path):
    import shlex
    import sys

    script = tmp_path / "pager.py"
    script.write_text(PAGER_SCRIPT, encoding="utf-8")
    paged = tmp_path / "paged.txt"
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} --flag"
    return command, paged


def test_output_taller_than_the_terminal_goes_through_the_pager(stub_pager):
    command, paged = stub_pager
    env = {"LLMTRACK_PAGER": command, "PAGED_TO": str(paged)}
    code, screen = on_a_terminal("list", columns=80, rows=10, env=env)
    assert code == 0
    assert "alpaca" not in visible(screen)  # the pager showed it, not llmtrack
    text = paged.read_text(encoding="utf-8")
    assert "alpaca" in text and "\x1b[36m" in text  # colour kept for less -R
    assert text.endswith("ARGS=['--flag'] LESS=FRX")  # split like a shell, LESS defaulted


@pytest.mark.parametrize(
    "args, env, rows",
    [
        (("list", "--no-pager"), {}, 10),  # asked not to
        (("--no-pager", "show", "vicuna"), {}, 10),
        (("show", "koala"), {}, 200),  # it fits the screen
        (("list",), {"LLMTRACK_PAGER": ""}, 10),  # none wanted
        (("list",), {"LLMTRACK_PAGER": "cat"}, 10),
    ],
)
def test_no_pager_when_asked_not_to_or_when_it_fits(stub_pager, args, env, rows):
    command, paged = stub_pager
    code, screen = on_a_terminal(
        *args, columns=80, rows=rows, env={"PAGER": command, "PAGED_TO": str(paged), **env}
    )
    assert code == 0
    assert not paged.exists()
    assert "─" in screen or "Sources" in screen


def test_pager_is_chosen_as_gh_does():
    from llmtrack.output.env import pager_command

    assert pager_command({}) == "less -FRX"
    assert pager_command({"PAGER": "most"}) == "most"
    assert pager_command({"PAGER": "most", "LLMTRACK_PAGER": "less -S"}) == "less -S"
    assert pager_command({"PAGER": " "}) is None


def test_never_a_pager_in_a_pipe(stub_pager, tmp_path):
    from tests.conftest import run

    command, paged = stub_pager
    result = run("list", "--format", "table", env={"PAGER": command, "PAGED_TO": str(paged),
                                                   "LINES": "5"})  # fmt: skip
    assert result.returncode == 0 and "alpaca" in result.stdout and not paged.exists()


def test_a_pager_that_cannot_start_is_one_warning_and_the_output(tmp_path):
    marker = tmp_path / "ran"
    env = {"LLMTRACK_PAGER": f"no-such-pager-xyz; touch {marker}"}
    code, screen, stderr = on_a_terminal_with_stderr("list", columns=80, rows=10, env=env)
    assert code == 0
    assert "alpaca" in visible(screen)
    assert stderr.startswith("warning: cannot start the pager 'no-such-pager-xyz; touch")
    assert len(stderr.splitlines()) == 1
    assert not marker.exists()  # no shell ran the rest of the line


# --- the timeline as a chart -------------------------------------------------------------


def test_timeline_bars_fill_the_room_left_and_never_wrap():
    longest = {}
    for columns in WIDTHS:
        code, screen = on_a_terminal("timeline", "--since", "2024", columns=columns)
        assert code == 0
        lines = visible(screen).splitlines()
        assert all(len(line.rstrip()) <= columns for line in lines)
        assert not [line for line in lines if line.strip() and set(line.strip()) == {"█"}]
        rows = [line for line in lines if re.match(r"^\d{4}-\d\d ", line)]
        matches = [re.match(r"^\S+\s+(\d+)", line) for line in rows]
        assert all(matches)
        assert len({m.end(1) for m in matches if m}) == 1, "counts are right-aligned"
        longest[columns] = max(line.count("█") for line in rows)
    assert longest[60] < longest[80] < longest[120]
    assert any(line.split()[1] == "0" for line in rows)  # a quiet month is there, with 0


def test_bars_are_sized_to_the_room_left():
    rows = [{"m": "a", "n": 4}, {"m": "b", "n": 2}, {"m": "c", "n": 0}]
    text = render_table(rows, ["m", "n", "bar"], Env(True, 40), kept=["m"], bars={"bar": "n"})
    lines = [line.rstrip() for line in text.splitlines()[2:]]
    assert lines[0].count("█") == 40 - len("a 4 ")  # the room the two columns leave
    assert lines[1].count("█") == round(lines[0].count("█") / 2)
    assert "█" not in lines[2]


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize(
    "args",
    [
        ("reproduce", "alpaca", "--gpu", "RTX 4090"),
        ("estimate", "llama-3-8b", "--precision", "q4_k_m", "--gpu", "RTX 4090"),
        ("show", "llama-7b"),
        ("refs",),
        ("stages",),
    ],
)
def test_every_view_reads_at_the_terminals_width(args, columns):
    code, screen = on_a_terminal(*args, columns=columns)
    assert code == 0
    plain = re.sub(r"\x1b\]8;[^\x1b]*\x1b\\", "", visible(screen))
    long = [line for line in plain.splitlines() if len(line.rstrip()) > columns]
    assert all("https://" in line for line in long), long


def test_show_keeps_a_space_after_a_key_longer_than_its_column(cli):
    text = cli("show", "vicuna").stdout
    long = [
        line for line in text.splitlines() if line.startswith("variants[1].cost.training_bound")
    ]
    assert long and long[0].startswith("variants[1].cost.training_bound  ")


def _words(text: str) -> set[str]:
    cells = (cell for line in text.splitlines() for cell in re.split(r"\t| \| ", line))
    return {word.strip("|*") for cell in cells for word in cell.split()}


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize(
    "args",
    [
        ("techniques",),
        ("list",),
        ("stages",),
        ("compare", "alpaca", "vicuna", "koala"),
        ("compare", "llama-7b", "llama-2-7b", "mistral-7b"),
    ],
)
def test_no_column_folds_a_word(cli, args, columns):
    """Every word on the screen is a word of the data (or cut with an ellipsis): a column
    too narrow for a word ("parameter-efficien|t", "text-davinci-00|3") is widened or
    dropped, never folded."""
    code, screen = on_a_terminal(*args, columns=columns)
    assert code == 0
    data = _words(cli(*args, "--format", "markdown").stdout)
    if args[0] != "compare":
        data |= _words(cli(*args, "--format", "markdown", "--fields", "all").stdout)
    notes = (" hidden to fit:", "highlighted: fields", "long text cut")  # the dim lines below
    lines = visible(screen).splitlines()
    lines = lines[
        : next((i for i, line in enumerate(lines) if any(n in line for n in notes)), None)
    ]
    shown = {word.rstrip(",") for line in lines for word in line.split()}
    folded = {
        word
        for word in shown
        if "…" not in word and "─" not in word and word != "*"
        and word not in data and f"{word}," not in data and len(word) < 30
    }  # fmt: skip
    assert not folded, f"{args} at {columns}: {sorted(folded)[:10]}"


def test_compare_marks_what_differs_with_and_without_colour():
    code, coloured = on_a_terminal("compare", "alpaca", "vicuna", columns=80)
    assert code == 0 and "\x1b[1;33m" in coloured and "highlighted: fields that differ" in coloured
    code, plain = on_a_terminal("compare", "alpaca", "vicuna", columns=80, env={"NO_COLOR": "1"})
    lines = visible(plain).splitlines()
    assert "\x1b[" not in plain and "* marks the fields that differ" in plain
    assert any(line.startswith("* org ") for line in lines)  # the two orgs differ
    assert any(line.startswith("  methods ") for line in lines)  # both are sft


def test_estimate_wraps_an_assumption_under_its_text_on_a_terminal(cli):
    code, screen = on_a_terminal("estimate", "qwen-7b", columns=80)
    assert code == 0
    lines = visible(screen).splitlines()
    below = lines[lines.index("Assumptions") + 1 :]
    assert all(len(line) <= 80 for line in below)
    assert all(line.startswith(("- ", "  ")) for line in below if line.strip())
    assert any(line.startswith("  ") and line.strip() for line in below)  # something wrapped
    piped = cli("estimate", "qwen-7b").stdout
    assert all(line.startswith("- ") for line in piped.split("Assumptions\n")[1].splitlines())


@pytest.mark.parametrize("columns", [80, 60, 50, 40])
def test_estimate_bars_take_the_room_left_and_are_never_cut(columns):
    """A bar cut with an ellipsis misreads as a smaller share."""
    code, screen = on_a_terminal("estimate", "qwen-7b", "--measure", "allocated",
                                 columns=columns)  # fmt: skip
    assert code == 0
    table = visible(screen).split("Assumptions")[0].splitlines()[1:]
    assert all(len(line.rstrip()) <= columns for line in table)
    bars = [line for line in table if "█" in line]
    assert bars and not any("…" in line for line in bars)
    peak = next(line for line in bars if "peak" in line)
    weights = next(line for line in bars if "weights" in line)
    assert peak.count("█") >= weights.count("█")
