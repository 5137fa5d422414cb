"""GPTQ kernels' scratch buffers (--gptq-kernel): what each keeps, when it applies, and the
settings it refuses rather than ignores."""

from __future__ import annotations

import json
import re

import pytest

from llmtrack.errors import UsageError
from llmtrack.memory import Recipe
from llmtrack.memory.fits import estimate_base

# LLaMA-7B's largest quantized matrices: gate/up (4096 in, 11008 out) and down (11008 in,
# 4096 out), all 45.1M weights
_LARGEST = 4096 * 11008


def estimate(catalog, model="llama-7b", **recipe):
    return estimate_base(catalog.get(model), Recipe(**recipe))


def test_transformers_default_exllama_keeps_the_largest_matrix_in_fp16(catalog):
    result = estimate(catalog, precision="gptq-4bit")
    assert result.components["gptq_buffers"] == _LARGEST * 2
    said = " ".join(result.assumptions)
    assert "ExLlama v1 (the default for 4-bit GPTQ in transformers)" in said
    assert result.recipe.gptq_kernel == "exllama"  # the JSON says which kernel was counted
    assert "0.08 GiB" in said


def test_exllamav2_also_keeps_a_forward_pass_of_2048_tokens_at_batch_8(catalog):
    """AutoGPTQ's scratch_space_fixed(): in*out*2 + 128, plus out*2048*8*4 + 128; up and
    gate have the larger output (11008), so they set it."""
    result = estimate(catalog, precision="gptq-4bit", gptq_kernel="exllamav2")
    expected = _LARGEST * 2 + 128 + 11008 * 2048 * 8 * 4 + 128
    assert result.components["gptq_buffers"] == expected
    default = estimate(catalog, precision="gptq-4bit")
    assert result.peak_bytes - default.peak_bytes == pytest.approx(
        expected - _LARGEST * 2, rel=0.01
    )


@pytest.mark.parametrize("spelling", ["cuda", "triton", "CUDA"])
def test_the_cuda_and_triton_kernels_keep_none_and_say_so(catalog, spelling):
    result = estimate(catalog, precision="gptq-4bit", gptq_kernel=spelling)
    assert "gptq_buffers" not in result.components
    assert any("no buffer of its own" in line for line in result.assumptions)


def test_three_and_eight_bit_gptq_run_on_cuda_kernels_with_no_buffer(catalog):
    for name in ("gptq-3bit", "gptq-8bit"):
        result = estimate(catalog, precision=name)
        assert "gptq_buffers" not in result.components
        assert not any("GPTQ kernel" in line for line in result.assumptions)


@pytest.mark.parametrize(
    "recipe, message",
    [({"precision": "gptq-8bit", "gptq_kernel": "exllama"}, "takes 4-bit GPTQ only"),
     ({"precision": "fp16", "gptq_kernel": "exllama"}, "fp16 is not GPTQ"),
     ({"mode": "lora", "precision": "gptq-4bit", "gptq_kernel": "exllama"},
      "AutoGPTQ turns ExLlama off for a trainable model"),
     ({"precision": "gptq-4bit", "gptq_kernel": "exlama"}, "did you mean exllama?")],
)  # fmt: skip
def test_a_kernel_that_cannot_apply_is_refused(catalog, recipe, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        estimate(catalog, **recipe)


def test_a_fine_tune_on_a_gptq_base_counts_no_kernel_buffer(catalog):
    result = estimate(catalog, mode="lora", precision="gptq-4bit")
    assert "gptq_buffers" not in result.components


def test_every_gpu_keeps_its_own_buffer(catalog):
    one = estimate(catalog, "llama-2-70b", precision="gptq-4bit")
    four = estimate(catalog, "llama-2-70b", precision="gptq-4bit", gpus=4)
    assert four.components["gptq_buffers"] == one.components["gptq_buffers"]


def test_the_json_names_the_buffer_and_the_kernel(cli):
    out = cli("estimate", "llama-7b", "--precision", "gptq-4bit", "--gptq-kernel", "exllamav2",
              "--format", "json")  # fmt: skip
    record = json.loads(out.stdout)
    assert record["components"]["gptq_buffers"] == pytest.approx(0.76, abs=0.01)
    assert record["gptq_kernel"] == "exllamav2"


def test_a_serving_engine_refuses_the_option_and_drops_the_default(cli):
    refused = cli("estimate", "llama-7b", "--precision", "gptq-4bit", "--engine", "vllm",
                  "--gpu", "A100 80GB", "--gptq-kernel", "exllama")  # fmt: skip
    assert refused.exit_code == 2
    assert "--engine vllm keeps its own cache, loader and kernels" in refused.stderr
    served = cli("estimate", "llama-7b", "--precision", "gptq-4bit", "--engine", "vllm",
                 "--gpu", "A100 80GB", "--format", "json")  # fmt: skip
    record = json.loads(served.stdout)
    assert "gptq_buffers" not in record["components"] and "gptq_kernel" not in record
    assert not any(line.startswith("GPTQ kernel ") for line in record["assumptions"])
    assert (
        "vLLM brings its own GPTQ kernels: AutoGPTQ's buffers are not counted"
        in (record["assumptions"])
    )


@pytest.mark.parametrize("engine", ["exllamav2", "mlc"])
def test_an_engine_with_its_own_kernels_counts_no_autogptq_buffer(cli, engine):
    out = cli("estimate", "llama-7b", "--precision", "gptq-4bit", "--engine", engine,
              "--gpu", "RTX 4090", "--format", "json")  # fmt: skip
    record = json.loads(out.stdout)
    assert "gptq_buffers" not in record["components"]
    assert f"{engine} brings its own GPTQ kernels" in " ".join(record["assumptions"])


def test_a_refusal_says_how_to_run(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    typed = cli("estimate", "llama-7b", "--precision", "gptq-4bit", "--engine", "sglang",
                "--gpu", "A100 80GB", "--gptq-kernel", "exllama")  # fmt: skip
    assert "drop --gptq-kernel, or give --engine transformers" in typed.stderr
    assert cli("config", "set", "engine", "vllm").exit_code == 0
    remembered = cli("estimate", "llama-7b", "--precision", "gptq-4bit", "--gpu", "A100 80GB",
                     "--gptq-kernel", "exllamav2")  # fmt: skip
    assert remembered.exit_code == 2
    assert "engine vllm is from your config" in remembered.stderr
    not_gptq = cli("estimate", "llama-7b", "--precision", "nf4", "--gptq-kernel", "exllama",
                   "--engine", "transformers")  # fmt: skip
    assert "give --precision gptq-4bit, or drop --gptq-kernel" in not_gptq.stderr
