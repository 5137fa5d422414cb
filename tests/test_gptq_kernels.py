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


_TINY_GPTQ = {
    "model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4,
    "num_key_value_heads": 4, "intermediate_size": 256, "vocab_size": 100,
    "max_position_embeddings": 2048,
}  # fmt: skip


def _gptq_config(tmp_path, **quantization):
    folder = tmp_path / "TinyLlama-GPTQ"
    folder.mkdir(exist_ok=True)
    config = {
        **_TINY_GPTQ,
        "quantization_config": {"quant_method": "gptq", "bits": 4, **quantization},
    }
    (folder / "config.json").write_text(json.dumps(config))
    return str(folder / "config.json")


@pytest.mark.parametrize(
    ("quantization", "kernel", "buffer"),
    [
        ({}, "exllama", 64 * 256 * 2),  # transformers' default: ExLlama v1
        ({"exllama_config": {"version": 2}}, "exllamav2", 64 * 256 * 2 + 256 * 2048 * 8 * 4 + 256),
        ({"exllama_config": {"version": 1}}, "exllama", 64 * 256 * 2),
        ({"use_exllama": False}, "cuda", None),
        ({"backend": "auto_trainable"}, "cuda", None),  # transformers 4.57.1 without gptqmodel
        ({"use_exllama": False, "exllama_config": {"version": 2}}, "cuda", None),
    ],
)
def test_a_checkpoints_quantization_config_picks_the_kernel(cli, tmp_path, quantization, kernel,
                                                            buffer):  # fmt: skip
    path = _gptq_config(tmp_path, **quantization)
    record = json.loads(cli("estimate", path, "--format", "json").stdout)
    assert record["gptq_kernel"] == kernel
    assert record["components"].get("gptq_buffers") == (
        None if buffer is None else pytest.approx(buffer / 2**30, abs=0.006)
    )
    said = " ".join(record["assumptions"])
    if quantization:
        assert "(the checkpoint's quantization_config)" in said and "(--gptq-kernel)" not in said


def test_the_typed_kernel_wins_and_other_engines_drop_the_checkpoints(cli, tmp_path):
    path = _gptq_config(tmp_path, exllama_config={"version": 2})
    typed = json.loads(cli("estimate", path, "--gptq-kernel", "cuda", "--format", "json").stdout)
    assert typed["gptq_kernel"] == "cuda" and "gptq_buffers" not in typed["components"]
    served = cli("estimate", path, "--engine", "vllm", "--gpu", "RTX 4090", "--format", "json")
    assert served.exit_code == 0  # the checkpoint's setting is not a typed --gptq-kernel
    assert "gptq_buffers" not in json.loads(served.stdout)["components"]
    other = json.loads(cli("estimate", path, "--precision", "fp16", "--format", "json").stdout)
    assert other.get("gptq_kernel") is None  # the same shapes in another format: no GPTQ kernel


def test_a_kernel_version_transformers_refuses_is_refused(cli, tmp_path):
    path = _gptq_config(tmp_path, exllama_config={"version": 3})
    result = cli("estimate", path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "a version of 1 or 2" in result.stderr


def test_a_checkpoints_group_size_is_its_own_unless_typed(cli, tmp_path):
    path = _gptq_config(tmp_path, group_size=32)
    own = json.loads(cli("estimate", path, "--format", "json").stdout)
    assert any("group size 32 (4.62 bits per weight)" in line for line in own["assumptions"])
    typed = json.loads(cli("estimate", path, "--group-size", "128", "-f", "json").stdout)
    assert any("group size 128" in line for line in typed["assumptions"])
    lora = json.loads(
        cli("estimate", path, "--mode", "lora", "--precision", "gptq-4bit", "-f", "json").stdout
    )
    assert any("group size 32" in line for line in lora["assumptions"])
    per_column = _gptq_config(tmp_path, group_size=-1)
    said = json.loads(cli("estimate", per_column, "-f", "json").stdout)["assumptions"]
    assert any("one scale per column" in line for line in said)


@pytest.mark.parametrize("group", [0, -2, "32", 1.5])
def test_a_group_size_transformers_refuses_is_refused(cli, tmp_path, group):
    result = cli("estimate", _gptq_config(tmp_path, group_size=group))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "group_size" in result.stderr and "-1" in result.stderr


def test_a_gptq_width_llmtrack_does_not_model_is_said_as_such(cli, tmp_path):
    result = cli("estimate", _gptq_config(tmp_path, bits=2), "--format", "json")
    assert result.exit_code == 0
    assert "gptq with bits 2: llmtrack models 3, 4 and 8-bit GPTQ; fp16 assumed" in result.stderr
    assert json.loads(result.stdout)["precision"] == "fp16"


def test_kernel_settings_read_as_transformers_reads_them(cli, tmp_path):
    off = json.loads(cli("estimate", _gptq_config(tmp_path, use_exllama=0), "-f", "json").stdout)
    assert off["gptq_kernel"] == "cuda"  # post_init: `if self.bits == 4 and self.use_exllama`
    other = cli("estimate", _gptq_config(tmp_path, backend="marlin"), "-f", "json")
    assert "backend 'marlin' picks a GPTQModel kernel, not modelled" in other.stderr
    eight = cli("estimate", _gptq_config(tmp_path, bits=8, exllama_config={"version": 2}))
    assert "ExLlama settings apply to 4-bit GPTQ only" in eight.stderr


def test_a_fine_tune_of_a_gptq_checkpoint_says_what_it_trains_on(cli, tmp_path):
    path = _gptq_config(tmp_path)
    said = json.loads(cli("estimate", path, "--mode", "lora", "-f", "json").stdout)["assumptions"]
    assert any("the checkpoint ships in gptq-4bit; this fine-tune is estimated on fp16" in line
               for line in said)  # fmt: skip


def test_fits_model_tries_the_checkpoints_own_format(cli, tmp_path):
    path = _gptq_config(tmp_path, use_exllama=False)
    rows = json.loads(cli("fits", "--model", path, "--vram", "24GB", "-f", "json").stdout)
    assert ("inference", "gptq-4bit") in {(r["mode"], r["precision"]) for r in rows}


def test_triton_is_listed_where_the_help_names_it(cli):
    result = cli("estimate", "llama-7b", "--precision", "gptq-4bit", "--gptq-kernel", "tritn")
    assert result.exit_code == 2 and "exllama, exllamav2, cuda, triton" in result.stderr
    named = cli("estimate", "llama-7b", "--precision", "gptq-4bit", "--gptq-kernel", "triton",
                "-f", "json")  # fmt: skip
    assert json.loads(named.stdout)["gptq_kernel"] == "cuda"


def test_a_quantization_config_that_is_not_an_object_is_said(cli, tmp_path):
    folder = tmp_path / "Odd"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({**_TINY_GPTQ, "quantization_config": [4]}))
    result = cli("estimate", str(folder / "config.json"))
    assert result.exit_code == 0 and "quantization_config is not an object" in result.stderr
    huge = cli("estimate", _gptq_config(tmp_path, group_size=10**30))
    assert huge.exit_code == 2 and "--group-size" not in huge.stderr


def test_an_awq_checkpoints_group_size_is_read_too(cli, tmp_path):
    folder = tmp_path / "TinyLlama-AWQ"
    folder.mkdir()
    quantization = {"quant_method": "awq", "bits": 4, "group_size": 64, "version": "gemm"}
    (folder / "config.json").write_text(
        json.dumps({**_TINY_GPTQ, "quantization_config": quantization})
    )
    said = json.loads(cli("estimate", str(folder), "-f", "json").stdout)["assumptions"]
    assert any("AWQ 4-bit, group size 64" in line for line in said)
    assert not any(line.startswith("GPTQ kernel") for line in said)  # AWQ has none of them
