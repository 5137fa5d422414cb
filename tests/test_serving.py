"""--engine vllm: the card taken up front, and what vLLM's KV cache gets of it."""

from __future__ import annotations

import json

import pytest

from llmtrack.memory.serving import server_defaults


def _record(cli, *args):
    result = cli("estimate", *args, "--engine", "vllm", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_kv_cache_gets_the_rest_of_the_card(cli):
    record = _record(cli, "qwen3-8b", "--gpu", "rtx-4090", "--seq-len", "16384")
    serving = record["serving"]
    # LMCache's quickstart log of vLLM serving Qwen3-8B on a 24 GB card
    # (https://github.com/LMCache/LMCache/issues/3430): "GPU KV cache size: 46,368 tokens",
    # at gpu_memory_utilization 0.9764 with 0.52 GiB of CUDA graphs estimated
    assert serving["kv_cache_tokens"] == pytest.approx(46368, rel=0.10)
    assert serving["max_sequences"] == serving["kv_cache_tokens"] // 16384 == 2
    assert serving["max_num_batched_tokens"] == 2048 and serving["max_num_seqs"] == 256
    parts = record["components"]
    assert {"vllm_margin", "cuda_context"} <= set(parts) and "allocator_cache" not in parts
    assert parts["vllm_margin"] == pytest.approx(1.0)  # the 1 GiB floor
    used = record["peak_gib"] - parts["kv_cache"] + serving["kv_cache_gib"]
    assert used == pytest.approx(record["card"]["memory_gib"], abs=0.01)
    assert any("CUDA graphs are not counted" in line for line in record["assumptions"])
    # transformers' own terms are gone with their components, not left to contradict vLLM's
    for gone in ("allocator cache", "CUDA context", "peak as ", "logits for the last position"):
        assert not any(line.startswith(gone) for line in record["assumptions"]), gone


def test_a_request_longer_than_the_cache_holds_does_not_start(cli):
    record = _record(cli, "llama-3-8b", "--gpu", "rtx-4090", "--seq-len", "1000000")
    assert record["verdict"] == "no"
    assert record["serving"]["max_sequences"] == 0
    assert any("vLLM would not start" in line for line in record["assumptions"])


def test_the_text_says_what_the_cache_holds(cli):
    text = cli("estimate", "qwen3-8b", "--engine", "vllm", "--gpu", "rtx-4090").stdout
    assert "vLLM: KV cache" in text and "requests of 2,048 tokens at once" in text
    assert "vllm margin" in text


@pytest.mark.parametrize(
    "card_gib, label, expected",
    [
        (24, "NVIDIA GeForce RTX 4090", (2048, 256)),
        (80, "NVIDIA A100 80GB", (2048, 256)),  # an A100 keeps the small defaults
        (80, "NVIDIA H100 SXM 80GB", (8192, 1024)),
        (141, "NVIDIA H200", (8192, 1024)),
        (192, "NVIDIA B200", (16384, 1024)),
    ],
)
def test_server_defaults_follow_the_card(card_gib, label, expected):
    assert server_defaults(card_gib, label) == expected


@pytest.mark.parametrize(
    "args, message",
    [
        (["qwen3-8b", "--engine", "vllm"], "vLLM sizes its KV cache from the card"),
        (
            ["qwen3-8b", "--engine", "vllm", "--gpu", "rtx-4090", "--precision", "q4_k_m"],
            "a llama.cpp format",
        ),
    ],
)
def test_vllm_refusals(cli, args, message):
    result = cli("estimate", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_other_engines_keep_the_peak(cli):
    plain = json.loads(
        cli(
            "estimate", "qwen3-8b", "--gpu", "rtx-4090", "--engine", "sglang", "--format", "json"
        ).stdout
    )
    assert "serving" not in plain and "allocator_cache" in plain["components"]


def test_one_request_is_said_in_the_singular(cli):
    text = cli("estimate", "llama-7b", "--engine", "vllm", "--gpu", "t4").stdout
    assert "tokens: 1 request of 2,048 tokens at once" in text
