"""Issue 14's hostile and careless inputs, each a row: what is run, the exit code, the one
stderr line it must give. Every one of them once ended in 'Error: unexpected ...' (the
code's own words for a bug), recursed forever or ran for minutes."""

from __future__ import annotations

import pytest

from tests.conftest import run

GPU = "gpus:\n- id: g\n  name: G\n  memory_gib: {}\n  sources: [https://e.org]\n"
BASE = "base_models:\n- id: b\n  name: B\n  family: F\n  params: {}\n  sources: [https://e.org]\n"
PROJECT = (
    "projects: &p\n- id: x\n  name: X\n  base_models: [llama-7b]\n  aliases: *p\n"
    "  sources: [https://e.org]\n"
)
BIG_STRING = "x" * 100_000
BYTES_BOMB = "\n".join(["base_models: []", f'big: &b "{BIG_STRING}"', "list:"] + ["  - *b"] * 9_000)

FILES = [
    ("inf", GPU.format(".inf"), "g.memory_gib: inf is not a finite number"),
    ("nan", GPU.format(".nan"), "g.memory_gib: nan is not a finite number"),
    ("4000 digits", BASE.format("9" * 4000), "b.params: too large: at most 1,000,000,000,000,000"),
    ("self alias", PROJECT, "alias *p is inside the collection it names"),
    ("deep nesting", "a: " + "[" * 20_000 + "]" * 20_000 + "\n", "nested deeper than 64 levels"),
    ("deep JSON", '{"projects": ' + "[" * 20_000 + "]" * 20_000 + "}", "nested deeper than 64"),
    ("alias bytes", BYTES_BOMB, "aliases expand this file by more than 1 MiB; refused"),
    (
        "misspelled section, then another",
        "project:\n- id: x\n" + GPU.format(8),
        "unknown section 'project'; did you mean projects?",
    ),
]


@pytest.mark.parametrize(("label", "text", "said"), FILES, ids=[row[0] for row in FILES])
def test_a_hostile_catalog_file_is_refused_in_one_clear_line(tmp_path, label, text, said):
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    for args in (("validate", str(path)), ("--catalog", str(path), "gpus")):
        result = run(*args)
        assert result.returncode == 1, (label, args, result.stderr)
        said_where = result.stdout + result.stderr  # validate's problems are its output
        assert said in said_where, (label, args)
        assert "unexpected" not in said_where and "Traceback" not in said_where


OPTIONS = [
    (("estimate", "llama-7b", "--seq-len", str(10**400)), "--seq-len must be at most 100,000,000"),
    (
        ("estimate", "llama-7b", "--mode", "lora", "--lora-rank", str(10**400)),
        "--lora-rank must be at most 1,000,000",
    ),
    (("estimate", "llama-7b", "--batch", str(10**30)), "--batch must be at most 1,000,000"),
    (("fits", "--vram", "24GB", "--gpus", str(10**30)), "--gpus must be at most 1,000,000"),
    (("list", "--max-cost", "1e400"), "invalid amount '1e400'"),
    (("bases", "--params", str(10**400)), "invalid parameter count"),  # found by the property test
]


@pytest.mark.parametrize(("args", "said"), OPTIONS, ids=[" ".join(a[:3]) for a, _ in OPTIONS])
def test_a_huge_option_value_is_a_usage_error(args, said):
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"Error: {said}\n" or result.stderr.startswith(f"Error: {said}")


def test_ctrl_c_while_typer_is_still_being_imported_is_quiet():
    import subprocess
    import sys

    # a Ctrl-C arriving while the command line imports typer, made deterministic: an import
    # hook raises it at that moment, as the signal would
    code = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'typer.main':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv = ['llmtrack', 'list']\n"
        "from llmtrack.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 130
    assert result.stderr == "" and result.stdout == ""


def test_a_closed_or_full_stdout_is_one_error_line_and_a_closed_pipe_is_quiet(tmp_path):
    import subprocess
    import sys

    base = [sys.executable, "-m", "llmtrack"]
    for args in (["list"], ["schema"], ["new", "projects"]):
        closed = subprocess.run([*base, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, timeout=120, close_fds=True,
                                preexec_fn=lambda: __import__("os").close(1))  # fmt: skip
        assert closed.returncode == 1, args
        assert closed.stderr == "Error: cannot write the output: stdout is closed\n"
        with open("/dev/full", "w") as full:
            result = subprocess.run([*base, *args], stdout=full, stderr=subprocess.PIPE,
                                    text=True, timeout=120)  # fmt: skip
        assert result.returncode == 1, args
        assert result.stderr == "Error: cannot write the output: No space left on device\n"
    for args in (["--help"], ["bases"], ["validate", "--help"]):
        process = subprocess.Popen([*base, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()  # `| head -1`
        assert process.wait(timeout=120) == 0, args
        assert process.stderr.read() == b""


def test_a_stdout_that_cannot_encode_the_catalog_escapes_instead_of_crashing():
    result = run("show", "baize", env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert "\\u767d\\u6cfd" in result.stdout  # 白泽


def test_a_device_or_endless_file_is_read_only_up_to_the_limit():
    result = run("--catalog", "/dev/zero", "list", env={"LLMTRACK_MAX_FILE_SIZE": "1MB"})
    assert result.returncode == 1
    assert "/dev/zero: more than the 1 MiB limit for catalog files" in result.stderr


def test_the_config_folder_scan_skips_what_is_not_a_regular_catalog_file(tmp_path):
    import os

    folder = tmp_path / "config" / "catalog.d"
    folder.mkdir(parents=True)
    good = folder / "good.yaml"
    good.write_text(
        "gpus:\n- id: my-gpu\n  name: Mine\n  memory_gib: 8\n  sources: [https://e.org]\n"
    )
    os.mkfifo(folder / "fifo.yaml")  # once hung every command
    (folder / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (folder / ".#good.yaml").symlink_to("user@host.1234")  # an editor's lock link
    (folder / "dir.yaml").mkdir()
    result = run("gpus", "--fields", "id", env={"LLMTRACK_CONFIG_DIR": str(tmp_path / "config")})
    assert result.returncode == 0, result.stderr
    assert "my-gpu" in result.stdout
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("warning: skipped in ")
    for name in (".#good.yaml", "dir.yaml", "fifo.yaml", "gone.yaml"):
        assert name in result.stderr


def test_a_hundred_million_layers_are_estimated_by_arithmetic_not_lists(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(
        "base_models:\n- id: huge\n  name: Huge\n  family: X\n  access: open-weights\n"
        "  architecture: {layers: 100000000, hidden_size: 4096, heads: 32, ffn_size: 11008,\n"
        "    ffn_kind: gated, vocab_size: 32000}\n  sources: [https://e.org]\n"
    )
    result = run("--catalog", str(path), "estimate", "huge", "--mode", "lora", timeout=20)
    assert result.returncode == 0, result.stderr


def test_an_id_of_another_section_is_reported_where_it_is_written(tmp_path):
    path = tmp_path / "cross.yaml"
    path.write_text(
        "gpus:\n- id: llama-7b\n  name: Clash\n  memory_gib: 8\n  sources: [https://e.org]\n"
    )
    result = run("--catalog", str(path), "gpus")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert (
        lines[0] == f"{path}:2:3: llama-7b.id: id already used by a base model; choose another id"
    )
    assert len(lines) == 2 and "dangling" not in result.stderr and "data/" not in result.stderr


def test_an_unquoted_year_is_a_year(tmp_path):
    path = tmp_path / "year.yaml"
    path.write_text(
        "gpus:\n- id: g\n  name: G\n  memory_gib: 8\n  released: 2023\n  sources: [https://e.org]\n"
    )
    result = run("--catalog", str(path), "gpus", "--fields", "id,released")
    assert result.returncode == 0, result.stderr
    assert "g\t2023" in result.stdout


@pytest.mark.parametrize(
    "args",
    [("list", "--since", "٢٠٢٣"), ("bases", "--params", "٧B"), ("fits", "--vram", "٢٤GB")],
)
def test_digits_of_other_scripts_are_a_usage_error_not_an_empty_match(args):
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: invalid ")


def test_a_replacement_is_found_by_layer_even_under_the_same_name(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "gpus:\n- id: rtx-4090\n  name: Mine\n  memory_gib: 20\n  sources: [https://e.org]\n"
    )
    # the same file in two layers: the environment's and the command line's
    result = run("--catalog", str(path), "sources", env={"LLMTRACK_CATALOG": str(path)})
    assert result.returncode == 0, result.stderr
    assert "replaced" in result.stderr or "rtx-4090" in result.stdout


def test_validate_into_a_closed_pipe_is_quiet(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "many.yaml"
    entries = "".join(
        f"- id: p{i}\n  name: P{i}\n  base_models: [nope]\n  sources: [https://e.org]\n"
        for i in range(3000)
    )
    path.write_text("projects:\n" + entries)
    process = subprocess.Popen(
        [sys.executable, "-m", "llmtrack", "validate", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # `| head -1`
    assert process.wait(timeout=120) == 0
    assert b"Traceback" not in process.stderr.read()
