"""The memory estimator: its arithmetic, its commands, and its accuracy on published runs."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest

from llmtrack.errors import UsageError
from llmtrack.memory import GIB, Recipe, precision
from llmtrack.memory.fits import estimate_base
from tests.memory_fixture import (
    accelerate_gib,
    check,
    load_rows,
    median_abs_error,
    rule_of_thumb_gib,
)

# --- accuracy against published measurements ------------------------------------------


@pytest.fixture(scope="module")
def checked(catalog):
    return [check(catalog, row) for row in load_rows()]


def numeric(checked, training: bool):
    return [c for c in checked if c.measured_gib is not None and c.training == training]


def test_the_fixture_is_broad_enough(checked):
    rows = [c for c in checked if c.measured_gib is not None]
    sources = {"/".join(urlparse(c.row["source"]).path.split("/")[1:3]) for c in rows}
    assert len(rows) >= 15
    assert len(sources) >= 5
    assert len(numeric(checked, training=True)) >= 5
    assert sum(1 for c in checked if c.row.get("outcome")) >= 10


def test_inference_median_error_is_within_10_percent(checked):
    assert median_abs_error(numeric(checked, training=False)) <= 0.10


def test_training_median_error_is_within_20_percent(checked):
    assert median_abs_error(numeric(checked, training=True)) <= 0.20


def test_verdicts_agree_with_published_fits_and_oom_statements(checked):
    statements = [c for c in checked if c.row.get("outcome")]
    disagreements = []
    for c in statements:
        verdict = c.estimate.verdict(c.row["card_gib"])
        agrees = verdict == "tight" or (verdict == "fits") == (c.row["outcome"] == "fits")
        if not agrees and not c.row.get("known_disagreement"):
            disagreements.append(
                (c.row["id"], c.row["outcome"], verdict, round(c.estimated_gib, 2))
            )
    assert disagreements == []


def test_known_disagreements_are_few_explained_and_real(checked):
    known = [c for c in checked if c.row.get("known_disagreement")]
    assert len(known) <= 3
    for c in known:
        assert len(c.row["known_disagreement"]) > 40
        # still a disagreement: if the estimator changes and agrees, the mark must go
        assert c.estimate.verdict(c.row["card_gib"]) == "fits"


def test_the_estimator_beats_the_rules_of_thumb(catalog, checked):
    rows = [c for c in checked if c.measured_gib is not None]

    def median_error(guess):
        return sorted(abs(guess(catalog, c.row) / c.measured_gib - 1) for c in rows)[len(rows) // 2]

    ours = sorted(abs(c.error) for c in rows)[len(rows) // 2]
    assert ours < median_error(accelerate_gib)
    assert ours < median_error(rule_of_thumb_gib)


# --- the arithmetic ----------------------------------------------------------------------


def estimate(catalog, model="llama-7b", **recipe):
    base = catalog.get(model)
    return estimate_base(base, Recipe(**recipe))


def test_llama_7b_fp16_inference_breakdown(catalog):
    result = estimate(catalog, seq_len=2048)
    parts = {k: v / GIB for k, v in result.components.items()}
    assert parts["weights"] == pytest.approx(6_738_149_376 * 2 / GIB, rel=1e-6)
    # 2 (k, v) x 32 layers x 2048 tokens x 4096 x 2 bytes = exactly 1 GiB
    assert parts["kv_cache"] == pytest.approx(1.0)
    assert result.peak_bytes == sum(result.components.values())
    assert (
        result.verdict(24) == "fits"
        and result.verdict(15) == "tight"
        and result.verdict(14) == "no"
    )


def test_kv_cache_scales_with_batch_and_sequence(catalog):
    one = estimate(catalog, seq_len=1024).components["kv_cache"]
    assert estimate(catalog, seq_len=2048).components["kv_cache"] == 2 * one
    assert estimate(catalog, seq_len=1024, batch=4).components["kv_cache"] == 4 * one


# --- architectures since 2023: GQA, sliding windows, experts, latent attention --------------


def kv_gib(catalog, model, seq_len):
    return estimate(catalog, model, seq_len=seq_len).components["kv_cache"] / GIB


def test_grouped_query_attention_caches_only_the_kv_heads(catalog):
    # 2 (k, v) x 80 layers x 8 kv heads x 128 x 2 bytes x 4096 tokens = 1.25 GiB; with all
    # 64 heads it would be 10 GiB
    assert kv_gib(catalog, "llama-2-70b", 4096) == pytest.approx(1.25)
    # multi-query: Falcon-7B keeps one kv head
    assert kv_gib(catalog, "falcon-7b", 2048) == pytest.approx(2 * 32 * 64 * 2 * 2048 / GIB)


def test_a_sliding_window_caps_the_cache_and_says_so(catalog):
    # Mistral 7B attends within 4096 tokens on every layer: 32 k tokens cache like 4 k
    assert kv_gib(catalog, "mistral-7b", 32768) == pytest.approx(
        kv_gib(catalog, "mistral-7b", 4096)
    )
    assert kv_gib(catalog, "mistral-7b", 4096) == pytest.approx(0.5)
    result = estimate(catalog, "mistral-7b", seq_len=32768)
    assert any("4096-token window" in note for note in result.assumptions)
    # Gemma 2 alternates window and global layers: half the layers keep every token
    short, long = kv_gib(catalog, "gemma-2-9b", 4096), kv_gib(catalog, "gemma-2-9b", 8192)
    assert long == pytest.approx(1.5 * short)


def test_experts_hold_all_weights_and_route_few(catalog):
    base = catalog.get("mixtral-8x7b")
    result = estimate(catalog, "mixtral-8x7b", precision="fp16")
    # every expert is loaded: ~46.7B parameters x 2 bytes
    assert result.components["weights"] == pytest.approx(base.params * 2, rel=0.01)
    assert any("mixture of experts" in note and "12.88B" in note for note in result.assumptions)
    # activations follow the 2 routed experts, not all 8
    dense = estimate(catalog, "mistral-7b", mode="lora", seq_len=512).components["activations"]
    moe = estimate(catalog, "mixtral-8x7b", mode="lora", seq_len=512).components["activations"]
    assert dense < moe < 2 * dense


def test_latent_attention_caches_the_compressed_latent(catalog):
    # DeepSeek-V2-Lite: 27 layers x (512 latent + 64 rotary) x 2 bytes per token
    per_token = 27 * (512 + 64) * 2
    assert kv_gib(catalog, "deepseek-v2-lite", 8192) == pytest.approx(per_token * 8192 / GIB)


def test_logits_for_the_last_position_unless_asked_for_all(catalog):
    last = estimate(catalog, "llama-3-8b", seq_len=8192).components["logits"]
    every = estimate(catalog, "llama-3-8b", seq_len=8192, all_logits=True).components["logits"]
    assert last == 128256 * 4
    assert every == 8192 * last


def test_every_open_base_model_can_be_estimated(catalog, cli):
    rows = json.loads(cli("fits", "--vram", "1TB", "--all", "--format", "json").stdout)
    estimated = {r["model"] for r in rows if r["kind"] == "estimate"}
    # tests/known_gaps.py: why each open model left out cannot be estimated
    from tests.known_gaps import UNSIZED

    estimable = {b.id for b in catalog.base_models if b.open_weights and b.id not in UNSIZED}
    assert estimable <= estimated
    assert len(estimable) >= 140


@pytest.mark.parametrize(
    "name, bits",
    [("fp16", 16), ("int8", 8), ("nf4", 4.5), ("nf4-dq", 4.127), ("q4_0", 4.5), ("q8_0", 8.5),
     ("gptq-4bit", 4 + 20 / 128), ("gptq-3bit", 3 + 19 / 128)],
)  # fmt: skip
def test_precision_bits(name, bits):
    assert precision(name).bits == pytest.approx(bits, abs=1e-3)


def test_quantizers_keep_embeddings_at_16_bit_and_ggml_does_not(catalog):
    s_total = 6_738_149_376
    nf4 = estimate(catalog, precision="nf4").components["weights"]
    q4 = estimate(catalog, precision="q4_0").components["weights"]
    embeddings_and_head = 2 * 32000 * 4096
    head = embeddings_and_head // 2  # llama.cpp stores a Q4_0 file's output head in Q6_K
    assert q4 == pytest.approx(((s_total - head) * 4.5 + head * 6.5625) / 8, rel=1e-6)
    assert nf4 == pytest.approx(
        (s_total - embeddings_and_head) * 4.5 / 8 + embeddings_and_head * 2, rel=1e-6
    )


def test_int4_is_an_alias_that_says_what_it_means(catalog):
    result = estimate(catalog, precision="int4")
    assert result.recipe.precision == "nf4"
    assert "precision 'int4' read as nf4" in result.assumptions


def test_full_fine_tuning_is_16_bytes_per_parameter_and_zero_shards_it(catalog):
    single = estimate(catalog, mode="full")
    states = (
        single.components["weights"]
        + single.components["gradients"]
        + single.components["optimizer"]
    )
    assert states / 6_738_149_376 == pytest.approx(16, rel=1e-3)
    zero1 = estimate(catalog, mode="full", gpus=8, zero=1).components
    zero3 = estimate(catalog, mode="full", gpus=8, zero=3).components
    fsdp = estimate(catalog, mode="full", gpus=8, fsdp=True).components
    assert zero1["optimizer"] == pytest.approx(single.components["optimizer"] / 8, rel=1e-6)
    assert zero1["weights"] == single.components["weights"]
    assert zero3["weights"] == pytest.approx(single.components["weights"] / 8, rel=1e-6)
    sharded_state = ("weights", "gradients", "optimizer", "activations", "logits")
    assert {k: fsdp[k] for k in sharded_state} == {k: zero3[k] for k in sharded_state}


# LLaMA-7B: embeddings and head 2 x 32000 x 4096; a layer's matrices 4 x 4096^2 + 3 x 4096 x 11008
_ROOT_PARAMS = 2 * 32000 * 4096
_LAYER_PARAMS = 4 * 4096**2 + 3 * 4096 * 11008


def test_fsdp_holds_the_root_unit_and_two_gathered_layers(catalog):
    """torch/distributed/fsdp: limit_all_gathers keeps two units gathered at once,
    BACKWARD_PRE holds the current and next parameters and the current gradients, and the
    root's parameters are not freed between forward and backward."""
    parts = estimate(catalog, mode="full", gpus=8, fsdp=True, seq_len=128).components
    logits = 128 * 32000 * 10  # 16-bit logits, the fp32 copy and its gradient
    expected = _ROOT_PARAMS * 2 + (2 * _LAYER_PARAMS * 2 + _LAYER_PARAMS * 2) - logits
    assert parts["gathered_params"] == pytest.approx(expected, rel=1e-3)
    # an adapter's base has no gradients to gather
    lora = estimate(catalog, mode="lora", gpus=8, fsdp=True, seq_len=128).components
    assert lora["gathered_params"] == pytest.approx(
        _ROOT_PARAMS * 2 + 2 * _LAYER_PARAMS * 2 - logits, rel=1e-3
    )


def test_fsdp_gathered_layers_never_meet_the_logits(catalog):
    """The layers' backward passes start after the loss has freed the logits: at long
    sequences the logits are the larger, and only the root unit adds to them."""
    parts = estimate(catalog, mode="full", gpus=8, fsdp=True, seq_len=8192).components
    assert parts["logits"] > 3 * _LAYER_PARAMS * 2
    assert parts["gathered_params"] == pytest.approx(_ROOT_PARAMS * 2, rel=1e-6)


def test_zero3_gathers_the_largest_module_and_a_prefetch_bucket(catalog):
    result = estimate(catalog, mode="full", gpus=8, zero=3)
    parts = result.components
    said = next(line for line in result.assumptions if line.startswith("ZeRO-3 gathers"))
    assert "the largest module (0.24 GiB)" in said and "elements (0.09 GiB)" in said
    # the embedding (32000 x 4096) is LLaMA's largest module; stage3_prefetch_bucket_size 5e7
    assert parts["gathered_params"] == pytest.approx((32000 * 4096 + 50_000_000) * 2)


@pytest.mark.parametrize(
    "recipe",
    [
        {"mode": "full"},
        {"mode": "full", "gpus": 8, "zero": 2},
        {"mode": "inference", "gpus": 8},
        {"mode": "full", "gpus": 1, "fsdp": True},
    ],
)
def test_nothing_is_gathered_without_sharded_weights(catalog, recipe):
    assert "gathered_params" not in estimate(catalog, **recipe).components


def test_zero_holds_its_gradient_buckets_as_deepspeed_allocates_them(catalog):
    """stage_1_and_2.py backward: reduce_bucket_size elements in the trained dtype, twice
    with overlap_comm; stage 3 one flat buffer; DeepSpeed's defaults 5e8 and overlap off
    below stage 3."""
    from llmtrack.errors import UsageError

    def buckets(**recipe):
        return estimate(catalog, mode="full", gpus=8, **recipe).components.get("zero_buckets")

    assert buckets(zero=2) == 500_000_000 * 2
    assert buckets(zero=1, overlap_comm=True) == 2 * 500_000_000 * 2
    assert buckets(zero=3) == 500_000_000 * 2  # one buffer, though overlap_comm is on
    assert buckets(zero=2, reduce_bucket_size=200_000_000, overlap_comm=True) == 8 * 10**8
    assert buckets(zero=2, precision="fp32") == 500_000_000 * 4
    assert buckets(zero=0) is None and buckets(fsdp=True) is None and buckets() is None
    lora = estimate(catalog, mode="lora", zero=2).components["zero_buckets"]
    assert lora == 500_000_000 * 2  # the bucket's size, not the adapter's
    for wrong in ({"reduce_bucket_size": 10**8}, {"overlap_comm": True}):
        with pytest.raises(UsageError, match=r"buckets: give --zero 1, 2 or 3$"):
            estimate(catalog, mode="full", **wrong)  # only what is missing is asked for
        with pytest.raises(UsageError, match=r"give --mode lora, qlora or full$"):
            estimate(catalog, zero=2, **wrong)


@pytest.mark.parametrize(
    "options, named",
    [({"zero": 3}, "--zero says"), ({"optimizer": "sgd", "lora_rank": 4}, "--lora-rank and --optimizer say"),
     ({"gradient_checkpointing": False}, "--gradient-checkpointing says"), ({"fsdp": True}, "--fsdp says"),
     ({"stack": "torchtune"}, "--stack says"), ({"packed": True}, "--packed says"),
     ({"lora_targets": "all-linear"}, "--lora-targets says")],
)  # fmt: skip
def test_a_fine_tuning_option_without_a_training_mode_is_refused_never_ignored(
    catalog, options, named
):
    """An inference estimate that dropped --zero 3 without a word answered a question
    nobody asked."""
    with pytest.raises(UsageError, match=f"^{named} how a fine-tune trains: give --mode"):
        estimate(catalog, **options)


def test_lora_options_with_a_full_fine_tune_are_refused(catalog):
    for options in ({"lora_rank": 16}, {"lora_targets": "attention"}):
        with pytest.raises(UsageError, match="--mode full trains every weight"):
            estimate(catalog, mode="full", **options)


def test_what_a_quantizer_leaves_unquantized_can_be_fp32(catalog):
    """GPTQ-for-LLaMa's scripts quantize the blocks' linear layers of an fp32 checkpoint and
    save the rest as it was: BLOOM's 1.03B-parameter embedding then takes 4 bytes each."""
    from llmtrack.errors import UsageError

    def weights(**recipe):
        return estimate(catalog, "bloomz-7b1-mt", precision="gptq-8bit", **recipe).components[
            "weights"
        ]

    embedding = catalog.get("bloomz-7b1-mt").architecture.vocab_size * 4096
    assert weights(unquantized="fp32") - weights() == pytest.approx(2 * embedding, rel=0.02)
    assert weights(unquantized="FP16") == weights()  # 16-bit is the default, in any case
    said = estimate(catalog, "bloomz-7b1-mt", precision="gptq-8bit", unquantized="fp32")
    weights_line = next(a for a in said.assumptions if a.startswith("weights:"))
    assert "lm_head fp32" in weights_line and "16-bit" not in weights_line  # said once, right
    with pytest.raises(UsageError, match="quantizes nothing"):
        estimate(catalog, "bloomz-7b1-mt", precision="fp16", unquantized="fp32")
    with pytest.raises(UsageError, match="PEFT casts"):  # LoRA on bitsandbytes: fp32 anyway
        estimate(catalog, "bloomz-7b1-mt", mode="lora", precision="nf4", unquantized="bf16")
    with pytest.raises(UsageError, match="unknown unquantized dtype"):
        estimate(catalog, "bloomz-7b1-mt", precision="gptq-8bit", unquantized="int4")


def test_gradient_checkpointing_cuts_activations(catalog):
    off = estimate(catalog, mode="lora", gradient_checkpointing=False).components["activations"]
    on = estimate(catalog, mode="lora", gradient_checkpointing=True).components["activations"]
    assert on < off / 5


def test_qlora_pages_its_optimizer_and_says_so(catalog):
    result = estimate(catalog, mode="qlora")
    assert result.paged == {"optimizer"}
    assert result.peak_bytes == sum(result.components.values()) - result.components["optimizer"]
    assert any("paged AdamW" in line for line in result.assumptions)


@pytest.mark.parametrize(
    "recipe, message",
    [
        ({"mode": "qlora", "precision": "fp16"}, "qlora trains on a 4-bit base"),
        ({"mode": "full", "precision": "int8"}, "full fine-tuning needs 16- or 32-bit"),
        ({"mode": "lora", "precision": "q4_0"}, "llama.cpp inference format"),
        ({"precision": "fp12"}, "unknown precision 'fp12'"),
        ({"mode": "pretrain"}, "unknown mode 'pretrain'"),
        ({"zero": 4}, "--zero must be 0, 1, 2 or 3"),
        ({"zero": 3, "fsdp": True}, "not both"),
    ],
)
def test_impossible_recipes_are_usage_errors(catalog, recipe, message):
    with pytest.raises(UsageError, match=message):
        estimate(catalog, **recipe)


# --- the commands ----------------------------------------------------------------------


def test_estimate_qlora_on_an_rtx_4090(cli):
    result = cli("estimate", "llama-7b", "--mode", "qlora", "--gpu", "RTX 4090")
    assert result.exit_code == 0
    text = result.stdout
    assert "card: NVIDIA GeForce RTX 4090, 24 GiB -> fits" in text
    parts = ("weights", "activations", "adapter", "optimizer (paged)", "allocator cache", "peak")
    for part in (*parts, "cuda context"):
        assert part in text
    assert "Assumptions" in text and "LoRA rank 64 on every linear layer" in text


def test_estimate_json_contract(cli):
    data = json.loads(cli("estimate", "llama-7b", "--vram", "16GB", "--format", "json").stdout)
    assert {"peak_gib", "components", "assumptions", "verdict", "headroom_gib"} <= set(data)
    assert data["card"] == {"name": "16GiB card", "memory_gib": 16.0}
    assert data["verdict"] in ("fits", "tight", "no")
    assert sum(data["components"].values()) == pytest.approx(data["peak_gib"], abs=0.01)
    assert "verdict" not in json.loads(cli("estimate", "llama-7b", "-f", "json").stdout)


def test_estimate_on_a_project_uses_its_base_or_asks(cli):
    alpaca = cli("estimate", "alpaca", "-f", "json")
    assert json.loads(alpaca.stdout)["model"] == "llama-7b"
    assert "estimating Stanford Alpaca on its base model llama-7b" in alpaca.stderr
    vicuna = cli("estimate", "vicuna")
    assert vicuna.exit_code == 1 and "which one: llama-7b, llama-13b?" in vicuna.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["estimate", "gpt-4"], 1, "GPT-4 has no published architecture"),
        (
            ["estimate", "llama-7b", "--vram", "banana"],
            2,
            "invalid memory size 'banana'; e.g. 24GB",
        ),
        (
            ["estimate", "llama-7b", "--vram", "24GB", "--gpu", "t4"],
            2,
            "give --vram or --gpu, not both",
        ),
        (["estimate", "llama-7b", "--gpu", "rtx 9090"], 1, "unknown GPU 'rtx 9090'"),
        (["fits"], 2, "give the card"),
        (["fits", "--vram", "-8GB"], 2, "invalid memory size"),
    ],
)
def test_memory_command_errors(cli, args, code, message):
    result = cli(*args)
    assert result.exit_code == code
    assert message in result.stderr


def test_fits_on_24gb_lists_what_fits_best_first_and_what_projects_report(cli):
    result = cli("fits", "--vram", "24GB", "--format", "json")
    rows = json.loads(result.stdout)
    assert "a 24 GiB card, batch 1" in result.stderr
    estimates = [r for r in rows if r["kind"] == "estimate"]
    assert estimates and all(r["fits"] and r["peak_gib"] <= 24 for r in estimates)
    verdicts = [r["verdict"] for r in estimates]
    assert verdicts == sorted(verdicts, key=["fits", "tight"].index)
    assert {("llama-7b", "qlora"), ("llama-13b", "inference")} <= {
        (r["model"], r["mode"]) for r in estimates
    }
    assert ("llama-65b", "full") not in {(r["model"], r["mode"]) for r in estimates}
    # the models a practitioner picks today are there too
    assert {("llama-3.1-8b", "qlora"), ("qwen2.5-14b", "inference")} <= {
        (r["model"], r["mode"]) for r in estimates
    }
    reported = {(r["model"], r["mode"]) for r in rows if r["kind"] == "reported"}
    assert ("alpaca-lora", "training") in reported  # 1 x RTX 4090
    assert ("instruct-gpt-j", "inference") in reported  # fp16 on a 16 GB T4
    assert ("belle-bloomz", "inference") in reported  # 8-bit GPTQ in ~11.4 GB


def test_fits_all_includes_what_does_not_fit(cli):
    rows = json.loads(cli("fits", "--gpu", "t4", "--all", "-f", "json").stdout)
    assert any(r["verdict"] == "no" for r in rows)


def test_list_vram_keeps_projects_whose_recipe_fits(cli):
    small = set(cli("list", "--vram", "24GB", "--fields", "id").stdout.split()[1:])
    assert {"alpaca-lora", "baize"} <= small
    assert "alpaca" not in small  # full fine-tuning of LLaMA-7B needs ~100 GiB
    big = set(cli("list", "--vram", "1TB", "--fields", "id").stdout.split()[1:])
    assert "alpaca" in big


def test_awq_and_fp8_weights_take_their_formats_bits():
    from llmtrack.memory.precisions import precision

    assert precision("awq-4bit").bits == pytest.approx(4 + 20 / 128)  # as GPTQ: scale + zero
    assert precision("awq").name == "awq-4bit"
    assert precision("awq-4bit", group_size=64).bits == pytest.approx(4 + 20 / 64)
    assert precision("fp8").bits == pytest.approx(8.002, abs=1e-3)  # a scale per 128x128
    assert not precision("fp8").quantizes_embeddings


# --- stacks and the sources added for issue 17 ------------------------------------------


def test_the_fixture_has_the_new_sources_and_their_counters(checked):
    repos = {"/".join(urlparse(c.row["source"]).path.split("/")[1:3]) for c in checked}
    new = {
        "QwenLM/Qwen",
        "deepseek-ai/DeepSeek-LLM",
        "casper-hansen/AutoAWQ",
        "turboderp/exllama",
        "unslothai/unsloth",
        "pytorch/torchtune",
        "microsoft/DeepSpeedExamples",
        "mosaicml/llm-foundry",
        "huggingface/alignment-handbook",
    }
    assert new <= repos
    assert {c.row.get("compare") for c in checked} >= {"weights", "allocated", "reserved", "peak"}


def test_torchtune_rows_are_estimated_with_its_stack(checked):
    mine = numeric(checked, training=True)
    tune = [c for c in mine if c.row.get("stack", "").startswith("torchtune")]
    assert len(tune) >= 15 and median_abs_error(tune) <= 0.10
    assert all(c.estimate.recipe.stack == "torchtune" for c in tune)


def test_rows_with_settings_the_estimator_lacks_are_kept_but_not_held(catalog):
    from tests.memory_fixture import UNMODELLED, pending_rows

    held = load_rows()
    waiting = pending_rows()
    assert waiting and not any(row.get(key) for row in held for key in UNMODELLED)
    # llama-recipes' pure bf16 waits for a stack of its own; torchtune's is scored
    assert not any(row.get("optimizer_state_dtype") == "bf16" and "llama-recipes" in row["stack"]
                   for row in held)  # fmt: skip


def test_pure_bf16_training_keeps_no_master_copy(catalog):
    mixed = estimate(catalog, "llama-2-7b", mode="full", precision="bf16")
    pure = estimate(catalog, "llama-2-7b", mode="full", precision="bf16", stack="torchtune")
    params = catalog.get("llama-2-7b").params
    # mixed precision: 2 (weights) + 2 (gradients) + 12 (fp32 master and moments) bytes;
    # torchtune: 2 + 2 + 4 (bf16 moments)
    assert mixed.components["optimizer"] == pytest.approx(12 * params, rel=0.02)
    assert pure.components["optimizer"] == pytest.approx(4 * params, rel=0.02)
    assert any("pure bf16" in line for line in pure.assumptions)


def test_lora_on_a_gptq_base_is_not_cast_to_fp32(catalog):
    gptq = estimate(catalog, "qwen-7b", mode="lora", precision="gptq-4bit", seq_len=8192)
    nf4 = estimate(catalog, "qwen-7b", mode="lora", precision="nf4", seq_len=8192)
    # PEFT's prepare_model_for_kbit_training skips its fp32 cast for quantization_method
    # "gptq": activations stay 16-bit, half of bitsandbytes' fp32 residual stream
    assert gptq.components["activations"] < 0.6 * nf4.components["activations"]
    assert any("GPTQ base" in line for line in gptq.assumptions)


def test_stack_is_a_training_option(cli):
    result = cli("estimate", "llama-7b", "--stack", "torchtune")
    assert result.exit_code == 2 and "give --mode" in result.stderr
    record = json.loads(
        cli("estimate", "llama-7b", "--mode", "full", "--stack", "torchtune", "--format", "json").stdout
    )  # fmt: skip
    assert record["stack"] == "torchtune"
    default = json.loads(cli("estimate", "llama-7b", "--mode", "lora", "--format", "json").stdout)
    assert default["stack"] == "transformers"
    inference = json.loads(cli("estimate", "llama-7b", "--format", "json").stdout)
    assert "stack" not in inference


def test_generation_peaks_at_the_prompt_pass_or_the_last_token(catalog):
    """--new-tokens splits --seq-len into a prompt and what is generated: the peak is the
    larger of the prompt pass (the prompt's activations and logits) and the last step (one
    token's), each with the whole cache."""
    from llmtrack.memory.kvcache import cache_size

    arch = catalog.get("qwen-7b").architecture
    whole = cache_size(arch, 1, 8193, 16).kv
    generated = estimate(catalog, "qwen-7b", precision="bf16", seq_len=8193, new_tokens=8192)
    parts = generated.components
    assert parts["kv_cache"] == whole and "kv_cache_copy" not in parts
    assert parts["activations"] < 2**20  # one token's: the prompt is a single token
    prompt = estimate(catalog, "qwen-7b", precision="bf16", seq_len=8193)  # all of it prompt
    assert prompt.components["activations"] > 2**29 and prompt.peak_bytes > generated.peak_bytes
    # a long prompt and two new tokens: the prompt pass is the peak, counted with the whole
    # cache (what a cache allocated up front holds; never less than a growing one)
    read = estimate(catalog, "qwen-7b", seq_len=8192, new_tokens=2, all_logits=True)
    assert read.components["kv_cache"] == cache_size(arch, 1, 8192, 16).kv
    assert read.components["activations"] > 2**29
    assert any("the peak is the prompt pass" in line for line in read.assumptions)


def test_a_legacy_cache_holds_the_previous_cache_beside_the_new_one(catalog):
    """Qwen's own profile of generating 8,192 tokens from one in BF16 (22.53 GiB allocated
    for Qwen-7B, 38.94 for Qwen-14B) is the weights and two caches."""
    for model, measured in (("qwen-7b", 22.53), ("qwen-14b", 38.94)):
        result = estimate(catalog, model, precision="bf16", seq_len=8193, new_tokens=8192,
                          legacy_cache=True, measure="allocated")  # fmt: skip
        parts = result.components
        assert parts["kv_cache_copy"] == parts["kv_cache"]
        assert abs(result.peak_gib / measured - 1) < 0.01
        assert any(line.startswith("legacy cache (--legacy-cache)") for line in result.assumptions)


@pytest.mark.parametrize(
    "recipe, message",
    [({"seq_len": 100, "new_tokens": 100}, "--new-tokens 100 leaves no prompt"),
     ({"new_tokens": 0}, "--new-tokens must be at least 1"),
     ({"mode": "lora", "new_tokens": 5}, "--new-tokens says how a model generates"),
     ({"mode": "full", "legacy_cache": True}, "--legacy-cache says how a model generates"),
     ({"mode": "lora", "all_logits": True}, "--all-logits says how a model generates"),
     ({"precision": "q4_k_m", "legacy_cache": True}, "llama.cpp loads its own")],
)  # fmt: skip
def test_generation_options_that_cannot_apply_are_refused(catalog, recipe, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        estimate(catalog, **recipe)


def test_vllm_refuses_the_options_of_transformers_generate(cli):
    result = cli("estimate", "qwen-7b", "--engine", "vllm", "--gpu", "A100 80GB",
                 "--new-tokens", "5")  # fmt: skip
    assert result.exit_code == 2 and "vLLM sizes its cache pool" in result.stderr


def test_the_cuda_context_can_be_what_the_users_card_shows(cli):
    """The Transformers docs' V100 shows 1,343 MiB once a tiny tensor is on it; BERT-large
    loaded in fp32 is 2,631 MiB: the weights and that context."""
    record = json.loads(cli("estimate", "bert-large", "--precision", "fp32", "--cuda-context",
                            "1343MiB", "--format", "json").stdout)  # fmt: skip
    assert record["components"]["cuda_context"] * 1024 == pytest.approx(1343, abs=0.5)
    loaded = record["components"]["weights"] + record["components"]["cuda_context"]
    assert loaded * 1024 == pytest.approx(2631, rel=0.01)
    for wrong, message in ((["--cuda-context", "banana"], "invalid memory size 'banana'"),
                           (["--cuda-context", "1GB", "--measure", "allocated"], "outside what"),
                           (["--cuda-context", "100GB"], "at most 64 GiB")):  # fmt: skip
        result = cli("estimate", "bert-large", *wrong)
        assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_autoawqs_fused_loader_holds_q_k_and_v_twice_while_loading(catalog):
    """AutoAWQ's benchmark of Mistral 7B at 64 tokens reads 4.35 GiB allocated: the weights
    and a second copy of every q, k and v that fuse_layers builds; at 2,048 tokens the run
    itself needs more, and the loading is no longer the peak."""
    short = estimate(catalog, "mistral-7b", precision="awq-4bit", seq_len=64, fuse_layers=True,
                     measure="allocated")  # fmt: skip
    assert set(short.components) == {"weights", "fused_qkv_copy"}
    assert abs(short.peak_gib / 4.35 - 1) < 0.03
    long = estimate(catalog, "mistral-7b", precision="awq-4bit", seq_len=2048, fuse_layers=True)
    assert "fused_qkv_copy" not in long.components
    assert any("less than the run" in line for line in long.assumptions)
    with pytest.raises(UsageError, match="AutoAWQ's loader for AWQ weights; fp16 is not one"):
        estimate(catalog, "mistral-7b", fuse_layers=True)
    with pytest.raises(UsageError, match="--fuse-layers says how a model generates"):
        estimate(catalog, "mistral-7b", mode="lora", fuse_layers=True)


def test_half_logits_keep_the_loss_in_the_compute_dtype(catalog):
    """Qwen's Q-LoRA profile (--fp16 under DeepSpeed, no autocast; its model code never
    calls logits.float()): three 16-bit tensors per logit instead of 2 + 4 + 4 bytes."""
    recipe = dict(mode="lora", precision="gptq-4bit", seq_len=8192, lora_rank=64,
                  lora_targets="all-linear")  # fmt: skip
    vocab = catalog.get("qwen-7b").architecture.vocab_size
    full = estimate(catalog, "qwen-7b", **recipe).components["logits"]
    half = estimate(catalog, "qwen-7b", half_logits=True, **recipe).components["logits"]
    assert full == 8192 * vocab * 10 and half == 8192 * vocab * 6
    with pytest.raises(UsageError, match="this recipe computes in fp32"):
        estimate(catalog, "qwen-7b", **{**recipe, "precision": "fp32"}, half_logits=True)
    with pytest.raises(UsageError, match="--half-logits says how a fine-tune trains"):
        estimate(catalog, "qwen-7b", half_logits=True)


@pytest.mark.parametrize(
    "recipe, message",
    [({"seq_len": 8193, "legacy_cache": True}, "give --new-tokens (2 or more)"),
     ({"seq_len": 8193, "new_tokens": 1, "legacy_cache": True}, "give --new-tokens (2 or more)"),
     ({"precision": "q4_k_m", "fuse_layers": True}, "llama.cpp loads its own"),
     ({"precision": "q4_k_m", "cuda_context": 2**31}, "llama.cpp counts its compute buffers"),
     ({"precision": " "}, "--precision needs a value")],
)  # fmt: skip
def test_options_a_recipe_cannot_use_are_refused_not_ignored(catalog, recipe, message):
    """Found by a new-user pass: each was accepted and changed nothing, or counted a copy
    that is never made (no token generated after the prompt pass)."""
    with pytest.raises(UsageError, match=re.escape(message)):
        estimate(catalog, "qwen-7b", **recipe)


def test_a_one_token_prompt_peaks_at_the_last_token_and_a_fused_copy_splits_by_gpu(catalog):
    result = estimate(catalog, "qwen-7b", seq_len=8193, new_tokens=8192)
    assert any(line.endswith("the peak is the last generated token") for line in result.assumptions)
    one = estimate(catalog, "mistral-7b", precision="awq-4bit", seq_len=64, fuse_layers=True)
    two = estimate(catalog, "mistral-7b", precision="awq-4bit", seq_len=64, fuse_layers=True,
                   gpus=2)  # fmt: skip
    assert two.components["fused_qkv_copy"] * 2 == pytest.approx(one.components["fused_qkv_copy"])


def test_an_engine_with_its_own_cache_refuses_transformers_cache_options(cli):
    for engine in ("llama.cpp", "sglang", "exllamav2", "mlc"):
        result = cli("estimate", "qwen-7b", "--new-tokens", "100", "--legacy-cache", "--engine",
                     engine)  # fmt: skip
        assert result.exit_code == 2 and f"--engine {engine} keeps its own cache" in result.stderr
    fine = cli("estimate", "qwen-7b", "--new-tokens", "100", "--legacy-cache",
               "--engine", "transformers", "--gpu", "RTX 4090")  # fmt: skip
    assert fine.exit_code == 0, fine.stderr


def test_the_json_says_which_settings_changed_the_arithmetic(cli):
    record = json.loads(cli("estimate", "qwen-7b", "--seq-len", "8193", "--new-tokens", "8192",
                            "--legacy-cache", "--cuda-context", "1GiB", "--format", "json").stdout)  # fmt: skip
    assert record["new_tokens"] == 8192 and record["legacy_cache"] is True
    assert record["cuda_context_gib"] == 1.0 and "fuse_layers" not in record
    plain = json.loads(cli("estimate", "qwen-7b", "--format", "json").stdout)
    assert not {"new_tokens", "legacy_cache", "cuda_context_gib", "half_logits"} & set(plain)


def test_a_lora_rank_past_every_matrix_is_refused(catalog):
    """--lora-rank 100000 on LLaMA-7B was a 52B-parameter adapter, exit 0."""
    with pytest.raises(UsageError, match="larger than any matrix it adapts"):
        estimate(catalog, mode="lora", lora_rank=100_000)
    assert estimate(catalog, mode="lora", lora_rank=4096).components["adapter"] > 0


def test_fsdp_says_what_it_gathers_as_the_table_counts_it(catalog):
    result = estimate(catalog, mode="full", gpus=8, fsdp=True, seq_len=128)
    said = next(line for line in result.assumptions if line.startswith("FSDP gathers"))
    assert f"{result.components['gathered_params'] / GIB:.2f} GiB more at the peak" in said


@pytest.mark.parametrize("sharding", [{"fsdp": True}, {"zero": 3}])
def test_an_adapter_is_sharded_with_the_weights(catalog, sharding):
    one = estimate(catalog, mode="lora").components["adapter"]
    eight = estimate(catalog, mode="lora", gpus=8, **sharding).components["adapter"]
    assert eight == pytest.approx(one / 8, rel=1e-6)
    assert estimate(catalog, mode="lora", gpus=8, zero=2).components["adapter"] == one


@pytest.mark.parametrize("sharding", [{"fsdp": True}, {"zero": 3}, {"zero": 1}])
def test_sharding_on_one_gpu_says_it_shards_nothing(catalog, sharding):
    result = estimate(catalog, mode="full", **sharding)
    assert any("on 1 GPU shards nothing" in line for line in result.assumptions)


def test_a_bare_card_size_takes_its_article(catalog):
    from llmtrack.memory.fits import Card

    assert Card("80 GiB card", 80, preset=False).described == "an 80 GiB card"
    assert Card("24 GiB card", 24, preset=False).described == "a 24 GiB card"
    assert Card("8 GiB card", 8, gpus=4, preset=False).described == "an 8 GiB x 4 GPUs card"


def test_fsdp_gathers_fp32_weights_at_their_width(catalog):
    """A full fine-tune in fp32 gathers 4-byte parameters, not 16-bit ones."""
    half = estimate(catalog, mode="full", gpus=8, fsdp=True, seq_len=128).components
    full = estimate(catalog, mode="full", precision="fp32", gpus=8, fsdp=True, seq_len=128)
    root_fp32 = _ROOT_PARAMS * 4
    layers_fp32 = 2 * _LAYER_PARAMS * 4 + _LAYER_PARAMS * 4  # two layers, one's fp32 gradients
    logits = 128 * 32000 * 12  # fp32 logits, the copy and the gradient
    assert full.components["gathered_params"] == pytest.approx(
        root_fp32 + layers_fp32 - logits, rel=1e-3
    )
    assert full.components["gathered_params"] > half["gathered_params"]
