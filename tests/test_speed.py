"""Issue 16: speed from first principles, held to published measurements
(tests/fixtures/speed_measurements.yaml; `python benchmarks/speed.py` prints every row)."""

from __future__ import annotations

import json

import pytest

from llmtrack.api import load_catalog
from tests import speed_fixture as sf
from tests import training_runs as tr


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_the_fixture_is_sourced_and_wide(catalog):
    rows = sf.load_rows()
    assert all(r["source"].startswith("https://") for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    speed = [r for r in rows if r["kind"] in ("decode", "prefill") and sf.usable(r, catalog)]
    assert len(speed) >= 60
    assert len({r["source"] for r in speed}) >= 6
    vendors = {catalog.get(r["gpu"]).vendor for r in speed}
    assert {"NVIDIA", "AMD", "Apple"} <= vendors


def test_decode_speed_is_within_15_percent_of_published_runs(catalog):
    rows = sf.checked(catalog, "decode")
    assert len(rows) >= 60
    assert sf.median_abs_error(rows) <= 0.15
    for engine in ("llama.cpp", "vllm"):
        mine = [r for r in rows if r.row["engine"].lower() == engine]
        assert sf.median_abs_error(mine) <= 0.15, engine


def test_decode_speed_beats_the_naive_rule(catalog):
    rows = [r for r in sf.checked(catalog, "decode") if r.naive_error is not None]
    naive = sorted(abs(r.naive_error) for r in rows)[len(rows) // 2]
    assert sf.median_abs_error(rows) < naive / 2


def test_prompt_speed_against_published_runs(catalog):
    rows = sf.checked(catalog, "prefill")
    assert len(rows) >= 30
    assert sf.median_abs_error(rows) <= 0.25
    # llama.cpp hands 16-bit weights to cuBLAS and quantized ones to its own kernels, which
    # reach a smaller share of the card: one share for both was 27 % off
    llama = [r for r in rows if r.row["engine"] == "llama.cpp"]
    for quantized in (False, True):
        mine = [r for r in llama if sf.quantized(r.row) == quantized]
        assert len(mine) >= 10 and sf.median_abs_error(mine) <= 0.25, quantized


def test_training_throughput_against_published_runs(catalog):
    rows = sf.checked(catalog, "train")
    assert len(rows) >= 100
    assert sf.median_abs_error(rows) <= 0.20
    for stack in ("transformers", "torchtune", "megatron"):
        mine = [r for r in rows if sf.stack_of(r.row).name == stack]
        assert len(mine) >= 15 and sf.median_abs_error(mine) <= 0.20, stack


def test_reported_fine_tuning_runs_are_sourced():
    runs = tr.load_runs()
    assert len({r["id"] for r in runs}) == len(runs)
    reported = [r for r in runs if r.get("hours") and r.get("gpus") and r.get("gpu_name")]
    assert len(reported) >= 15
    assert all(r["hours_source"].startswith("https://") for r in reported)
    for r in runs:
        if r.get("tokens"):
            assert r["tokens_basis"] in ("padded", "packed", "stated") and r["tokens_source"]


def test_training_hours_against_reported_runs(catalog):
    runs = tr.checked(catalog)
    assert len(runs) >= 12
    # the runs on a stack llmtrack has a profile for: 9 today, 23 %
    profiled = [r for r in runs if r.row.get("stack")]
    assert len(profiled) >= 9 and tr.median_abs_error(profiled) <= 0.30
    # the others (plain PyTorch, DeepSpeed-Chat, OLMo-core) are predicted with the default
    # stack, as for a user who names none, and run faster than it: over, never wildly under
    others = [r for r in runs if not r.row.get("stack")]
    assert others and all(0 < r.error < 1.0 for r in others)
    # with the published throughput tables, the 30 % on every training row
    errors = [abs(r.error) for r in runs] + [abs(r.error) for r in sf.checked(catalog, "train")]
    assert sorted(errors)[len(errors) // 2] <= 0.30


def test_a_short_micro_batch_pays_the_stacks_time_per_layer(catalog):
    from llmtrack.memory.shapes import shapes
    from llmtrack.memory.stacks import STACKS
    from llmtrack.memory.training_time import training_time

    arch = catalog.get("llama-2-7b").architecture
    args = (arch, shapes(arch), "lora", 10**7, 256, False, 312.0, 1, None)
    hf = training_time(*args, stack=STACKS["transformers"], micro_batch=1).hours
    hf_wide = training_time(*args, stack=STACKS["transformers"], micro_batch=16).hours
    tuned = training_time(*args, stack=STACKS["torchtune"], micro_batch=1).hours
    assert hf and hf_wide and tuned
    assert hf > 1.3 * hf_wide  # 128 ms a micro-batch of 32 layers, spread over more tokens
    assert tuned < hf


def test_estimate_says_how_fast_on_a_known_card(cli):
    result = cli("estimate", "llama-3-8b", "--precision", "q4_k_m", "--gpu", "RTX 4090")
    assert result.exit_code == 0
    assert "tokens/s generating" in result.stdout
    record = json.loads(
        cli("estimate", "llama-3-8b", "--precision", "q4_k_m", "--gpu", "RTX 4090",
            "--format", "json").stdout
    )  # fmt: skip
    # XiongjieDai's llama-bench on an RTX 4090: 127.74 tokens/s (tg512, Q4_K_M)
    assert 90 < record["decode_tokens_per_s"] < 170
    assert record["prefill_tokens_per_s"] > 1000
    assert any("llama.cpp" in line for line in record["assumptions"])


def test_a_bare_card_needs_its_bandwidth_for_speed(cli):
    bare = json.loads(cli("estimate", "llama-3-8b", "--vram", "24GB", "--format", "json").stdout)
    assert "decode_tokens_per_s" not in bare
    described = json.loads(
        cli("estimate", "llama-3-8b", "--vram", "24GB", "--bandwidth", "1008GB/s",
            "--tflops", "165", "--format", "json").stdout
    )  # fmt: skip
    assert described["decode_tokens_per_s"] > 0 and described["prefill_tokens_per_s"] > 0
    alone = cli("estimate", "llama-3-8b", "--bandwidth", "1008GB/s")
    assert alone.exit_code == 2 and "--vram" in alone.stderr


@pytest.mark.parametrize("value", ["fast", "-5GB/s", "nan", "1e9GB/s", "0"])
def test_a_bandwidth_that_does_not_parse_is_refused(cli, value):
    result = cli("estimate", "llama-3-8b", "--vram", "24GB", "--bandwidth", value)
    assert result.exit_code == 2 and "invalid bandwidth" in result.stderr


def test_layer_split_engines_do_not_add_cards_bandwidth(catalog):
    from llmtrack.memory.engines import ENGINES
    from llmtrack.memory.precisions import precision
    from llmtrack.memory.shapes import shapes
    from llmtrack.memory.speed import Hardware, decode_speed

    arch = catalog.get("llama-3-70b").architecture
    prec = precision("q4_k_m")
    one, _ = decode_speed(
        arch, shapes(arch), prec, Hardware(1008, 165, 1), ENGINES["llama.cpp"], 512
    )
    two, _ = decode_speed(
        arch, shapes(arch), prec, Hardware(1008, 165, 2), ENGINES["llama.cpp"], 512
    )
    assert one == two  # a token passes the two cards' layers one after the other
    tp1, _ = decode_speed(arch, shapes(arch), prec, Hardware(1008, 165, 1), ENGINES["vllm"], 512)
    tp2, _ = decode_speed(arch, shapes(arch), prec, Hardware(1008, 165, 2), ENGINES["vllm"], 512)
    assert tp2 > 1.3 * tp1  # tensor parallel reads half the weights per card


def test_moe_decode_reads_only_the_routed_experts(catalog):
    from llmtrack.memory.precisions import precision
    from llmtrack.memory.shapes import shapes
    from llmtrack.memory.speed import read_per_token
    from llmtrack.memory.weights import weight_bytes

    arch = catalog.get("qwen3-30b-a3b").architecture
    s = shapes(arch)
    read = read_per_token(arch, s, precision("bf16"), 1)
    assert read < weight_bytes(arch, s, precision("bf16"), 16) / 5
    assert read_per_token(arch, s, precision("bf16"), 64) > 3 * read  # a batch routes widely


def test_fits_shows_decode_speed_when_the_card_has_a_bandwidth(cli):
    rows = json.loads(cli("fits", "--gpu", "rtx-4090", "--format", "json").stdout)
    inference = [r for r in rows if r["kind"] == "estimate" and r["mode"] == "inference"]
    silent = {r["model"] for r in inference if not r["decode_tokens_per_s"]}
    assert inference and silent == {"bert-base", "bert-large"}  # encoders do not generate
    by_speed = cli("fits", "--gpu", "rtx-4090", "--sort", "-speed", "--format", "json").stdout
    speeds = [r["decode_tokens_per_s"] for r in json.loads(by_speed) if r["decode_tokens_per_s"]]
    assert speeds == sorted(speeds, reverse=True)


@pytest.mark.parametrize(
    "settings", [{}, {"seq_len": 8192, "batch": 4, "kv_cache": "q8_0"}, {"precisions": ["q4_k_m"]}]
)
def test_fits_remembers_decode_steps_and_gives_the_same_speeds(settings, tmp_path, monkeypatch):
    """The card-independent half of each row's speed is kept in the cache folder; rows from
    it equal rows worked out afresh, and a corrupt file is worked out again."""
    from llmtrack.catalog.files import bundled_files
    from llmtrack.catalog.load import compile_catalog
    from llmtrack.memory.fits import Card, fits_on

    monkeypatch.setenv("LLMTRACK_CACHE_DIR", str(tmp_path))
    card = Card("RTX 4090", 24, bandwidth_gb_s=1008, tflops=165.2, half_accumulate=2.0)
    keyed = load_catalog()
    first = fits_on(keyed, card, **settings)
    [memo] = list(tmp_path.glob("steps-*.json"))
    afresh = fits_on(compile_catalog(bundled_files()), card, **settings)  # no key: no memo
    assert fits_on(keyed, card, **settings) == first == afresh
    assert sum(row.decode_tokens_per_s is not None for row in first) > 50
    memo.write_bytes(b"0" * 64 + b"\n[]")
    assert fits_on(keyed, card, **settings) == afresh


def test_training_time_and_cost_with_a_budget(cli):
    record = json.loads(
        cli("estimate", "llama-3-8b", "--mode", "qlora", "--gpu", "rtx-4090",
            "--examples", "52000", "--seq-len", "512", "--epochs", "3", "--format", "json").stdout
    )  # fmt: skip
    assert record["train_tokens"] == 52000 * 512 * 3
    assert record["train_hours"] > 0 and record["gpu_hours"] == record["train_hours"]
    assert record["train_usd"] == pytest.approx(record["gpu_hours"] * 0.6, rel=0.01)
    inference = cli("estimate", "llama-3-8b", "--gpu", "rtx-4090", "--train-tokens", "1000")
    assert inference.exit_code == 2 and "give --mode" in inference.stderr
    tuned = json.loads(
        cli("estimate", "llama-3-8b", "--mode", "qlora", "--gpu", "rtx-4090", "--examples",
            "52000", "--seq-len", "512", "--epochs", "3", "--stack", "torchtune",
            "--format", "json").stdout
    )  # fmt: skip
    assert tuned["train_hours"] < record["train_hours"]
    assert any("torchtune" in line for line in tuned["assumptions"])
    unknown = cli("estimate", "llama-3-8b", "--mode", "qlora", "--gpu", "rtx-4090",
                  "--train-tokens", "1000", "--stack", "pytorch-lightning")  # fmt: skip
    assert unknown.exit_code == 2 and "transformers" in unknown.stderr


def test_reproduce_puts_the_prediction_beside_the_report(cli):
    result = cli("reproduce", "alpaca", "--gpu", "RTX 4090")
    assert result.exit_code == 0
    assert "reported: 8 x a100-80gb, 3 h" in result.stdout
    assert "does not fit, so no time or cost" in result.stdout  # full 7B in 24 GiB
    assert " h (" not in result.stdout.split("reported:")[0]  # no hours for it, nor dollars
    record = json.loads(cli("reproduce", "alpaca", "--gpu", "RTX 4090", "--format", "json").stdout)
    assert record["verdict"] == "no" and "train_hours" not in record and "train_usd" not in record
    assert any(line.startswith("no time or cost: the run does not fit 1 x 24 GiB") for line in
               record["assumptions"])  # fmt: skip
    lora = cli("reproduce", "alpaca-lora", "--gpu", "RTX 4090")
    assert "would take about" in lora.stdout
    assert "tokens: the count the catalog gives for the run" in lora.stdout


def test_reproduce_counts_the_tokens_a_run_pushed_through(cli):
    record = json.loads(cli("reproduce", "gpt4all", "--format", "json").stdout)
    assert any("1,702,805,504 tokens" in line for line in record["assumptions"])
    assert record["reported"]["hours"] == 8
    # --epochs scales the run's own count: GPT4All ran 4
    one = json.loads(cli("reproduce", "gpt4all", "--epochs", "1", "--format", "json").stdout)
    assert any("425,701,376 tokens" in line for line in one["assumptions"])
    assert one["train_hours"] < record["train_hours"] / 3
    record = json.loads(cli("reproduce", "alpaca", "--format", "json").stdout)
    assert record["card"]["gpus"] == 8 and record["verdict"] == "fits"
    assert record["train_hours"] > 0 and record["reported"]["hours"] == 3
    assert record["reported"]["source"].startswith("https://")


def test_reproduce_a_run_of_a_multi_base_project_and_what_it_cannot_size(cli):
    record = json.loads(
        cli("reproduce", "vicuna-13b", "--gpu", "a100-80gb", "--format", "json").stdout
    )
    assert record["base_model"] == "llama-13b"
    unknown = cli("reproduce", "no-such-project")
    assert unknown.exit_code == 1


def test_fits_speed_follows_the_kv_cache_type(cli):
    def speeds(*extra):
        out = cli("fits", "--gpu", "rtx-4090", "--mode", "inference", "--seq-len", "32768",
                  "--precision", "q4_k_m", "--format", "json", *extra).stdout  # fmt: skip
        return {
            r["model"]: r["decode_tokens_per_s"] for r in json.loads(out) if r["kind"] == "estimate"
        }

    plain, small = speeds(), speeds("--kv-cache", "Q4_0")
    assert plain.keys() < small.keys()  # a smaller cache lets more models fit
    assert all(small[m] > plain[m] for m in plain if plain[m])  # and there is less to read


def test_a_training_budget_without_a_training_mode_is_refused_first(cli):
    """Before: --train-tokens alone asked for a card, then for --mode; --epochs alone ran."""
    for extra in (["--train-tokens", "1000000"], ["--epochs", "3"], ["--examples", "5"]):
        result = cli("estimate", "llama-7b", *extra)
        assert result.exit_code == 2, extra
        assert "size a fine-tune: give --mode lora, qlora or full" in result.stderr
