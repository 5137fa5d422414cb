"""Issue 15: the formats people run today and the layer layouts of 2024-26 families.

GGUF sizes are checked against llama.cpp's own table; hybrid caches against the arithmetic
of the config (the cache of a layer kind is what vLLM's and llama.cpp's code allocate)."""

from __future__ import annotations

import json

import pytest

from llmtrack.api import load_catalog
from llmtrack.catalog.architecture import Architecture, Mamba, inconsistencies
from llmtrack.errors import UsageError
from llmtrack.memory import Recipe, estimate, precision
from llmtrack.memory.kvcache import STATE_BYTES, cache_size
from llmtrack.memory.layers import count_by_kind, layer_groups
from llmtrack.memory.shapes import shapes
from llmtrack.memory.weights import weight_bytes

GIB = 2**30

# llama.cpp's tools/quantize/README.md, Llama-3.1-8B: the file size of each type in GiB.
LLAMA_CPP_SIZES = "https://github.com/ggml-org/llama.cpp/blob/311c2c9f0ebd6e08f5b20e8827c654cebb7a41d6/tools/quantize/README.md"
LLAMA_3_1_8B_GIB = {
    "iq1_s": 1.87, "iq1_m": 2.01, "iq2_xxs": 2.23, "iq2_xs": 2.42, "iq2_s": 2.56,
    "iq2_m": 2.74, "iq3_xxs": 3.04, "iq3_xs": 3.27, "iq3_s": 3.42, "iq3_m": 3.52,
    "iq4_xs": 4.17, "iq4_nl": 4.38, "q2_k": 2.95, "q3_k_s": 3.41, "q3_k_l": 4.02,
    "q4_k_s": 4.36, "q4_k_m": 4.58, "q5_k_s": 5.21, "q5_k_m": 5.33, "q6_k": 6.14,
    "q8_0": 7.95, "f16": 14.96,
}  # fmt: skip


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def run(catalog, model, **recipe):
    base = catalog.get(model)
    return estimate(base.id, base.architecture, Recipe(**recipe), base.context_length)


@pytest.mark.parametrize("name, gib", LLAMA_3_1_8B_GIB.items())
def test_gguf_file_types_weigh_what_llama_cpp_publishes(catalog, name, gib):
    arch = catalog.get("llama-3.1-8b").architecture
    weights = weight_bytes(arch, shapes(arch), precision(name), 16) / GIB
    assert weights == pytest.approx(gib, rel=0.015), LLAMA_CPP_SIZES


def test_q4_k_m_gives_v_and_ffn_down_more_bits_and_the_head_q6_k():
    q4_k_m = precision("Q4_K_M")
    assert q4_k_m.bits == 4.5 and q4_k_m.ggml
    assert q4_k_m.bits_for("head", 0) == 6.5625
    assert q4_k_m.bits_for("v", 0) == pytest.approx((4.5 + 6.5625) / 2)
    assert precision("q4_k") == q4_k_m  # llama-quantize's alias


def test_gpt_oss_in_mxfp4_is_its_published_size_and_fits_an_h100(catalog, cli):
    # OpenAI: gpt-oss-20b "can run within 16GB of memory" (its checkpoint is about 13 GB)
    small = run(catalog, "gpt-oss-20b", precision="mxfp4").components["weights"] / 1e9
    assert 13 < small < 14.5
    result = json.loads(
        cli("estimate", "gpt-oss-120b", "--precision", "mxfp4", "--gpu", "h100-80gb",
            "--format", "json").stdout
    )  # fmt: skip
    assert result["verdict"] in ("fits", "tight") and 60 < result["components"]["weights"] < 66
    fp16 = run(catalog, "gpt-oss-120b").components["weights"]
    assert fp16 / GIB > 200  # the experts are what MXFP4 shrinks
    assert any("MXFP4 routed experts" in note for note in result["assumptions"])


def test_mxfp4_on_a_dense_model_is_refused_not_silently_16_bit(catalog):
    with pytest.raises(UsageError, match="has none"):
        run(catalog, "llama-3.1-8b", precision="mxfp4")


@pytest.mark.parametrize("name, bits", [("exl2-4.65", 4.65), ("EXL3-3", 3.0), ("exl2_6.0bpw", 6)])
def test_exllama_takes_any_bits_per_weight(name, bits):
    chosen = precision(name)
    assert chosen.bits == bits and chosen.bits_for("head", 16) in (6.0, 6.3)


@pytest.mark.parametrize("name", ["exl2-9", "exl2-0.5", "exl4-4", "q4_k_x"])
def test_a_format_that_does_not_exist_is_refused(name):
    with pytest.raises(UsageError):
        precision(name)


def test_kv_cache_q8_0_halves_a_32k_cache(catalog):
    full = run(catalog, "qwen2.5-7b", seq_len=32768).components["kv_cache"]
    q8 = run(catalog, "qwen2.5-7b", seq_len=32768, kv_cache="q8_0")
    assert q8.components["kv_cache"] / full == pytest.approx(8.5 / 16, rel=1e-3)
    assert any("flash attention" in note for note in q8.assumptions)
    fp8 = run(catalog, "qwen2.5-7b", seq_len=32768, kv_cache="FP8_E4M3")
    assert fp8.components["kv_cache"] / full == pytest.approx(0.5, rel=1e-3)


def test_kv_cache_is_refused_for_training_and_unknown_types():
    with pytest.raises(UsageError, match="training keeps none"):
        Recipe("lora", kv_cache="q8_0")
    with pytest.raises(UsageError, match="unknown KV-cache type"):
        Recipe(kv_cache="q3_k")


def test_qwen3_next_at_131k_caches_only_its_full_attention_layers(catalog):
    arch = catalog.get("qwen3-next-80b-a3b").architecture
    assert count_by_kind(arch) == {"linear": 36, "full": 12}
    result = run(catalog, "qwen3-next-80b-a3b", seq_len=131072)
    # 12 layers x 131072 tokens x keys and values x 2 kv heads x 256 x 2 bytes
    assert result.components["kv_cache"] == 12 * 131072 * 2 * 2 * 256 * 2
    la = arch.linear_attention
    state = la.value_heads * la.key_head_dim * la.value_head_dim
    conv = (2 * la.key_heads * la.key_head_dim + la.value_heads * la.value_head_dim) * 3
    assert result.components["state"] == 36 * (state + conv) * STATE_BYTES
    as_transformer = 48 * 131072 * 2 * 2 * 256 * 2
    assert result.components["kv_cache"] + result.components["state"] < as_transformer / 3.9
    assert any("36 linear attention" in note for note in result.assumptions)


def test_llama_4_chunked_layers_cache_one_chunk(catalog):
    arch = catalog.get("llama-4-scout").architecture
    assert count_by_kind(arch) == {"chunked": 36, "full": 12}
    size = cache_size(arch, 1, 131072, 16)
    per_token = 2 * arch.kv_heads * (arch.head_dim or arch.hidden_size // arch.heads) * 2
    assert size.kv == per_token * (12 * 131072 + 36 * 8192)


def test_gemma_3n_layers_that_share_keys_and_values_cache_nothing(catalog):
    arch = catalog.get("gemma-3n-e2b").architecture
    assert arch.kv_shared_layers
    caching = sum(g.count for g in layer_groups(arch) if g.caches)
    assert caching == arch.layers - arch.kv_shared_layers
    notes = cache_size(arch, 1, 4096, 16).notes
    assert any("reusing earlier layers" in note for note in notes)


def test_gemma_4_full_layers_use_their_own_head_size(catalog):
    arch = catalog.get("gemma-4-31b").architecture
    assert arch.global_head_dim == 512 and arch.global_kv_heads
    size = cache_size(arch, 1, 1024, 16)  # within the window, every layer holds all tokens
    full = count_by_kind(arch)["full"]
    sliding = arch.layers - full
    per = 2 * 2 * 1024  # keys and values, 2 bytes, 1024 tokens
    assert size.kv == per * (full * arch.global_kv_heads * 512 + sliding * arch.kv_heads * 256)


def test_granite_4_hybrid_holds_a_mamba_state_and_four_caches(catalog):
    arch = catalog.get("granite-4.0-h-small").architecture
    assert count_by_kind(arch) == {"mamba": 36, "full": 4}
    result = run(catalog, "granite-4.0-h-small", seq_len=131072)
    assert result.components["state"] > 0
    assert result.components["kv_cache"] == 4 * 131072 * 2 * arch.kv_heads * 128 * 2


def test_vision_towers_are_weights_but_not_cache(catalog):
    scout = catalog.get("llama-4-scout")
    s = shapes(scout.architecture)
    assert s.vision == scout.architecture.vision_params > 0
    assert s.total - s.vision == pytest.approx(scout.params - s.vision, rel=0.01)
    result = run(catalog, "llama-4-scout")
    assert any("vision" in note for note in result.assumptions)


def test_mtp_modules_are_left_out_and_said(catalog):
    result = run(catalog, "deepseek-v3", precision="fp8")
    assert any("multi-token-prediction" in note for note in result.assumptions)


def test_a_layer_kind_without_its_shapes_is_impossible():
    arch = Architecture(
        layers=4, hidden_size=64, heads=4, ffn_size=128, ffn_kind="gated",
        layer_types=("mamba", "full"),
    )  # fmt: skip
    assert ("layer_types", "mamba layers need mamba") in inconsistencies(arch)
    fixed = Architecture(
        layers=4, hidden_size=64, heads=4, ffn_size=128, ffn_kind="gated",
        layer_types=("mamba", "full"), mamba=Mamba(heads=2, head_dim=64, state_size=16,
        groups=1, conv_kernel=4),
    )  # fmt: skip
    assert inconsistencies(fixed) == []


def test_validate_refuses_a_hybrid_without_its_state_shapes(cli, tmp_path):
    path = tmp_path / "hybrid.yaml"
    path.write_text(
        "base_models:\n- id: my-hybrid\n  name: My hybrid\n  family: Mine\n"
        "  architecture:\n    layers: 4\n    hidden_size: 64\n    heads: 4\n"
        "    ffn_size: 128\n    ffn_kind: gated\n    vocab_size: 100\n"
        "    layer_types: [linear, full]\n  sources: [https://example.org/x]\n"
    )
    result = cli("validate", str(path))
    assert result.exit_code == 1
    assert "hybrid.yaml:12:5: my-hybrid.architecture.layer_types" in result.stdout
    assert "linear layers need linear_attention" in result.stdout


def test_fits_takes_the_kv_cache_type(cli):
    rows = json.loads(
        cli("fits", "--vram", "24GB", "--mode", "inference", "--seq-len", "32768",
            "--kv-cache", "q4_0", "--precision", "q4_k_m", "--format", "json").stdout
    )  # fmt: skip
    assert rows and all(r["precision"] == "q4_k_m" for r in rows if r["kind"] == "estimate")


def test_layer_groups_count_what_a_layer_by_layer_walk_counts(catalog):
    """Groups are counted by period (a config may say 10^8 layers); they must agree with
    walking every layer of every architecture in the catalog."""
    from collections import Counter

    from llmtrack.memory.layers import has_experts, has_ffn, kind_of_layer

    for base in catalog.base_models:
        arch = base.architecture
        if arch is None:
            continue
        shared_from = arch.layers - min(arch.kv_shared_layers or 0, arch.layers)
        walked = Counter(
            (
                kind_of_layer(arch, i),
                has_experts(arch, i) and has_ffn(arch, kind_of_layer(arch, i)),
                i < shared_from,
            )
            for i in range(arch.layers)
        )
        grouped = Counter({(g.kind, g.moe, g.caches): g.count for g in layer_groups(arch)})
        assert grouped == walked, base.id


def test_ffn_only_and_convolution_layers_are_sized_by_what_they_hold():
    from llmtrack.memory.kvcache import cache_size as size

    # Nemotron-H's way: each layer one sub-layer, mixers alone and FFNs alone
    split = Architecture(
        layers=4, hidden_size=64, heads=4, kv_heads=2, ffn_size=256, ffn_kind="mlp",
        vocab_size=100, tied_embeddings=True, separate_ffn=True,
        layer_types=("mamba", "ffn", "full", "ffn"),
        mamba=Mamba(heads=4, head_dim=16, state_size=8, groups=1, conv_kernel=4),
    )  # fmt: skip
    assert inconsistencies(split) == []
    ffn = 2 * 64 * 256  # up and down, no gate
    attention = 64 * 64 * 2 + 2 * 64 * 32  # q and o, k and v for 2 kv heads of 16
    mamba = 64 * (2 * 64 + 2 * 8 + 4) + (64 + 16) * 4 + 64 * 64
    assert shapes(split).linear == 2 * ffn + attention + mamba
    cache = size(split, 1, 1000, 16)
    assert cache.kv == 1000 * 2 * 2 * 16 * 2  # the one attention layer
    assert cache.state == (4 * 16 * 8 + (64 + 16) * 3) * STATE_BYTES
    # LFM2's way: short convolutions and attention, each with its FFN
    lfm = Architecture(
        layers=2, hidden_size=64, heads=4, ffn_size=128, ffn_kind="gated", vocab_size=100,
        tied_embeddings=True, layer_types=("conv", "full"), conv_kernel=3,
    )  # fmt: skip
    assert size(lfm, 2, 10, 16).state == 2 * 64 * 2 * STATE_BYTES
    ffn_only = Architecture(
        layers=2, hidden_size=64, heads=4, ffn_size=128, ffn_kind="gated",
        layer_types=("ffn", "full"),
    )  # fmt: skip
    assert ("layer_types", "ffn layers need separate_ffn: true") in inconsistencies(ffn_only)


def test_a_nemotron_h_config_maps_its_pattern():
    from llmtrack.external.hf_config import entry_from_config

    config = {
        "model_type": "nemotron_h", "num_hidden_layers": 4, "hidden_size": 64,
        "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 256,
        "vocab_size": 100, "hybrid_override_pattern": "M-*-", "mamba_num_heads": 4,
        "mamba_head_dim": 16, "ssm_state_size": 8, "n_groups": 1, "conv_kernel": 4,
    }  # fmt: skip
    entry, _ = entry_from_config(config, "config.json")
    arch = entry["architecture"]
    assert arch["layer_types"] == ["mamba", "ffn", "full", "ffn"] and arch["separate_ffn"]
    assert arch["mamba"] == {"heads": 4, "head_dim": 16, "state_size": 8, "groups": 1,
                             "conv_kernel": 4}  # fmt: skip
