"""Issue 13's wrong answers, each asked as a user asks it (a real process) and answered
rightly: a name that differs by a size or a version is refused, never swapped; a checkpoint
is its model, said; a name of several sections gives the entry the others are about."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run


@pytest.mark.parametrize(
    ("name", "suggested"),
    [
        ("gpt-oss-120b", "gpt-oss-20b"),
        ("llama-3.2-11b", "llama-3.2-1b"),
        ("chatglm2", "chatglm-6b"),
    ],
)
def test_a_different_size_or_version_is_refused_not_swapped(name, suggested):
    result = run("estimate", name, "--gpu", "h100-80gb", "--format", "json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: unknown model {name!r}; did you mean: ")
    assert suggested in result.stderr
    assert result.stderr.count("\n") == 1


def test_deepseek_v3_is_not_a_deepseek_v2_paper():
    result = run("show", "deepseek-v3")
    assert result.returncode == 1
    assert "did you mean" in result.stderr and result.stdout == ""


def test_a_pasted_checkpoint_is_estimated_as_its_model_and_says_so():
    result = run("estimate", "meta-llama/Llama-2-7b-chat-hf", "--format", "json")
    assert result.returncode == 0
    record = json.loads(result.stdout)
    assert record["model"] == "llama-2-7b"
    assert record["resolved_from"] == "meta-llama/Llama-2-7b-chat-hf"
    assert "using llama-2-7b for 'meta-llama/Llama-2-7b-chat-hf'" in result.stderr


def test_an_exact_name_has_no_resolved_from():
    record = json.loads(run("estimate", "llama-2-7b", "--format", "json").stdout)
    assert "resolved_from" not in record


@pytest.mark.parametrize(
    ("name", "shown", "other"),
    [("gpt-3", "gpt-3-175b", "gpt-3-paper"), ("qlora", "qlora-nf4", "qlora-paper")],
)
def test_show_picks_the_entry_the_others_are_about(name, shown, other):
    result = run("show", name, "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["id"] == shown
    assert other in result.stderr and result.stderr.count("\n") == 1


def bases_with(params: str) -> set[str]:
    result = run("bases", "--params", params, "--fields", "id", "--format", "tsv")
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split()[1:])


def test_a_size_means_the_size_class():
    seven = bases_with("7B")
    assert {"llama-7b", "llama-2-7b", "mistral-7b", "qwen2.5-7b"} <= seven  # 6.74B .. 7.6B
    assert "llama-3-8b" not in seven and "gpt-j-6b" not in seven
    assert {"llama-13b", "llama-2-13b", "cerebras-gpt-13b"} <= bases_with("13B")


def test_range_bounds_are_nominal_and_a_count_is_exact():
    assert {"llama-13b", "llama-7b", "gpt-j-6b"} <= bases_with("6B..13B")  # 13.016B is 13B
    assert bases_with("6738415616") == {"llama-7b", "llama-2-7b"}


def test_a_moe_size_is_its_total_not_its_active_share():
    from llmtrack.query import nominal_params

    assert nominal_params("qwen3-30b-a3b") == 30 * 10**9
    assert nominal_params("mixtral-8x7b") is None  # no one size: its count decides
    assert nominal_params("opt-1.3b") == 1_300_000_000
