"""What a forward pass without gradients holds at its peak: the larger of one layer's two
phases, not the sum a backward pass keeps."""

from __future__ import annotations

import pytest

from llmtrack.memory import Recipe
from llmtrack.memory.activations import inference_peak, layer_activations
from llmtrack.memory.fits import estimate_base


def test_the_peak_is_the_ffn_phase_of_a_long_flash_prompt(catalog):
    """Qwen2.5-7B at 30,720 tokens with FlashAttention: the residual and the norm's output
    beside the gate's activation, the up projection and their product."""
    arch = catalog.get("qwen2.5-7b").architecture
    tokens, h, inner = 30720, arch.hidden_size, arch.ffn_size
    held, phase = inference_peak(arch, 1, tokens, 2, True)
    assert phase == "FFN"
    assert held == tokens * (2 * h + 3 * inner) * 2
    # a backward pass would keep both phases and more
    assert layer_activations(arch, 1, tokens, 2, True) > 1.3 * held


@pytest.mark.parametrize(
    "dtype_bytes, fused, per_score",
    # the masked scores, their fp32 softmax, its copy back (none for fp32); AutoAWQ's fused
    # attention: the scores, an fp32 copy of them and the fp32 softmax
    [(2, False, 2 + 4 + 2), (4, False, 4 + 4), (2, True, 2 + 4 + 4)],
)
def test_eager_attention_holds_its_scores_as_the_code_computes_them(
    catalog, dtype_bytes, fused, per_score
):
    arch = catalog.get("llama-7b").architecture
    batch, seq = 2, 2048
    flash, _ = inference_peak(arch, batch, seq, dtype_bytes, True, fused)
    eager, phase = inference_peak(arch, batch, seq, dtype_bytes, False, fused)
    assert phase == "attention"
    scores = batch * arch.heads * seq * seq * per_score
    # at 2,048 tokens the attention phase with its scores is the larger one
    attention = eager - batch * seq * 2 * arch.hidden_size * dtype_bytes
    assert eager > flash
    # beside the scores: q, k and v, and what the output projection reads
    assert attention == scores + batch * seq * 4 * arch.hidden_size * dtype_bytes


def test_fused_layers_count_autoawqs_softmax(catalog):
    base = catalog.get("mistral-7b")
    recipe = {"precision": "awq-4bit", "seq_len": 2048, "flash_attention": False}
    plain = estimate_base(base, Recipe(**recipe)).components["activations"]
    fused = estimate_base(base, Recipe(**recipe, fuse_layers=True)).components["activations"]
    scores = 32 * 2048 * 2048
    assert fused - plain == pytest.approx(scores * 2, rel=1e-6)  # 10 bytes a score, not 8


def test_the_allocator_cache_still_counts_what_the_layer_freed(catalog):
    """The live peak is smaller than what the layer made; the blocks it freed stay cached."""
    base = catalog.get("qwen2.5-7b")
    result = estimate_base(base, Recipe(precision="bf16", seq_len=30720))
    parts = result.components
    made = layer_activations(base.architecture, 1, 30720, 2, True)
    assert parts["activations"] < made
    assert parts["allocator_cache"] > 0.2 * parts["activations"]


def test_the_assumptions_say_which_phase_holds_the_activations(catalog):
    long_prompt = estimate_base(catalog.get("qwen2.5-7b"), Recipe(seq_len=32768))
    said = " ".join(long_prompt.assumptions)
    assert "activations: one layer's FFN phase over 32,768 tokens, the larger of its two" in said
    eager = estimate_base(
        catalog.get("llama-2-7b"), Recipe(seq_len=4096, batch=4, flash_attention=False)
    )
    said = " ".join(eager.assumptions)
    assert "one layer's attention phase over 16,384 tokens" in said
    assert "the scores, their fp32 softmax and its copy in the compute dtype at once" in said
    # a one-token prompt peaks at the last generated token: no phase to name
    decode = estimate_base(catalog.get("qwen2.5-7b"), Recipe(seq_len=2049, new_tokens=2048))
    assert not any(line.startswith("activations:") for line in decode.assumptions)
