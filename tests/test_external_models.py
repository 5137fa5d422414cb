"""Issue 15: any model, not just the catalog's: a local config.json, a local .gguf file, or a
Hugging Face repo id (served here by a local HTTP server through HF_ENDPOINT; tests never
reach the network)."""

from __future__ import annotations

import http.server
import json
import struct
import threading

import pytest

from llmtrack.api import load_catalog
from tests.conftest import run

gguf = pytest.importorskip("gguf")

# Qwen3-Next-80B-A3B's config.json as its catalog entry describes it (hybrid, MoE, MTP)
QWEN3_NEXT = {
    "_name_or_path": "Qwen/Qwen3-Next-80B-A3B-Instruct", "model_type": "qwen3_next",
    "hidden_size": 2048, "num_hidden_layers": 48, "num_attention_heads": 16,
    "num_key_value_heads": 2, "head_dim": 256, "intermediate_size": 5120,
    "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512, "num_experts": 512,
    "num_experts_per_tok": 10, "vocab_size": 151936, "tie_word_embeddings": False,
    "full_attention_interval": 4, "linear_num_key_heads": 16, "linear_num_value_heads": 32,
    "linear_key_head_dim": 128, "linear_value_head_dim": 128, "linear_conv_kernel_dim": 4,
    "max_position_embeddings": 262144, "attn_output_gate": True, "hidden_act": "silu",
    "mtp_num_hidden_layers": 1,
}  # fmt: skip
TINY = {
    "model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4,
    "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100,
    "tie_word_embeddings": False, "max_position_embeddings": 2048,
}  # fmt: skip


def estimate_json(*args, env=None):
    result = run("estimate", *args, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def write_config(folder, config, name="config.json"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(config))
    return path


def test_a_config_json_estimates_as_the_catalog_entry_does(tmp_path):
    path = write_config(tmp_path / "Qwen3-Next-80B-A3B-Instruct", QWEN3_NEXT)
    from_file, stderr = estimate_json(str(path), "--seq-len", "131072")
    from_catalog, _ = estimate_json("qwen3-next-80b-a3b", "--seq-len", "131072")
    assert from_file["components"] == from_catalog["components"]
    assert from_file["resolved_from"] == str(path)
    assert "architecture from" in stderr


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "not a config.json"),
        ('{"hidden_size": 64}', "no layer count"),
        (json.dumps({**TINY, "num_hidden_layers": 10**20}), "too large"),
        (json.dumps({**TINY, "num_hidden_layers": -3}), "architecture.layers"),
        (json.dumps({**TINY, "layer_types": ["teleport"]}), "not one llmtrack models"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
        (json.dumps({**TINY, "layer_types": ["linear_attention"] * 2}), "need linear_attention"),
    ],
)
def test_a_hostile_config_gets_one_clear_line(tmp_path, content, message):
    path = tmp_path / "config.json"
    path.write_text(content)
    result = run("estimate", str(path))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_config_over_4_mib_is_refused_unread(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b'{"x": "' + b"a" * (5 * 2**20) + b'"}')
    result = run("estimate", str(path))
    assert result.returncode == 2 and "not a config.json" in result.stderr


def test_a_missing_file_is_said(tmp_path):
    result = run("estimate", str(tmp_path / "nowhere" / "config.json"))
    assert result.returncode == 2 and "no such file" in result.stderr


def write_gguf(path, file_type=7, shard=None, sliding_window=None, general_type=None):
    """A tiny llama-shaped GGUF: one f16 embedding and Q8_0 matrices, written by gguf."""
    writer = gguf.GGUFWriter(str(path), "llama")
    if shard is not None:
        writer.add_uint16("split.no", shard[0])
        writer.add_uint16("split.count", shard[1])
    if sliding_window:
        writer.add_sliding_window(sliding_window)
    if general_type == "adapter":
        writer.add_type("adapter")
    writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_context_length(4096)
    writer.add_file_type(file_type)
    writer.add_token_list([f"t{i}" for i in range(256)])
    import numpy as np

    if general_type == "vocab":  # a vocabulary-only file: no tensors at all
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.close()
        return path
    writer.add_tensor("token_embd.weight", np.zeros((256, 64), dtype=np.float16))
    rng = np.random.default_rng(0)
    for layer in range(2):
        for name, shape in (("attn_q", (64, 64)), ("ffn_gate", (128, 64)), ("ffn_down", (64, 128))):
            data = gguf.quants.quantize(
                rng.random(shape, dtype=np.float32), gguf.GGMLQuantizationType.Q8_0
            )
            writer.add_tensor(
                f"blk.{layer}.{name}.weight", data, raw_dtype=gguf.GGMLQuantizationType.Q8_0
            )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_gguf_file_is_estimated_from_its_header_and_its_tensors(tmp_path):
    path = write_gguf(tmp_path / "tiny-q8_0.gguf")
    reader = gguf.GGUFReader(str(path))
    stored = sum(int(t.n_bytes) for t in reader.tensors)
    result, stderr = estimate_json(str(path), "--seq-len", "262144")
    assert result["precision"] == "q8_0" and result["model"] == "tiny-q8-0"
    assert result["components"]["weights"] == pytest.approx(stored / 2**30, abs=1e-3)
    # 2 layers x 262144 tokens x keys and values x 2 kv heads x 16 dims x 2 bytes
    kv = 2 * 262144 * 2 * 2 * 16 * 2 / 2**30
    assert result["components"]["kv_cache"] == pytest.approx(kv, abs=1e-3)
    assert "GGUF header" in stderr
    assert any("the file's tensors" in note for note in result["assumptions"])


def test_a_gguf_file_cannot_be_trained_or_requantized(tmp_path):
    path = str(write_gguf(tmp_path / "tiny.gguf"))
    trained = run("estimate", path, "--mode", "lora")
    assert trained.returncode == 2 and "cannot be trained" in trained.stderr
    other = run("estimate", path, "--precision", "q4_k_m")
    assert other.returncode == 2 and "cannot change them" in other.stderr


def test_a_broken_gguf_file_gets_one_line(tmp_path):
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"GGUF" + b"\xff" * 64)
    result = run("estimate", str(path))
    assert result.returncode == 2 and "not a readable GGUF file" in result.stderr
    assert "Traceback" not in result.stderr


def test_new_from_config_prints_an_entry_that_validates(tmp_path):
    folder = tmp_path / "Qwen3-Next-80B-A3B-Instruct"
    path = write_config(folder, QWEN3_NEXT)
    result = run("new", "base-model", "--from-config", str(path))
    assert result.returncode == 0, result.stderr
    entry_file = tmp_path / "entry.yaml"
    entry_file.write_text(result.stdout)
    assert "params_exact: false" in result.stdout and "linear_attention:" in result.stdout
    checked = run("validate", str(entry_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    catalog = load_catalog(str(entry_file))
    made, curated = catalog.get("qwen3-next-80b-a3b-instruct"), catalog.get("qwen3-next-80b-a3b")
    assert made.architecture.layer_types == ("linear", "linear", "linear", "full")
    assert made.architecture.linear_attention == curated.architecture.linear_attention
    assert made.architecture.experts == curated.architecture.experts == 512


def test_new_from_config_counts_the_safetensors_exactly(tmp_path):
    folder = tmp_path / "tiny-model"
    path = write_config(folder, TINY)
    header = {"a": {"dtype": "BF16", "shape": [100, 64], "data_offsets": [0, 0]},
              "b": {"dtype": "BF16", "shape": [3, 5, 7], "data_offsets": [0, 0]},
              "__metadata__": {"format": "pt"}}  # fmt: skip
    raw = json.dumps(header).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw)
    result = run("new", "base_models", "--from-config", str(path))
    assert result.returncode == 0, result.stderr
    assert f"params: {100 * 64 + 3 * 5 * 7}  #" in result.stdout
    assert "params_exact: true" in result.stdout


def test_new_from_config_is_for_base_models_only(tmp_path):
    path = write_config(tmp_path, TINY)
    result = run("new", "projects", "--from-config", str(path))
    assert result.returncode == 2 and "fills in a base model" in result.stderr


# --- the Hub, served locally ------------------------------------------------------------


class Hub(http.server.BaseHTTPRequestHandler):
    """What huggingface_hub asks of the Hub for a file: a HEAD with its ETag and commit,
    then a GET. One public repo, one gated, anything else missing."""

    def _answer(self, body: bool) -> None:
        path = self.path.split("?")[0]
        if path == "/me/tiny/resolve/main/config.json":
            data = json.dumps(TINY).encode()
            self.send_response(200)
            self.send_header("ETag", '"0123abcd"')
            self.send_header("X-Repo-Commit", "a" * 40)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)
        elif path.startswith("/me/gated/"):
            self.send_response(403)
            self.send_header("X-Error-Code", "GatedRepo")
            self.send_header("X-Error-Message", "Access to model me/gated is restricted")
            self.end_headers()
        else:
            self.send_response(404)
            self.send_header("X-Error-Code", "RepoNotFound")
            self.end_headers()

    def do_HEAD(self):
        self._answer(False)

    def do_GET(self):
        self._answer(True)

    def log_message(self, *args):
        pass


@pytest.fixture
def hub(tmp_path):
    pytest.importorskip("huggingface_hub")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        "HF_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}",
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_OFFLINE": "0",
    }
    yield env
    server.shutdown()


def test_a_repo_id_not_in_the_catalog_is_read_from_the_hub(hub):
    result, stderr = estimate_json("me/tiny", env=hub)
    assert result["model"] == "tiny" and result["resolved_from"] == "me/tiny"
    assert "not in the catalog: reading its config.json from the Hub" in stderr


def test_the_hub_config_is_cached_for_offline_use(hub):
    estimate_json("hf:me/tiny", env=hub)
    offline, _ = estimate_json("hf:me/tiny", env={**hub, "HF_HUB_OFFLINE": "1"})
    assert offline["model"] == "tiny"


@pytest.mark.parametrize(
    "repo, offline, message",
    [
        ("me/gated", "0", "is gated: accept its terms"),
        ("me/missing", "0", "neither in the catalog nor a model on the Hugging Face Hub"),
        ("me/never-cached", "1", "cannot be reached (offline?)"),
        ("hf:not a repo", "0", "is not a Hugging Face repo id"),
    ],
)
def test_the_hub_failing_is_one_line(hub, repo, offline, message):
    result = run("estimate", repo, env={**hub, "HF_HUB_OFFLINE": offline})
    assert result.returncode in (1, 2), result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_catalog_name_never_goes_to_the_hub(hub):
    # an alias in the catalog resolves there, whatever the Hub says (the server has no repo)
    result, _ = estimate_json("Qwen/Qwen2.5-7B", env=hub)
    assert result["model"] == "qwen2.5-7b"


def test_fits_takes_files_and_repo_ids_with_every_recipe(hub, tmp_path):
    path = write_gguf(tmp_path / "small.gguf")
    result = run(
        "fits", "--vram", "24GB", "--model", "me/tiny", "--model", str(path),
        "--model", "qwen3-8b", "--format", "json", env=hub,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    modes = {(r["model"], r["mode"]) for r in rows}
    assert {("tiny", "inference"), ("tiny", "full"), ("qwen3-8b", "qlora")} <= modes
    assert [r["precision"] for r in rows if r["model"] == "small"] == ["q8_0"]
    assert any(not r["fits"] for r in rows)  # every recipe, not only what fits


# --- what a review as a careless user found (issue 15) ----------------------------------


def test_a_local_folder_is_read_never_taken_for_the_catalogs_model(tmp_path):
    folder = tmp_path / "Llama-3.1-8B"  # named like a catalog model, holding another one
    write_config(folder, TINY)
    result, stderr = estimate_json(str(folder))
    assert result["model"] == "llama-3.1-8b" or result["name"] == "Llama-3.1-8B"
    assert result["components"]["weights"] < 0.01  # the tiny model in the folder, not 8B
    assert "architecture from" in stderr and "using llama-3.1-8b" not in stderr
    missing = run("estimate", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_a_split_gguf_counts_every_shard(tmp_path):
    from llmtrack.external import load_external

    first = write_gguf(tmp_path / "m-00001-of-00002.gguf", shard=(0, 2))
    second = write_gguf(tmp_path / "m-00002-of-00002.gguf", shard=(1, 2))
    each = sum(int(t.n_bytes) for t in gguf.GGUFReader(str(second)).tensors)
    assert load_external(str(first)).weight_bytes == 2 * each
    second.unlink()
    lost = run("estimate", str(first))
    assert lost.returncode == 2 and "is missing" in lost.stderr


def test_a_gguf_with_a_sliding_window_is_never_under_counted(tmp_path):
    path = write_gguf(tmp_path / "windowed.gguf", sliding_window=128)
    result, stderr = estimate_json(str(path), "--seq-len", "131072")
    full = 2 * 131072 * 2 * 2 * 16 * 2 / 2**30  # every layer caches every token
    assert result["components"]["kv_cache"] == pytest.approx(full, abs=1e-3)
    assert "upper bound" in stderr


@pytest.mark.parametrize("kind", ["adapter", "vocab"])
def test_a_gguf_that_is_not_a_models_weights_is_refused(tmp_path, kind):
    path = write_gguf(tmp_path / f"{kind}.gguf", general_type=kind)
    result = run("estimate", str(path))
    assert result.returncode == 2
    assert "not a model's weights" in result.stderr or "no tensors" in result.stderr


def test_a_released_format_is_the_default_and_config_quantization_is_read(tmp_path, cli):
    record = json.loads(
        cli("estimate", "gpt-oss-20b", "--gpu", "rtx-4090", "--format", "json").stdout
    )
    assert record["precision"] == "mxfp4" and record["verdict"] == "fits"
    fp8 = write_config(
        tmp_path / "Qwen3-8B-FP8", {**TINY, "quantization_config": {"quant_method": "fp8"}}
    )
    result, _ = estimate_json(str(fp8))
    assert result["precision"] == "fp8"


def test_fits_leaves_out_what_a_precision_does_not_apply_to_and_says_so(cli):
    result = cli("fits", "--vram", "80GB", "--precision", "mxfp4", "--format", "json")
    assert result.exit_code == 0
    assert "left out where a recipe does not apply" in result.stderr
    assert {r["precision"] for r in json.loads(result.stdout) if r["kind"] == "estimate"} == {
        "mxfp4"
    }


@pytest.mark.parametrize("model_type, tied", [("llama", False), ("gemma", True), ("gpt2", True)])
def test_an_unstated_tie_takes_the_model_types_default(model_type, tied):
    """LlamaConfig defaults to untied embeddings, GemmaConfig to tied, and a config class that
    sets nothing inherits PretrainedConfig's tied (transformers 4.57.1)."""
    from llmtrack.external.hf_config import entry_from_config

    config = {k: v for k, v in TINY.items() if k != "tie_word_embeddings"}
    entry, notes = entry_from_config({**config, "model_type": model_type}, "config.json")
    assert entry["architecture"]["tied_embeddings"] is tied
    said = "tied" if tied else "untied"
    assert f"tie_word_embeddings not stated: {model_type}'s default, {said}" in notes
