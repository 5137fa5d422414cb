"""`llmtrack config`: a remembered card, engine and RAM, checked when set and said when used."""

from __future__ import annotations

import json
import os
import sys

import pytest

from llmtrack import config

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_a_remembered_card_answers_fits_and_estimate(cli):
    assert cli("config", "set", "gpu", "RTX 4090").exit_code == 0
    assert cli("config", "get", "gpu").stdout == "RTX 4090\n"
    fits = cli("fits", "--format", "json")
    assert fits.exit_code == 0, fits.stderr
    assert "card RTX 4090: from your config" in fits.stderr
    assert "NVIDIA GeForce RTX 4090 (24 GiB), batch 1" in fits.stderr
    assert json.loads(fits.stdout)
    record = json.loads(cli("estimate", "llama-7b", "--format", "json").stdout)
    assert record["card"]["name"] == "NVIDIA GeForce RTX 4090" and record["verdict"] == "fits"
    # a card given on the command line wins, and nothing is said about the config
    given = cli("estimate", "llama-7b", "--vram", "8GB", "--format", "json")
    assert json.loads(given.stdout)["card"]["memory_gib"] == 8
    assert "from your config" not in given.stderr


def test_set_list_unset_and_the_file(cli, _isolated_environment):
    assert cli("config", "set", "ram", "64GB").exit_code == 0
    assert cli("config", "set", "Engine", "VLLM").exit_code == 0  # as spelled here: vllm
    assert cli("config", "list").stdout == "ram\t64GB\nengine\tvllm\n"
    assert cli("config").stdout == "ram\t64GB\nengine\tvllm\n"  # list is the default action
    path = _isolated_environment / "config.toml"
    assert cli("config", "path").stdout.strip() == str(path)
    assert tomllib.loads(path.read_text()) == {"ram": "64GB", "engine": "vllm"}
    assert cli("config", "unset", "ram").exit_code == 0
    assert cli("config", "list").stdout == "engine\tvllm\n"
    missing = cli("config", "get", "ram")
    assert missing.exit_code == 1 and "ram is not set" in missing.stderr


def test_a_card_is_a_preset_or_a_size_not_both(cli):
    cli("config", "set", "gpu", "t4")
    result = cli("config", "set", "vram", "48GB")
    assert "gpu unset" in result.stderr
    assert cli("config", "list").stdout == "vram\t48GB\n"


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["set", "gpu", "voodoo 5"], 1, "unknown GPU 'voodoo 5'"),
        (["set", "vram", "banana"], 2, "invalid memory size 'banana'"),
        (["set", "colour", "blue"], 2, "unknown config key 'colour'; choose from: gpu, vram"),
        (["set", "engine", "keras"], 2, "unknown engine 'keras'"),
        (["set", "gpu"], 2, "usage: llmtrack config set KEY VALUE"),
        (["set", "gpu", "  "], 2, "gpu needs a value"),
        (["get"], 2, "usage: llmtrack config get KEY"),
        (["list", "gpu"], 2, "usage: llmtrack config list"),
        (["erase"], 2, "unknown config action 'erase'"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_written(
    cli, _isolated_environment, args, code, message
):
    result = cli("config", *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert not (_isolated_environment / "config.toml").exists()


@pytest.mark.parametrize(
    "text, message",
    [
        ('gpu = "x', "not TOML"),
        ("gpu = 3", "gpu must be a string"),
        ('colour = "blue"', "unknown key 'colour'"),
        ('vram = "lots"', "invalid memory size 'lots'"),
    ],
)
def test_a_hand_edited_file_is_checked_when_read(cli, _isolated_environment, text, message):
    (_isolated_environment / "config.toml").write_text(text, encoding="utf-8")
    result = cli("fits")
    assert result.exit_code == 2
    assert str(_isolated_environment / "config.toml") in result.stderr and message in result.stderr


def test_the_file_escapes_what_it_holds():
    odd = {"gpu": 'RTX "4090"\\ \n\t\x01 Ω'}
    assert tomllib.loads(config.text_of(odd)) == odd


def test_no_card_anywhere_says_how_to_remember_one(cli):
    result = cli("fits")
    assert result.exit_code == 2
    assert "llmtrack config set gpu NAME" in result.stderr
    assert not os.listdir(os.environ["LLMTRACK_CONFIG_DIR"])


def test_a_remembered_format_is_every_commands_default_that_has_it(cli, tmp_path):
    assert cli("config", "set", "format", "JSON").exit_code == 0  # checked, kept as spelled here
    assert cli("config", "get", "format").stdout == "json\n"
    listed = cli("gpus", "--limit", "2")
    assert json.loads(listed.stdout)[0]["id"] == "t4"
    assert "format json: from your config" in listed.stderr
    assert json.loads(cli("show", "vicuna").stdout)["id"] == "vicuna"  # detail views have json
    assert cli("gpus", "--limit", "1", "--format", "tsv").stdout.startswith("id\t")  # given wins
    target = tmp_path / "gpus.csv"
    written = cli("gpus", "--limit", "1", "-o", str(target))
    assert target.read_text().startswith("id,") and "from your config" not in written.stderr
    assert cli("config", "set", "format", "tsv").exit_code == 0
    shown = cli("show", "vicuna")  # show has no tsv: its own default, and nothing said
    assert shown.stdout.startswith("Vicuna  vicuna") and "format" not in shown.stderr


def test_list_fits_answers_for_the_remembered_card_and_only_when_asked(cli, catalog):
    unasked = cli("list", "--fits")
    assert unasked.exit_code == 2 and "--fits needs a card" in unasked.stderr
    assert cli("config", "set", "gpu", "RTX 4090").exit_code == 0
    everything = cli("list", "--fields", "id").stdout
    projects = len(everything.splitlines()) - 1
    assert projects == len(catalog.projects)  # a remembered card never narrows `list` unasked
    remembered = cli("list", "--fits", "--fields", "id")
    assert "card RTX 4090: from your config" in remembered.stderr
    named = cli("list", "--gpu", "RTX 4090", "--fields", "id")
    assert remembered.stdout == named.stdout and 0 < len(named.stdout.splitlines()) - 1 < projects


def test_a_remembered_engine_yields_to_a_llama_cpp_precision(cli):
    """The --precision was typed; the engine was remembered: the typed one decides."""
    assert cli("config", "set", "engine", "vllm").exit_code == 0
    gguf = cli("estimate", "llama-7b", "--precision", "q4_k_m", "--gpu", "RTX 4090")
    assert gguf.exit_code == 0, gguf.stderr
    assert "engine vllm from your config set aside: q4_k_m is a llama.cpp format" in gguf.stderr
    served = cli("estimate", "llama-7b", "--gpu", "RTX 4090")
    assert "engine vllm: from your config" in served.stderr and "vLLM: KV cache" in served.stdout


def test_a_remembered_engine_yields_to_a_llama_cpp_alias_too(cli):
    """q4_k is q4_k_m: the alias is a llama.cpp format as much as its name."""
    assert cli("config", "set", "engine", "vllm").exit_code == 0
    result = cli("estimate", "llama-7b", "--precision", "q4_k", "--gpu", "RTX 4090")
    assert result.exit_code == 0 and "set aside: q4_k is a llama.cpp format" in result.stderr


def test_a_remembered_llama_cpp_yields_to_a_format_it_cannot_read(cli):
    """The mirror case: llama.cpp runs GGUF files, not a GPTQ or bitsandbytes checkpoint;
    typed, that engine with such a precision is refused, remembered it is set aside."""
    typed = cli("estimate", "llama-7b", "--precision", "gptq-4bit", "--engine", "llama.cpp")
    assert typed.exit_code == 2
    assert "gptq-4bit is not a format llama.cpp reads (it runs GGUF files)" in typed.stderr
    for readable in ("q4_k_m", "fp16", "bf16"):
        ran = cli("estimate", "llama-7b", "--precision", readable, "--engine", "llama.cpp",
                  "--gpu", "RTX 4090")  # fmt: skip
        assert ran.exit_code == 0, ran.stderr
    assert cli("config", "set", "engine", "llama.cpp").exit_code == 0
    result = cli("estimate", "llama-7b", "--precision", "nf4", "--gpu", "RTX 4090")
    assert result.exit_code == 0, result.stderr
    assert "engine llama.cpp from your config set aside: nf4 is not a GGUF format" in result.stderr
