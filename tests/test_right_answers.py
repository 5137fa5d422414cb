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
        ("gpt-oss-240b", "gpt-oss-20b"),
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


def test_a_missing_version_is_not_the_previous_one():
    # deepseek-v3 once resolved to a DeepSeek-V2 paper; V4 is in the catalog since, V5 is not
    result = run("show", "deepseek-v5")
    assert result.returncode == 1
    assert "did you mean" in result.stderr and result.stdout == ""


def test_the_models_once_swapped_are_themselves_now():
    for name in ("gpt-oss-120b", "deepseek-v3"):
        record = json.loads(run("estimate", name, "--format", "json").stdout)
        assert record["model"] == name and "resolved_from" not in record


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


def test_short_keys_and_all_fields():
    result = run("list", "--base", "llama-7b", "--sort", "-cost", "--fields", "id,cost,hardware")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "id\tcost.total_usd\thardware"
    gpus = run("gpus", "--sort", "-memory", "--fields", "id,memory,price", "--limit", "1")
    assert gpus.stdout.splitlines()[0] == "id\tmemory_gib\tprice.usd_per_hour"
    every = run("refs", "--fields", "all", "--limit", "1").stdout.splitlines()[0].split("\t")
    assert {"id", "title", "arxiv", "cited_by"} <= set(every)


def test_an_unknown_key_suggests_the_nearest_instead_of_listing_all():
    result = run("list", "--sort", "cots")
    assert result.returncode == 2
    assert result.stderr == (
        "Error: unknown sort key 'cots'; did you mean: cost, notes? --fields all shows every key\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--method", "LoRA", "--format", "JSON"),
        ("list", "--format", "ndjson"),
        ("list", "--format", "md"),
        ("list", "--format", "yml"),
        ("refs", "--kind", "Paper"),
        ("search", "lora", "--section", "base-models"),
        ("search", "lora", "--section", "base model"),
        ("estimate", "llama-7b", "--mode", "QLoRA"),
        ("new", "project"),
        ("list", "--lang", "chinese"),
    ],
)
def test_values_are_taken_as_people_type_them(args):
    result = run(*args)
    assert result.returncode == 0, result.stderr


def test_a_language_name_is_its_code_and_an_unknown_one_names_the_codes():
    by_name = run("list", "--lang", "Chinese", "--fields", "id").stdout
    assert by_name == run("list", "--lang", "zh", "--fields", "id").stdout
    unknown = run("list", "--lang", "klingon")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith(
        "Error: unknown language (ISO 639-1) 'klingon'; choose from: en, zh"
    )


def listed(*args: str) -> list[dict]:
    result = run(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_project_on_several_bases_shows_the_figures_of_the_base_asked_about():
    rows = listed("list", "--base", "llama-7b", "--sort", "cost")
    vicuna = next(row for row in rows if row["id"] == "vicuna")
    assert vicuna["cost"]["training_usd"] == 140  # the 7B run, not the 13B's $300
    assert vicuna["variant"] == "LLaMA-7B"
    assert [row["id"] for row in rows][:1] == ["vicuna"]  # $140 is the cheapest known
    deepspeed = listed("list", "--base", "opt-1.3b")[0]
    assert deepspeed["training"]["hours"] == 1.4 and deepspeed["base_models"] == ["opt-1.3b"]


def test_max_cost_and_dates_judge_the_variant():
    assert listed("list", "--base", "opt-175b", "--max-cost", "500") == []  # $5,120
    assert [r["id"] for r in listed("list", "--base", "opt-13b", "--max-cost", "500")] == [
        "deepspeed-chat"
    ]
    # WizardLM's Llama 2 70B model came out on 2023-08-09, after Llama 2 itself
    assert listed("list", "--base", "llama-2-70b", "--until", "2023-06-01") == []


def test_show_gives_every_variant():
    record = json.loads(run("show", "deepspeed-chat", "--format", "json").stdout)
    by_base = {v["base_model"]: v for v in record["variants"]}
    assert by_base["opt-175b"]["cost"]["training_usd"] == 5120
    assert by_base["opt-175b"]["training"]["gpu_count"] == 64
    assert all(v["source"] for v in record["variants"])


def test_a_project_fits_by_its_own_recipe():
    guanaco = [
        r for r in listed("list", "--base", "llama-65b", "--vram", "48GB") if r["id"] == "guanaco"
    ]
    assert guanaco and guanaco[0]["fit.recipe"].startswith("qlora")  # 65B on one 48 GB GPU
    assert guanaco[0]["fit.verdict"] in ("fits", "tight")
    assert "guanaco" in {r["id"] for r in listed("list", "--vram", "24GB")}


def test_costs_keep_their_kind_and_bound():
    colossal = listed("list", "--base", "llama-7b", "--fields", "id,cost.data_usd,cost.total_usd")
    row = next(r for r in colossal if r["id"] == "colossalchat")
    assert row == {"id": "colossalchat", "cost.data_usd": 880, "cost.total_usd": None}
    table = run("list", "--format", "markdown", "--fields", "id,cost", "--sort", "cost").stdout
    assert "| alpaca | ≤$600 |" in table and "| vicuna | ~$300 |" in table


def test_a_mac_is_named_with_its_memory_and_its_gpu_gets_metals_share():
    result = run("estimate", "llama-7b", "--gpu", "m2 16gb", "--format", "json")
    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)["card"]
    assert card["name"] == "Apple M2 16 GB"
    assert card["memory_gib"] == pytest.approx(16 * 2 / 3)
    assert "2/3, macOS's default Metal working-set limit" in result.stderr
    big = json.loads(run("estimate", "llama-7b", "--gpu", "M2 Max 96GB", "--format", "json").stdout)
    assert big["card"]["memory_gib"] == pytest.approx(72)  # 3/4 from 64 GB, as measured


def test_a_mac_without_its_memory_says_which_it_took():
    result = run("estimate", "llama-7b", "--gpu", "m2", "--format", "json")
    assert json.loads(result.stdout)["card"]["memory_gib"] == pytest.approx(16)  # 2/3 of 24
    assert "its largest memory, 24 GB" in result.stderr


def test_a_mac_memory_it_is_not_sold_with_is_refused():
    result = run("estimate", "llama-7b", "--gpu", "m2 12gb")
    assert result.returncode == 2
    assert result.stderr == "Error: Apple M2 comes with 8, 16, 24 GB, not 12\n"


def fit_rows(*args: str) -> list[dict]:
    result = run("fits", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_mode_keeps_its_precisions():
    rows = fit_rows("--vram", "8GB", "--mode", "inference")
    llama3 = [r for r in rows if r["model"] == "llama-3-8b"]
    assert [(r["mode"], r["precision"]) for r in llama3] == [("inference", "nf4")]


def test_one_row_per_model_and_mode_unless_all_recipes():
    rows = [r for r in fit_rows("--vram", "80GB") if r["kind"] == "estimate"]
    pairs = [(r["model"], r["mode"]) for r in rows]
    assert len(pairs) == len(set(pairs))
    llama7 = {r["mode"]: r["precision"] for r in rows if r["model"] == "llama-7b"}
    assert llama7["inference"] == "fp16"  # the highest precision that fits
    every = [r for r in fit_rows("--vram", "80GB", "--all-recipes") if r["model"] == "llama-7b"]
    assert {r["precision"] for r in every if r["mode"] == "inference"} == {"fp16", "int8", "nf4"}


def test_reported_rows_state_no_made_up_memory_and_follow_the_card_count():
    moss = [r for r in fit_rows("--gpu", "rtx-3090", "--all") if r["model"] == "moss-003"]
    two_3090s = next(r for r in moss if r["precision"] == "fp16" and "3090" in (r["note"] or ""))
    assert two_3090s["verdict"] == "no" and two_3090s["note"].startswith("needs 2 x rtx-3090")
    assert two_3090s["peak_gib"] is None  # the source gives a setup, not a memory figure
    on_two = [r for r in fit_rows("--gpu", "rtx-3090", "--gpus", "2") if r["model"] == "moss-003"]
    assert any(r["precision"] == "fp16" and r["verdict"] == "fits" for r in on_two)


def test_reported_rows_follow_mode_and_precision_and_the_verdict_rule():
    rows = fit_rows("--vram", "24GB", "--mode", "inference", "--precision", "int8")
    assert all(r["mode"] == "inference" and r["precision"] == "int8" for r in rows)
    dolly = [r for r in fit_rows("--vram", "24GB", "--all") if r["model"] == "dolly-v2"]
    assert all(r["verdict"] != "fits" for r in dolly if r["headroom_gib"] == 0)  # 0 free: tight


def test_the_fits_title_says_the_tokens_and_batch():
    result = run("fits", "--vram", "24GB", "--seq-len", "4096", "--batch", "2", "--limit", "1")
    assert "batch 2 x 4096 tokens" in result.stderr


def test_what_decided_a_fit_stays_on_an_80_column_terminal():
    from tests.test_cli import on_a_terminal

    code, screen = on_a_terminal("list", "--base", "llama-7b", "--vram", "24GB", columns=80)
    assert code == 0
    assert "fit.recipe" in screen and "fit.verdict" in screen and "variant" in screen
    assert "qlora nf4-dq" in screen  # Guanaco, judged by its own recipe
