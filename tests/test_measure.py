"""--measure: what a peak counts (the live tensors, what PyTorch's allocator holds, what
nvidia-smi shows), and the fixture's figures held to the estimate of the same kind."""

from __future__ import annotations

import json
import statistics

import pytest

from llmtrack.errors import UsageError
from llmtrack.memory import GIB, Recipe
from llmtrack.memory.fits import estimate_base
from llmtrack.memory.measure import (
    CUDA_CONTEXT_BYTES,
    FIXED_SHAPE_CACHE,
    MEASURES,
    VARIABLE_SHAPE_CACHE,
)
from tests.memory_fixture import check, load_rows, measure_of


def _estimate(catalog, **recipe):
    return estimate_base(catalog.get("llama-7b"), Recipe(**recipe))


@pytest.mark.parametrize("mode", ["inference", "lora"])
def test_each_measure_counts_less_than_the_one_before(catalog, mode):
    smi, reserved, allocated = (_estimate(catalog, mode=mode, measure=m) for m in MEASURES)
    assert {"allocator_cache", "cuda_context"} <= set(smi.components)
    assert "cuda_context" not in reserved.components
    assert "allocator_cache" in reserved.components
    assert not {"allocator_cache", "cuda_context"} & set(allocated.components)
    assert smi.peak_bytes - reserved.peak_bytes == CUDA_CONTEXT_BYTES
    assert reserved.peak_bytes - allocated.peak_bytes == reserved.components["allocator_cache"]
    # the default is nvidia-smi's figure, what the card runs out of
    assert _estimate(catalog, mode=mode).peak_bytes == smi.peak_bytes


def test_the_allocator_cache_follows_the_batch_shape(catalog):
    padded = _estimate(catalog, mode="lora", batch=4)
    packed = _estimate(catalog, mode="lora", batch=4, packed=True)
    parts = padded.components
    transient = parts["activations"] + parts["logits"]
    assert parts["allocator_cache"] == pytest.approx(VARIABLE_SHAPE_CACHE * transient, abs=1)
    assert packed.components["allocator_cache"] == pytest.approx(
        FIXED_SHAPE_CACHE * transient, abs=1
    )
    assert any("--packed" in line for line in padded.assumptions)
    # inference tensors keep one shape; the growing KV cache is counted with them, and so is
    # every tensor the peak layer made, live at its peak or already freed (blocks the
    # allocator took back), not only the live ones the activations count
    from llmtrack.memory.activations import widest_layer

    inference = _estimate(catalog, seq_len=4096, batch=4).components
    made = widest_layer(catalog.get("llama-7b").architecture, 4, 4096, 2, True)
    assert made > inference["activations"]
    moving = made + inference["logits"] + inference["kv_cache"]
    assert inference["allocator_cache"] == pytest.approx(FIXED_SHAPE_CACHE * moving, abs=1)


def test_measure_is_said_in_the_assumptions_and_accepts_other_spellings(catalog):
    result = _estimate(catalog, measure="NVML")
    assert result.recipe.measure == "nvidia-smi"
    assert any(line.startswith("peak as what nvidia-smi shows") for line in result.assumptions)
    assert _estimate(catalog, measure="Reserved").recipe.measure == "reserved"
    with pytest.raises(UsageError, match="unknown measure 'htop'"):
        Recipe(measure="htop")


def test_estimate_json_and_text_say_the_measure(cli):
    record = json.loads(
        cli("estimate", "llama-7b", "--measure", "allocated", "--format", "json").stdout
    )
    assert record["measure"] == "allocated"
    assert record["peak_gib"] == pytest.approx(sum(record["components"].values()), abs=0.01)
    assert "cuda_context" not in record["components"]
    default = json.loads(cli("estimate", "llama-7b", "--format", "json").stdout)
    assert default["measure"] == "nvidia-smi"
    assert default["peak_gib"] > record["peak_gib"]
    text = cli("estimate", "llama-7b", "--measure", "reserved").stdout
    assert "peak (reserved)" in text and "allocator cache" in text
    assert "cuda context" not in text


def test_llama_cpp_has_no_allocator_figure(cli):
    result = cli("estimate", "llama-7b", "--precision", "q4_k_m", "--measure", "reserved")
    assert result.exit_code == 2
    assert "llama.cpp has none" in result.stderr
    gguf = json.loads(
        cli("estimate", "llama-7b", "--precision", "q4_k_m", "--format", "json").stdout
    )
    assert "compute_buffers" in gguf["components"] and "cuda_context" not in gguf["components"]


def test_fits_takes_the_measure(cli):
    def peaks(*extra):
        out = cli("fits", "--gpu", "rtx-4090", "--model", "llama-7b", *extra, "--format", "json")
        return {(r["mode"], r["precision"]): r["peak_gib"] for r in json.loads(out.stdout)}

    smi, allocated = peaks(), peaks("--measure", "allocated")
    assert smi.keys() == allocated.keys()
    assert all(allocated[k] < smi[k] for k in smi)
    caption = cli("fits", "--vram", "24GB", "--measure", "Reserved", "--format", "json").stderr
    assert caption.rstrip().endswith("; peaks as reserved")
    assert "peaks as" not in cli("fits", "--vram", "24GB", "--format", "json").stderr


# --- the fixture: each figure held to the estimate of its own kind --------------------


@pytest.fixture(scope="module")
def by_measure(catalog):
    groups: dict[tuple[str, bool], list[float]] = {}
    for row in load_rows():
        if row.get("measured") is None or row.get("compare") in ("weights", "loaded"):
            continue
        c = check(catalog, row)
        groups.setdefault((measure_of(row), c.training), []).append(c.error)
    return groups


def test_the_fixture_holds_each_figure_to_its_measure(catalog):
    row = next(r for r in load_rows() if r["id"] == "ob23-llama-2-13b-fp16-bs32-fwd256-reserved")
    assert check(catalog, row).estimate.recipe.measure == "reserved"
    assert measure_of({"compare": "loaded", "measure": "torch.cuda.max_memory_reserved"}) == (
        "reserved"
    )
    assert measure_of({"compare": "loaded"}) == "nvidia-smi"


@pytest.mark.parametrize(
    "measure, training, most",
    [
        ("allocated", False, 0.05),
        ("reserved", False, 0.05),
        ("nvidia-smi", False, 0.07),
        ("allocated", True, 0.07),
        ("reserved", True, 0.08),
    ],
)
def test_median_error_per_measure(by_measure, measure, training, most):
    errors = by_measure[(measure, training)]
    assert len(errors) >= 5
    assert statistics.median(abs(e) for e in errors) <= most


def test_side_by_side_figures_differ_as_the_estimates_do(catalog):
    """optimum-benchmark and DerekLiu35's benchmark publish allocated, reserved and NVML's
    figure of one run: the estimate's step between allocated and reserved comes within
    0.6 GiB or half the measured step of theirs (Llama-2-13B at batch 32: 1.9 GiB estimated,
    3.4 measured; Llama-2-7B at batch 8 aside: transformers' cache grows by concatenation, which the
    allocator cannot reuse; a known gap, tested in test_batched_generation_is_under)."""
    rows = {r["id"]: r for r in load_rows()}
    for stem in (
        "ob23-llama-2-7b-fp16-bs1-gen768",
        "ob23-llama-2-13b-fp16-bs32-fwd256",
        "ob23-llama-65b-gptq-exllamav2-bs1-gen768",
        "dl25-llama-3.1-8b-bf16-a100-dec128",
        "dl25-llama-3.1-70b-fp8-fbgemm-h100-dec128",
    ):
        alloc, reserved = (check(catalog, rows[f"{stem}-{k}"]) for k in ("alloc", "reserved"))
        measured_step = reserved.measured_gib - alloc.measured_gib
        estimated_step = reserved.estimated_gib - alloc.estimated_gib
        assert abs(estimated_step - measured_step) < max(0.6, measured_step / 2), stem


def test_batched_generation_is_under(catalog):
    rows = {r["id"]: r for r in load_rows()}
    c = check(catalog, rows["ob23-llama-2-7b-fp16-bs8-gen768-reserved"])
    assert c.error < -0.5  # 59 GiB reserved for 18.6 GiB of tensors
    assert c.estimated_gib * GIB < 80 * GIB


def test_reproduce_takes_the_measure(cli):
    def record(*extra):
        out = cli("reproduce", "alpaca-lora", "--gpu", "rtx-4090", *extra, "--format", "json")
        assert out.exit_code == 0, out.stderr
        return json.loads(out.stdout)

    smi, allocated = record(), record("--measure", "allocated")
    assert smi["measure"] == "nvidia-smi" and allocated["measure"] == "allocated"
    assert allocated["peak_gib"] < smi["peak_gib"]
    text = cli("reproduce", "alpaca-lora", "--gpu", "rtx-4090", "--measure", "reserved").stdout
    assert "fits, peak (reserved) " in text
    assert "fits, peak (" not in cli("reproduce", "alpaca-lora", "--gpu", "rtx-4090").stdout
