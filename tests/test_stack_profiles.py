"""Training stacks' profiles as read in their code: Unsloth (--stack unsloth: what it keeps,
what it refuses, its README's max-context tables) and axolotl (--stack axolotl: its dtypes
and defaults); and the 4-bit matrix every bitsandbytes fine-tune dequantizes."""

from __future__ import annotations

import json
import re

import pytest

from llmtrack.errors import UsageError
from llmtrack.memory import GIB, Recipe
from llmtrack.memory.fits import estimate_base
from tests.memory_fixture import check, load_rows


def estimate(catalog, model="llama-3.1-8b", **recipe):
    return estimate_base(catalog.get(model), Recipe(**recipe))


def unsloth(catalog, model="llama-3.1-8b", **recipe):
    recipe.setdefault("mode", "qlora")
    return estimate(catalog, model, stack="unsloth", **recipe)


def test_every_max_context_row_of_its_readme_fills_the_card(catalog):
    rows = [row for row in load_rows() if row.get("stack") == "unsloth"]
    assert len(rows) == 9  # 7 card sizes for Llama 3.1 8B, 2 for Llama 3.3 70B
    for row in rows:
        checked = check(catalog, row)
        assert checked.estimate.recipe.stack == "unsloth"
        # a max context is where the card is full: under 10 % free, not room to spare
        assert checked.estimate.verdict(row["card_gib"]) == "tight", row["id"]


def test_checkpoints_live_in_cpu_ram(catalog):
    offloaded = unsloth(catalog, seq_len=8192)
    kept = estimate(catalog, mode="qlora", seq_len=8192)
    arch = catalog.get("llama-3.1-8b").architecture
    inputs = arch.layers * 8192 * arch.hidden_size * 2  # every layer's bf16 input
    # the default stack keeps every layer's input on the GPU; Unsloth only the recomputed layer
    assert kept.components["activations"] - offloaded.components["activations"] > 0.9 * inputs
    assert any("CPU RAM (2.00 GiB there)" in line for line in offloaded.assumptions)
    # without checkpointing, nothing is offloaded: every layer's activations stay
    full = unsloth(catalog, seq_len=8192, gradient_checkpointing=False)
    assert full.components["activations"] > 5 * kept.components["activations"]


def test_its_loss_never_makes_fp32_logits(catalog):
    vocab = catalog.get("llama-3.1-8b").architecture.vocab_size
    fused = unsloth(catalog, seq_len=4096)
    assert fused.components["logits"] == 0
    assert any("never makes the logits" in line for line in fused.assumptions)
    short = unsloth(catalog, seq_len=512, batch=2)  # 1,024 tokens: its own kernel, 16-bit
    assert short.components["logits"] == 1024 * vocab * 2
    assert estimate(catalog, mode="qlora", seq_len=512, batch=2).components["logits"] == (
        1024 * vocab * (2 + 4 + 4)
    )


def test_its_own_defaults(catalog):
    result = unsloth(catalog)
    said = "\n".join(result.assumptions)
    # FastLanguageModel.get_peft_model: r=16 on q, k, v, o, gate, up, down; the README's
    # adamw_8bit and use_gradient_checkpointing="unsloth"; LoRA weights cast to fp32
    assert "LoRA rank 16 on every linear layer" in said
    assert result.recipe.optimizer == "adamw-8bit"
    assert result.recipe.gradient_checkpointing is True
    params = 16 * sum(
        (i + o) for i, o in ((4096, 4096), (4096, 1024), (4096, 1024), (4096, 4096))
    ) + 16 * 3 * (4096 + 14336)
    assert result.components["adapter"] == pytest.approx(32 * params * 4)
    assert "LoRA weights in fp32" in said
    chosen = unsloth(catalog, optimizer="adamw", lora_rank=64)
    assert (
        chosen.recipe.optimizer == "adamw"
        and chosen.components["adapter"] > 3.9 * (result.components["adapter"])
    )


@pytest.mark.parametrize(
    ("recipe", "says"),
    [
        ({"mode": "full"}, "trains lora and qlora only"),
        ({"gpus": 2}, "trains on one GPU"),
        ({"zero": 2}, "trains on one GPU"),
        ({"fsdp": True}, "trains on one GPU"),
        ({"half_logits": True}, "computes its own loss"),
    ],
)
def test_what_it_does_not_run_is_refused(catalog, recipe, says):
    recipe.setdefault("mode", "qlora")
    with pytest.raises(UsageError, match=says):
        Recipe(stack="unsloth", **recipe)


def test_refusals_on_the_command_line(cli):
    result = cli("estimate", "llama-3.1-8b", "--mode", "full", "--stack", "unsloth")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--mode lora or qlora" in result.stderr
    record = json.loads(
        cli("estimate", "llama-3.1-8b", "--mode", "qlora", "--stack", "unsloth",
            "--seq-len", "4096", "-f", "json").stdout
    )  # fmt: skip
    assert record["stack"] == "unsloth" and record["components"]["logits"] == 0


def test_its_speed_is_half_the_default_stacks_step(catalog):
    from llmtrack.memory.shapes import shapes
    from llmtrack.memory.stacks import STACKS
    from llmtrack.memory.training_time import training_time

    arch = catalog.get("llama-3.1-8b").architecture
    args = (arch, shapes(arch), "qlora", 10**7, 2048, True, 165.0, 1, None)
    hf = training_time(*args, stack=STACKS["transformers"]).hours
    fast = training_time(*args, stack=STACKS["unsloth"])
    assert fast.hours == pytest.approx(hf / 2)
    assert any("no measured row" in line for line in fast.assumptions)


def test_a_4bit_fine_tune_dequantizes_one_matrix_at_a_time(catalog):
    gate = 14336 * 4096  # Llama 3.1 8B's largest quantized matrix (gate, up and down)
    qlora = estimate(catalog, mode="qlora", seq_len=1024)
    assert qlora.components["dequantized"] == gate * 2  # bf16, the activations' dtype
    # LoRA on a 4-bit base as PEFT casts it: the bf16 matrix and its fp32 copy
    lora = estimate(catalog, mode="lora", precision="nf4", seq_len=1024)
    assert lora.components["dequantized"] == gate * (2 + 4)
    assert any("dequantized to multiply" in line for line in qlora.assumptions)
    for other in (
        estimate(catalog, mode="lora", precision="bf16"),
        estimate(catalog, precision="nf4"),  # inference: its peak phase is not a matmul's
    ):
        assert "dequantized" not in other.components
    assert qlora.components["dequantized"] / GIB == pytest.approx(0.109, abs=0.001)


def test_axolotl_undoes_peft_s_fp32_cast_and_keeps_fp32_adapters(catalog):
    peft = estimate(
        catalog, mode="lora", precision="nf4", seq_len=2048, gradient_checkpointing=True
    )
    axolotl = estimate(catalog, mode="lora", precision="nf4", seq_len=2048,
                       gradient_checkpointing=True, stack="axolotl")  # fmt: skip
    # norms and embeddings back in bf16 after prepare_model_for_kbit_training: 16-bit
    # activations, half of PEFT's fp32 residual stream
    assert axolotl.components["activations"] < 0.6 * peft.components["activations"]
    assert axolotl.components["weights"] < peft.components["weights"]  # 16-bit embeddings
    said = "\n".join(axolotl.assumptions)
    assert "PEFT's fp32 cast undone for norms and embeddings" in said
    qlora = estimate(catalog, mode="qlora", stack="axolotl")
    recipe_qlora = estimate(catalog, mode="qlora")
    # PEFT's autocast_adapter_dtype keeps LoRA weights fp32; the QLoRA recipe's are bf16
    assert qlora.components["adapter"] == 2 * recipe_qlora.components["adapter"]


def test_axolotl_s_own_defaults(catalog):
    result = estimate(catalog, mode="qlora", stack="axolotl")
    # its schema: gradient_checkpointing false, optimizer adamw_torch_fused (fp32 moments)
    assert result.recipe.gradient_checkpointing is False
    assert result.recipe.optimizer == "adamw" and "optimizer" not in result.paged
    said = "\n".join(result.assumptions)
    assert "gradient checkpointing off (axolotl:" in said and "adamw_torch_fused" in said
    asked = estimate(catalog, mode="qlora", stack="axolotl", gradient_checkpointing=True)
    assert asked.components["activations"] < result.components["activations"] / 5


def test_axolotl_trains_at_transformers_speed(catalog):
    from llmtrack.memory.stacks import STACKS

    assert STACKS["axolotl"].modes == STACKS["transformers"].modes
    assert STACKS["axolotl"].speed_source is None


@pytest.mark.parametrize("weights", ["gptq-4bit", "awq-4bit", "int8"])
def test_unsloth_trains_on_bitsandbytes_4bit_or_16bit_weights_only(catalog, weights):
    with pytest.raises(UsageError, match="16-bit or bitsandbytes 4-bit weights"):
        unsloth(catalog, mode="lora", precision=weights)


def test_its_offloaded_checkpoints_are_checked_against_the_ram_given(cli):
    args = ("estimate", "llama-3.1-8b", "--mode", "qlora", "--stack", "unsloth", "--seq-len",
            "32768", "--gpu", "RTX 4090")  # fmt: skip
    short = cli(*args, "--ram", "4GB", "--format", "json")
    assert short.exit_code == 0 and json.loads(short.stdout)["cpu_ram_gib"] == 8.0
    assert "CPU RAM (8.00 GiB) are more than the 4 GiB of RAM given" in short.stderr
    assert "CPU RAM" not in cli(*args, "--ram", "64GB").stderr
    kept = json.loads(cli("estimate", "llama-3.1-8b", "--mode", "qlora", "-f", "json").stdout)
    assert "cpu_ram_gib" not in kept


def test_reproduce_on_unsloth_keeps_the_projects_recipe(cli):
    default = json.loads(cli("reproduce", "guanaco", "--gpu", "rtx-4090", "-f", "json").stdout)
    fast = json.loads(
        cli("reproduce", "guanaco", "--gpu", "rtx-4090", "--stack", "unsloth", "-f", "json").stdout
    )
    assert (default["stack"], fast["stack"]) == ("transformers", "unsloth")
    said = "\n".join(fast["assumptions"])
    # Guanaco's QLoRA recipe, rank 64 on every linear layer with paged AdamW, stays
    assert "LoRA rank 64 on every linear layer" in said and "paged AdamW" in said
    assert fast["peak_gib"] != default["peak_gib"]  # what Unsloth keeps is what changes
    refused = cli("reproduce", "alpaca", "--gpu", "rtx-4090", "--stack", "unsloth")
    assert refused.exit_code == 2 and "--mode" not in refused.stderr
    assert "Stanford Alpaca's recipe is full bf16: drop --stack" in refused.stderr
    int8 = cli("reproduce", "gpt4all", "--stack", "unsloth")  # LoRA on LLM.int8, 8 GPUs
    assert int8.exit_code == 2 and "recipe is lora int8: drop --stack" in int8.stderr


def test_a_small_cost_is_shown_in_cents(cli):
    result = cli("estimate", "llama-3.1-8b", "--mode", "qlora", "--stack", "unsloth",
                 "--gpu", "RTX 4090", "--train-tokens", "1000000")  # fmt: skip
    assert re.search(r"\$0\.\d\d for 1,000,000 tokens", result.stdout)
    nocard = cli("estimate", "llama-3.1-8b", "--mode", "qlora", "--train-tokens", "100")
    assert nocard.exit_code == 2 and "--vram with --tflops" in nocard.stderr


def test_an_empty_stack_is_refused_not_taken_for_the_default(cli):
    result = cli("estimate", "llama-7b", "--mode", "lora", "--stack", "")
    assert result.exit_code == 2 and "--stack needs a value: transformers," in result.stderr


def test_fits_sizes_fine_tunes_on_a_stack(cli):
    args = ("fits", "--vram", "24GB", "--mode", "qlora", "--seq-len", "16384", "--all",
            "-f", "json")  # fmt: skip
    default = {r["model"]: r for r in json.loads(cli(*args).stdout) if r["kind"] == "estimate"}
    fast = {r["model"]: r for r in json.loads(cli(*args, "--stack", "unsloth").stdout)
            if r["kind"] == "estimate"}  # fmt: skip

    # offloaded checkpoints and no logits: longer runs of bigger models fit
    def fitting(rows):
        return sum(1 for r in rows.values() if r["verdict"] != "no")

    assert fitting(fast) > fitting(default)
    assert fast["llama-3.1-8b"]["peak_gib"] < default["llama-3.1-8b"]["peak_gib"]
    assert "llama-7b" not in fast  # its 2,048-token context: left out, and said
    # without --mode, the modes it does not train are left out; asked for, refused
    every = json.loads(cli("fits", "--vram", "24GB", "--stack", "unsloth", "-f", "json").stdout)
    assert "full" not in {r["mode"] for r in every if r["kind"] == "estimate"}
    refused = cli("fits", "--vram", "24GB", "--mode", "full", "--stack", "unsloth")
    assert refused.exit_code == 2 and "trains lora and qlora only" in refused.stderr


def test_an_unsloth_estimate_says_what_its_profile_was_read_on(catalog):
    said = "\n".join(unsloth(catalog).assumptions)
    assert "its Llama code path as read at e3162dc" in said


@pytest.mark.parametrize(
    ("weights", "on"),
    [("nf4", True), ("int8", True), ("gptq-4bit", True), ("awq-4bit", False), ("nvfp4", False)],
)
def test_peft_turns_checkpointing_on_for_the_bases_its_code_names(catalog, weights, on):
    # prepare_model_for_kbit_training: loaded_in_kbit (bitsandbytes) or a quantization_method
    # of gptq, aqlm, eetq, hqq or torchao; an AWQ or FP8 base is cast to fp32 but not
    # checkpointed
    result = estimate(catalog, "llama-7b", mode="lora", precision=weights)
    assert result.recipe.gradient_checkpointing is on
    if not on:
        assert any(f"bitsandbytes and GPTQ bases, not {weights}" in line
                   for line in result.assumptions)  # fmt: skip


@pytest.mark.parametrize("weights", ["exl2-4.0", "exl3-3.0"])
def test_exllama_formats_are_not_trained(catalog, weights):
    from llmtrack.errors import NotApplicable

    with pytest.raises(NotApplicable, match="ExLlama's inference format"):
        estimate(catalog, "llama-7b", mode="lora", precision=weights)


@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_group_size_gptq_does_not_take_is_refused(cli, size):
    result = cli("estimate", "llama-7b", "--precision", "gptq-4bit", f"--group-size={size}")
    assert result.exit_code == 2 and "must be -1 (one scale per column) or 1 to" in result.stderr


def test_a_group_size_for_a_format_without_groups_is_refused(cli):
    result = cli("estimate", "llama-7b", "--precision", "fp16", "--group-size", "64")
    assert result.exit_code == 2 and "fp16 has none" in result.stderr


@pytest.mark.parametrize("weights", ["mxfp4", "fp8"])
def test_formats_transformers_cannot_train_are_refused(catalog, cli, weights):
    from llmtrack.errors import NotApplicable

    with pytest.raises(NotApplicable, match="transformers cannot fine-tune"):
        estimate(catalog, "gpt-oss-20b", mode="lora", precision=weights)
    said = json.loads(cli("estimate", "gpt-oss-20b", "--mode", "lora", "-f", "json").stdout)
    assert any("this recipe cannot train on mxfp4 itself" in line for line in said["assumptions"])


def test_an_exllama_format_names_no_mode_that_would_not_help(cli):
    result = cli("estimate", "llama-7b", "--precision", "exl2-4.0", "--mode", "full")
    assert result.exit_code == 2 and "ExLlama's inference format" in result.stderr


def test_refusals_name_a_way_out_the_command_has(cli):
    many = cli("reproduce", "guanaco", "--gpu", "rtx-4090", "--gpus", "2", "--stack", "unsloth")
    assert many.exit_code == 2 and "(--gpu NAME without --gpus), or drop --stack" in many.stderr
    mode = cli("reproduce", "alpaca", "--gpu", "rtx-4090", "--stack", "unsloth")
    assert "GPU(s)" not in mode.stderr and "drop --stack" in mode.stderr
    fits = cli("fits", "--vram", "24GB", "--stack", "unsloth", "--gpus", "2")
    assert fits.exit_code == 2 and "drop --gpus, or drop --stack" in fits.stderr
    assert "--zero" not in fits.stderr


def test_unsloth_trains_decoder_only_models(cli):
    result = cli("estimate", "t5-11b", "--mode", "qlora", "--stack", "unsloth")
    assert result.exit_code == 2 and "t5-11b is an encoder-decoder model" in result.stderr
    fits = cli("fits", "--vram", "24GB", "--mode", "qlora", "--stack", "unsloth", "-f", "json")
    assert not {"t5-11b", "bert-large"} & {r["model"] for r in json.loads(fits.stdout)}


def test_ram_alone_checks_the_offloaded_checkpoints_without_a_card(cli):
    result = cli("estimate", "llama-3.1-8b", "--mode", "qlora", "--stack", "unsloth",
                 "--seq-len", "32768", "--ram", "4GB")  # fmt: skip
    assert result.exit_code == 0 and "more than the 4 GiB of RAM given" in result.stderr


def test_assumptions_do_not_contradict_each_other(catalog):
    cast = "\n".join(estimate(catalog, "llama-7b", mode="lora", precision="nf4").assumptions)
    assert "stay 16-bit" not in cast and "cast to fp32 (below)" in cast
    full = estimate(catalog, "llama-7b", mode="full", stack="axolotl").assumptions
    assert not any("LoRA weights" in line for line in full)


def test_durations_under_an_hour_are_said_in_minutes():
    from llmtrack.units import format_gpu_hours, format_hours

    assert format_hours(0.17) == "10 min" and format_hours(0.001) == "under a minute"
    assert format_hours(1.5) == "1.5 h" and format_hours(12.4) == "12 h"
    assert format_gpu_hours(0.17) == "0.17 GPU-hours"


def test_fits_names_the_stack_in_its_title():
    from types import SimpleNamespace

    from llmtrack.output.listings import fits_listing

    card = SimpleNamespace(described="a 24 GiB card", bandwidth_gb_s=None)
    assert fits_listing([], card, 8192, stack="unsloth").title.endswith("; fine-tunes on unsloth")
    assert "fine-tunes" not in fits_listing([], card, 8192).title


def test_fits_leaves_out_models_whose_context_is_shorter_than_asked(cli):
    result = cli("fits", "--vram", "80GB", "--seq-len", "16384", "-f", "json")
    assert "models left out: contexts under 16,384 tokens (" in result.stderr
    shown = {r["model"] for r in json.loads(result.stdout) if r["kind"] == "estimate"}
    assert "llama-7b" not in shown and "llama-3.1-8b" in shown
