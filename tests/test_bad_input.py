"""Bad input, end to end, as a real process: one clear stderr line (or one per catalog
problem), the documented exit code, no traceback, and no file changed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run

BROKEN_CATALOG = "gpus:\n- id: x\n  name: [unclosed\n"

# (what, arguments, exit code, the stderr's last line must start with this)
MATRIX = [
    # malformed and hostile values
    (
        "vram word",
        ["fits", "--vram", "banana"],
        2,
        "Error: invalid memory size 'banana'; e.g. 24GB",
    ),
    ("vram negative", ["fits", "--vram", "-24GB"], 2, "Error: invalid memory size '-24GB'"),
    (
        "vram zero",
        ["fits", "--vram", "0GB"],
        2,
        "Error: invalid memory size '0GB': it must be more than zero",
    ),
    ("vram nan", ["fits", "--vram", "nan"], 2, "Error: invalid memory size 'nan'"),
    (
        "epochs nan",
        ["estimate", "llama-7b", "--mode", "lora", "--epochs", "nan"],
        2,
        "Error: Invalid value for '--epochs': 'nan' is not a number from 0.001 to 1,000,000",
    ),
    (
        "epochs word",
        ["estimate", "llama-7b", "--mode", "lora", "--epochs", "three"],
        2,
        "Error: Invalid value for '--epochs': 'three' is not a number",
    ),
    ("vram exponent", ["fits", "--vram", "1e3GB"], 2, "Error: invalid memory size '1e3GB'"),
    ("vram huge", ["fits", "--vram", "9" * 400], 2, "Error: invalid memory size"),
    ("vram arabic digits", ["fits", "--vram", "٢٤GB"], 2, "Error: invalid memory size"),
    ("vram shell junk", ["fits", "--vram", "24GB; rm -rf /"], 2, "Error: invalid memory size"),
    ("params word", ["bases", "--params", "lots"], 2, "Error: invalid parameter count 'lots'"),
    (
        "params reversed",
        ["bases", "--params", "13B..6B"],
        2,
        "Error: invalid parameter range '13B..6B'",
    ),
    ("params empty range", ["bases", "--params", ".."], 2, "Error: invalid parameter range"),
    ("max cost word", ["list", "--max-cost", "cheap"], 2, "Error: invalid amount 'cheap'"),
    ("max cost negative", ["list", "--max-cost", "-5"], 2, "Error: invalid amount '-5'"),
    ("date", ["list", "--since", "March 2023"], 2, "Error: invalid date 'March 2023'"),
    ("limit", ["bases", "--limit", "-3"], 2, "Error: Invalid value for '--limit'"),
    ("format", ["bases", "--format", "xml"], 2, "Error: unknown format 'xml'"),
    ("method", ["list", "--method", "magic"], 2, "Error: unknown method 'magic'"),
    ("mode", ["estimate", "llama-7b", "--mode", "pretrain"], 2, "Error: unknown mode 'pretrain'"),
    (
        "precision",
        ["estimate", "llama-7b", "--precision", "fp12"],
        2,
        "Error: unknown precision 'fp12'",
    ),
    # unknown keys and names
    (
        "sort key",
        ["bases", "--sort", "weight"],
        2,
        "Error: unknown sort key 'weight'; did you mean: weights_format? --fields all shows every key",
    ),
    (
        "fields",
        ["list", "--fields", "id,colour"],
        2,
        "Error: unknown field 'colour'; --fields all shows every key",
    ),
    ("unknown name", ["show", "no-such-model"], 1, "Error: unknown name 'no-such-model'"),
    ("ambiguous name", ["show", "llama"], 1, "Error: 'llama' is ambiguous; which one:"),
    ("unknown base", ["list", "--base", "lama-99b"], 1, "Error: unknown base model 'lama-99b'"),
    ("unknown gpu", ["fits", "--gpu", "voodoo 5"], 1, "Error: unknown GPU 'voodoo 5'"),
    ("closed model", ["estimate", "gpt-4"], 1, "Error: GPT-4 has no published architecture"),
    ("unknown command", ["lsit"], 2, "Error: No such command 'lsit'"),
    (
        "home of no one",  # found by test_properties: expanduser raised RuntimeError
        ["estimate", "~nosuchuser0/config.json"],
        2,
        "Error: ~nosuchuser0/config.json: no such file (no home folder for that user)",
    ),
    ("name too long for a path", ["estimate", "x" * 5000], 1, "Error: unknown model 'xxx"),
    (
        "path too long",
        ["estimate", "./" + "x" * 5000 + ".json"],
        2,
        "Error: ./" + "x" * 58 + "...: cannot be read as a path (File name too long)",
    ),
    (
        "unknown stack",
        ["estimate", "llama-7b", "--mode", "lora", "--stack", "keras"],
        2,
        "Error: unknown stack 'keras'",
    ),
    (
        "unknown measure",
        ["estimate", "llama-7b", "--measure", "htop"],
        2,
        "Error: unknown measure 'htop'; choose from: nvidia-smi, reserved, allocated",
    ),
    (
        "packed inference",
        ["estimate", "llama-7b", "--packed"],
        2,
        "Error: --packed says how a fine-tune trains: give --mode lora, qlora or full",
    ),
]


@pytest.mark.parametrize("what, args, code, message", MATRIX, ids=[m[0] for m in MATRIX])
def test_bad_values_names_and_keys(what, args, code, message):
    result = run(*args)
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(message)


# --- broken catalog files, each refused as issue 6 describes -------------------------------


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("syntax.yaml", BROKEN_CATALOG.encode(), "YAML syntax"),
        (
            "types.yaml",
            b"gpus:\n- id: x\n  name: X\n  memory_gib: lots\n  sources: [https://e.org]\n",
            "x.memory_gib",
        ),
        (
            "keys.yaml",
            b"gpus:\n- id: x\n  name: X\n  memory_gib: 8\n  hue: red\n  sources: [https://e.org]\n",
            "x.hue: unknown key",
        ),
        (
            "dup.yaml",
            b"gpus:\n- id: x\n  name: X\n  name: Y\n  memory_gib: 8\n  sources: [https://e.org]\n",
            "duplicate key",
        ),
        (
            "dangling.yaml",
            b"projects:\n- id: p\n  name: P\n  base_models: [nope]\n  sources: [https://e.org]\n",
            "unknown base model id 'nope'",
        ),
        ("tag.yaml", b"gpus:\n- id: !!python/object:os.system x\n", "is not allowed"),
        ("binary.yaml", bytes(range(256)), "a binary file"),
        ("latin1.yaml", "gpus:\n- id: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_broken_catalog_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = run("--catalog", str(path), "gpus")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(str(path)) and message in lines[0]
    assert lines[-1].startswith(f"Error: invalid catalog file {path}")
    assert path.read_bytes() == content


def test_an_alias_bomb_and_a_huge_file(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for n, name in enumerate("bcdefgh"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{'abcdefgh'[n]}"] * 10) + "]")
    bomb.write_text("\n".join(lines) + "\n")
    result = run("--catalog", str(bomb), "gpus")
    assert result.returncode == 1 and "aliases expand this file" in result.stderr
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"#" * (21 * 1024**2))
    result = run("--catalog", str(huge), "gpus")
    assert result.returncode == 1 and "over the 20 MiB limit" in result.stderr


# --- output files ---------------------------------------------------------------------------


def test_output_into_a_missing_folder(tmp_path):
    result = run("bases", "-o", str(tmp_path / "no" / "such" / "out.tsv"))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot write") and "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_output_onto_an_existing_file_without_force(tmp_path):
    target = tmp_path / "out.tsv"
    target.write_text("precious")
    result = run("bases", "-o", str(target))
    assert result.returncode == 1
    assert result.stderr == f"Error: {target} already exists; use --force to overwrite it\n"
    assert target.read_text() == "precious"


def test_output_onto_a_directory(tmp_path):
    result = run("bases", "-o", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == f"Error: cannot write {tmp_path}: it is a directory\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_output_into_a_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run("bases", "-o", str(folder / "out.tsv"))
    finally:
        folder.chmod(0o755)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: cannot write {folder / 'out.tsv'}: Permission denied")
    assert list(folder.iterdir()) == []


def test_output_into_a_folder_that_refuses_files():
    # /proc refuses new files even to root: the same path as a read-only folder
    result = run("bases", "-o", "/proc/llmtrack-out.tsv")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot write /proc/llmtrack-out.tsv")
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk():
    written = run("bases", "-o", "/dev/full")
    assert written.returncode == 1
    assert written.stderr == "Error: cannot write /dev/full: No space left on device\n"
    with open("/dev/full", "w") as full:
        piped = run("bases", stdout=full)
    assert piped.returncode == 1
    assert piped.stderr == "Error: cannot write the output: No space left on device\n"
    assert Path("/dev/full").is_char_device()  # still the device: never renamed over


@pytest.mark.parametrize("args", [["list"], ["export", "--format", "yaml"]])
def test_a_closed_pipe_is_quiet(args):
    """`llmtrack list | head -1` and a large export into head: no Broken pipe noise."""
    producer = subprocess.Popen(
        f"{sys.executable} -m llmtrack {' '.join(args)} | head -1",
        shell=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = producer.communicate(timeout=60)
    assert len(out.splitlines()) == 1
    assert err == b""


def test_ctrl_c_mid_output_exits_130_without_a_traceback():
    process = subprocess.Popen(
        [sys.executable, "-m", "llmtrack", "export", "--format", "yaml"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.read(1000)  # it has started writing; the pipe fills and it blocks
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err


# --- terminals and locales -------------------------------------------------------------------


@pytest.mark.parametrize(
    "env",
    [{"NO_COLOR": "1"}, {"TERM": "dumb"}, {"COLUMNS": "40"}, {"LC_ALL": "C", "LANG": "C"}],
    ids=["NO_COLOR", "TERM=dumb", "COLUMNS=40", "LC_ALL=C"],
)
def test_environments_and_cjk(env):
    shown = run("show", "baize", env=env)
    assert shown.returncode == 0
    assert "白泽" in shown.stdout
    assert shown.stderr == ""
    searched = run("search", "流萤", env=env)
    assert searched.returncode == 0 and "firefly" in searched.stdout


def test_a_narrow_dumb_colourless_terminal():
    from tests.test_cli import on_a_terminal

    code, screen = on_a_terminal("list", columns=40, env={"TERM": "dumb"})
    assert code == 0
    assert "\x1b[" not in screen
    assert all(len(line.rstrip()) <= 40 for line in screen.splitlines())
    assert "\x1b[3" not in run("list", env={"NO_COLOR": "1"}).stdout


@pytest.mark.parametrize(
    "args, guess",
    [(["estimate", "llama-7b", "--precision", "q4km"], "did you mean q4_k_m?"),
     (["estimate", "llama-7b", "--precision", "Q5-KM"], "did you mean q5_k_m?"),
     (["list", "--format", "jsn"], "did you mean json?"),
     (["estimate", "llama-7b", "--mode", "qlor"], "did you mean qlora?")],
)  # fmt: skip
def test_a_misspelt_choice_gets_a_did_you_mean(cli, args, guess):
    result = cli(*args)
    assert result.exit_code == 2 and guess in result.stderr


@pytest.mark.parametrize("value", ["q5km", "q4_k_x9", "fp61", "nf5"])
def test_other_digits_are_never_a_typo_of_a_choice(cli, value):
    """q5km may be q5_k_m, never q4_k_m; fp61 is neither fp16 nor fp32."""
    result = cli("estimate", "llama-7b", "--precision", value)
    assert result.exit_code == 2
    guessed = result.stderr.partition("did you mean ")[2].partition("?")[0]
    digits = "".join(ch for ch in value if ch.isdigit())
    assert not guessed or "".join(ch for ch in guessed if ch.isdigit()) == digits


def test_a_sort_by_a_column_no_row_has_is_said(cli):
    result = cli("fits", "--vram", "24GB", "--sort", "tokens_per_s", "--limit", "3")
    assert result.exit_code == 0
    assert "no row has decode_tokens_per_s, so --sort decode_tokens_per_s orders nothing" in (
        result.stderr
    )
    assert "--gpu NAME or --bandwidth" in result.stderr
    fine = cli("fits", "--gpu", "RTX 4090", "--sort", "-tokens_per_s", "--limit", "3")
    assert "orders nothing" not in fine.stderr


def test_a_partial_entry_says_entries_are_read_whole(cli, tmp_path):
    """A file that changes one field of a bundled entry fails validation (entries replace,
    they do not merge); the problems say so and where to copy the whole entry from."""
    partial = tmp_path / "mine.yaml"
    partial.write_text("projects:\n- id: vicuna\n  training:\n    hours: 30\n", encoding="utf-8")
    result = cli("--catalog", str(partial), "show", "vicuna")
    assert result.exit_code == 1
    assert "vicuna.name: required field is missing" in result.stderr
    assert "an entry is read whole" in result.stderr
    assert "llmtrack export --format yaml --section projects" in result.stderr
