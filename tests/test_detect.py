"""`--gpu auto` with stub detection tools on PATH: what each prints is parsed, never run."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.conftest import run


def _stub(folder, tool: str, output: str, code: int = 0) -> None:
    path = folder / tool
    # the stub prints a file's bytes: what a real tool would print, quotes and all
    (folder / f"{tool}.out").write_text(output, encoding="utf-8")
    path.write_text(f'#!/bin/sh\ncat "{folder / (tool + ".out")}"\nexit {code}\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _run(folder, *args):
    return run(*args, env={**os.environ, "PATH": f"{folder}:/usr/bin:/bin"})


@pytest.fixture
def tools(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


def test_nvidia_smi_names_a_preset(tools):
    _stub(tools, "nvidia-smi", "NVIDIA GeForce RTX 4090, 24564\nNVIDIA GeForce RTX 4090, 24564\n")
    result = _run(tools, "estimate", "llama-7b", "--gpu", "auto", "--format", "json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["card"] == {"name": "NVIDIA GeForce RTX 4090", "memory_gib": 24}
    assert "--gpu auto: NVIDIA GeForce RTX 4090 from nvidia-smi (one of 2;" in result.stderr


def test_a_card_the_catalog_lacks_is_sized_by_what_the_tool_says(tools):
    _stub(tools, "nvidia-smi", "NVIDIA Quadro Imaginary 9000, 49152\n")
    result = _run(tools, "fits", "--gpu", "auto", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "NVIDIA Quadro Imaginary 9000, 48.00 GiB, from nvidia-smi" in result.stderr
    assert "no preset of that name" in result.stderr


def test_rocm_smi_and_a_mac(tools):
    rocm = {
        "card0": {"Card series": "AMD Instinct MI300X", "VRAM Total Memory (B)": "206141652992"}
    }
    _stub(tools, "rocm-smi", json.dumps(rocm))
    result = _run(tools, "fits", "--gpu", "auto", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "from rocm-smi" in result.stderr
    (tools / "rocm-smi").unlink()
    mac = {"SPHardwareDataType": [{"chip_type": "Apple M2 Max", "physical_memory": "32 GB"}]}
    _stub(tools, "system_profiler", json.dumps(mac))
    result = _run(tools, "estimate", "llama-7b", "--gpu", "auto", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["card"]["name"] == "Apple M2 Max 32 GB"


@pytest.mark.parametrize(
    "output, code, message",
    [
        ("", 0, "--gpu auto found no GPU"),
        ("garbage without a comma\n", 0, "cannot read what nvidia-smi printed"),
        ("NVIDIA X, nan\n", 0, "cannot read what nvidia-smi printed"),
        ("$(touch /tmp/llmtrack-pwned), 24564\n", 0, "no preset of that name"),
        ("\x1b]0;owned\x07NVIDIA X\x1b[31m, 24564\n", 0, "]0;ownedNVIDIA X[31m, 23.99 GiB"),
        ("NVIDIA-SMI has failed\n", 9, "nvidia-smi failed: NVIDIA-SMI has failed"),
    ],
)
def test_odd_tool_output_is_one_clear_line(tools, output, code, message):
    _stub(tools, "nvidia-smi", output, code)
    result = _run(tools, "fits", "--gpu", "auto")
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
    assert not os.path.exists("/tmp/llmtrack-pwned")
    assert result.returncode in (0, 2)


def test_no_tool_at_all(tools):
    result = _run(tools, "fits", "--gpu", "auto")
    assert result.returncode == 2
    assert "--gpu auto found no GPU (nvidia-smi, rocm-smi, system_profiler)" in result.stderr
