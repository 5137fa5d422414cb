"""--engine vllm and sglang: the card taken up front, and what their KV cache gets of it."""

from __future__ import annotations

import json
import re

import pytest

from llmtrack.memory.serving import server_defaults
from llmtrack.memory.sglang import prefill_graph_sizes, sglang_defaults


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
            "q4_k_m is llama.cpp's format",
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
            "estimate",
            "qwen3-8b",
            "--gpu",
            "rtx-4090",
            "--engine",
            "exllamav2",
            "--format",
            "json",
        ).stdout
    )
    assert "serving" not in plain and "allocator_cache" in plain["components"]


def test_one_request_is_said_in_the_singular(cli):
    text = cli("estimate", "llama-7b", "--engine", "vllm", "--gpu", "t4").stdout
    assert "tokens: 1 request of 2,048 tokens at once" in text


# --- SGLang ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "card_gib, gpus, expected",
    [
        # 512 + 2,048 x 1.5 + 128 + 8 x 2 + 42 prefill graphs x 8 = 4,064 MiB of 16,384
        (16, 1, (2048, 8, 0.752)),
        # 512 + 4,096 x 1.5 + 128 + 48 x 2 + 50 x 8 = 7,280 MiB of 24,576
        (24, 1, (4096, 48, 0.704)),
        # 512 + 8,192 x 1.5 + 128 + 256 x 2 + 58 x 8 = 13,904 MiB of 81,920
        (80, 1, (8192, 256, 0.83)),
        # 8 GPUs: 1,024 MiB, decode graphs to 512: 15,312 MiB of 144,384
        (141, 8, (8192, 512, 0.894)),
        # over 60 GB the reserve is at least 10,240 MiB
        (64, 1, (8192, 256, 0.788)),
    ],
)
def test_sglang_defaults_follow_its_memory_hook(card_gib, gpus, expected):
    """sglang 0.5.23, srt/arg_groups/memory_hook.py, handle_gpu_memory_settings."""
    assert sglang_defaults(card_gib, gpus) == expected


def test_sglang_captures_prefill_graphs_at_its_sizes():
    sizes = prefill_graph_sizes(8192)
    assert sizes[:3] == [4, 8, 12] and sizes[-2:] == [7680, 8192] and len(sizes) == 58


def _sglang(cli, *args):
    result = cli("estimate", *args, "--engine", "sglang", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_sglang_pool_is_its_static_share_less_the_weights(cli):
    """vllm-project/vllm#21348: Qwen3-235B-A22B-FP8 on 4 H100s, `--tp 4 --mem-fraction-static
    0.93`: "KV Cache is allocated. #tokens: 367404, K size: 8.23 GB, V size: 8.23 GB". The
    estimate holds about 15 % more: it takes the card less 0.5 GiB as free before loading,
    where four GPUs' NCCL buffers take more (the log does not say how much)."""
    record = _sglang(
        cli, "qwen3-235b-a22b", "--precision", "fp8", "--gpus", "4", "--gpu", "h100",
        "--seq-len", "4096", "--mem-fraction-static", "0.93",
    )  # fmt: skip
    serving, parts = record["serving"], record["components"]
    assert serving["mem_fraction_static"] == 0.93
    assert serving["kv_cache_tokens"] == pytest.approx(367404, rel=0.20)
    free_before = record["card"]["memory_gib"] - parts["cuda_context"]
    assert serving["kv_cache_gib"] == pytest.approx(free_before * 0.93 - parts["weights"], abs=0.01)
    assert parts["sglang_reserve"] == pytest.approx(free_before * 0.07, abs=0.01)
    assert any("tensor parallel" in line for line in record["assumptions"])
    assert not any("device_map" in line for line in record["assumptions"])


def test_sglang_takes_its_default_for_the_card(cli):
    record = _sglang(cli, "llama-3-8b", "--gpu", "rtx-4090")
    assert record["serving"]["mem_fraction_static"] == 0.704
    assert record["serving"]["chunked_prefill_size"] == 4096
    assert any("SGLang 0.5.23's default" in line for line in record["assumptions"])
    text = cli("estimate", "llama-3-8b", "--gpu", "rtx-4090", "--engine", "sglang").stdout
    assert "SGLang: KV cache" in text and "sglang reserve" in text


def test_sglang_refuses_to_start_when_the_weights_leave_no_pool(cli):
    record = _sglang(cli, "llama-3-70b", "--gpu", "h100")
    assert record["verdict"] == "no" and record["serving"]["kv_cache_tokens"] == 0
    assert any("SGLang would not start" in line for line in record["assumptions"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["--mem-fraction-static", "0.9"], "--mem-fraction-static is SGLang's serving setting"),
        (["--engine", "vllm", "--mem-fraction-static", "0.9"], "give --engine sglang"),
        (["--engine", "sglang"], "SGLang sizes its KV cache from the card"),
        (
            ["--engine", "sglang", "--gpu", "h100", "--mem-fraction-static", "1.5"],
            "'--mem-fraction-static'",
        ),
        (
            ["--engine", "sglang", "--gpu", "h100", "--mem-fraction-static", "nan"],
            "'nan' is not a number from 0.01 to 1",  # not 'over the maximum'
        ),
        (["--engine", "sglang", "--gpu", "h100", "--new-tokens", "8"], "--new-tokens"),
    ],
)
def test_sglang_refusals(cli, args, message):
    result = cli("estimate", "llama-3-8b", *args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr


# --- what every serving engine refuses, and tensor parallelism --------------------------------


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
@pytest.mark.parametrize(
    "args, message",
    [
        (["--mode", "lora"], "is for serving a model; a fine-tune's software is --stack"),
        (["--measure", "allocated"], "takes its share of the card up front"),
        (["--precision", "exl2-4.0"], "exl2-4 is ExLlama's format"),
        (["--kv-cache", "q8_0"], "--kv-cache q8_0 is llama.cpp's"),
        (["--gpus", "3"], "--gpus 3 does not divide them"),  # Llama 3 8B's 32 heads
        (["--gpus", "6"], "--gpus 6 does not divide them"),
        (["--mem-fraction-static", "0.8", "--mode", "qlora"], "is for serving a model"),
    ],
)
def test_serving_engines_refuse_what_they_cannot_run(cli, engine, args, message):
    result = cli("estimate", "llama-3-8b", "--engine", engine, "--gpu", "t4", *args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr


def test_a_remembered_serving_engine_yields_to_a_fine_tune(cli):
    assert cli("config", "set", "engine", "sglang").exit_code == 0
    result = cli("estimate", "llama-3-8b", "--mode", "qlora", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "engine sglang from your config set aside: a fine-tune runs on --stack" in result.stderr
    assert "serving" not in json.loads(result.stdout)
    refused = cli("estimate", "llama-3-8b", "--mode", "qlora", "--mem-fraction-static", "0.8")
    assert refused.exit_code == 2 and "is for serving a model" in refused.stderr


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_kv_heads_must_divide_among_the_gpus_or_be_copied_whole(cli, engine):
    """Qwen3-14B: 40 heads, 8 key/value heads; 20 GPUs divide the 40 but neither divide
    nor are a multiple of the 8."""
    for gpus in ("20", "5"):  # 5 is fewer than the 8, and does not divide them either
        result = cli("estimate", "qwen3-14b", "--engine", engine, "--gpu", "h100", "--gpus", gpus)
        assert result.exit_code == 2
        assert f"--gpus {gpus} neither divides the 8 nor is a multiple of them" in result.stderr


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_gpus_beyond_the_kv_heads_each_keep_one(cli, engine):
    """Llama 3 70B has 8 key/value heads: over 16 GPUs each keeps one, as over 8."""

    def kv(gpus):
        record = json.loads(
            cli(
                "estimate", "llama-3-70b", "--engine", engine, "--gpu", "h100", "--gpus",
                str(gpus), "--format", "json",
            ).stdout
        )  # fmt: skip
        assert any("tensor parallel" in line for line in record["assumptions"])
        return record["components"]["kv_cache"]

    assert kv(16) == pytest.approx(kv(8)) and kv(4) == pytest.approx(2 * kv(8), rel=1e-3)


def test_sglang_warns_when_its_share_leaves_nothing_to_serve_with(cli):
    record = _sglang(cli, "llama-3-8b", "--gpu", "t4", "--mem-fraction-static", "1")
    assert record["components"]["sglang_reserve"] == 0
    assert any("serving may run out of memory" in line for line in record["assumptions"])


def test_sglang_says_its_reserve_as_the_table_does(cli):
    text = cli("estimate", "llama-3-8b", "--engine", "sglang", "--gpu", "h100").stdout
    table = re.search(r"sglang reserve\s+([\d.]+)", text).group(1)
    assert f"the rest ({table} GiB)" in " ".join(text.split())


@pytest.mark.parametrize(
    "model, gpus, said",
    [
        ("llama-3-70b", "4", "each holds its share of the weights and of the KV cache"),
        ("llama-3-70b", "16", "and a copy of one of the 8 key/value heads' cache"),
        ("deepseek-v3", "8", "and the latent cache whole"),
    ],
)
def test_the_assumptions_say_how_the_cache_is_split(cli, model, gpus, said):
    record = _record(cli, model, "--gpu", "h200", "--gpus", gpus)
    assert any(said in line for line in record["assumptions"])
    assert any(line.startswith("peak: what vLLM needs") for line in record["assumptions"])


def test_a_remembered_engine_says_so_when_it_refuses(cli):
    assert cli("config", "set", "engine", "sglang").exit_code == 0
    for args in (
        [],
        ["--gpu", "t4", "--precision", "exl2-4.0"],
        ["--gpu", "t4", "--measure", "reserved"],
    ):
        result = cli("estimate", "llama-3-8b", *args)
        assert result.exit_code == 2
        assert "engine sglang is from your config: --engine transformers" in result.stderr


def test_an_engine_that_cannot_serve_one_request_tells_no_speed(cli):
    record = _sglang(
        cli, "llama-3-70b", "--gpu", "h100", "--gpus", "4", "--mem-fraction-static", "0.05"
    )
    assert record["serving"]["max_sequences"] == 0
    assert "decode_tokens_per_s" not in record
    assert not any("--ram SIZE" in line for line in record["assumptions"])


def test_sglang_speaks_of_an_80_gib_card(cli):
    record = _sglang(cli, "llama-3-8b", "--gpu", "a100-80gb")
    assert any("default for an 80 GiB card" in line for line in record["assumptions"])
