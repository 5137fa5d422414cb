"""What inference holds at its peak: the prompt pass, or the last generated token.

A run that reads a prompt of P tokens and generates N more has two candidate peaks. The
prompt pass holds one layer's activations for all P tokens and the logits; the last
generation step holds the activations and logits of one token. Both are counted with the
cache of all P + N tokens, which is what a cache allocated up front (ExLlama's, a static
cache) holds at the prompt pass, and a little more than a growing one does. Without
``--new-tokens`` the whole ``--seq-len`` is the prompt: the larger figure.

A cache kept as a tuple that each step concatenates onto (``--legacy-cache``) costs a second
copy at the last step: the attention code builds ``torch.cat((past_key, key))`` for every
layer while the previous step's tuple is still referenced by the generate loop, so at the
last layer both the old cache and the new one are alive. That is how transformers' models
kept their cache before its ``DynamicCache`` (4.35.2's ``modeling_llama.py``, lines 382-385;
4.36.0's ``cache_utils.py`` replaces each layer's tensor in place) and how remote-code
models of 2023 (Qwen, MOSS) keep it: Qwen's ``QWenAttention.forward`` concatenates
``layer_past`` and returns ``present = (key, value)``. Qwen's own profile of generating
8,192 tokens from one (BF16, 22.53 GiB for Qwen-7B, 38.94 for Qwen-14B) is the weights and
two caches to within 1 %.

AutoAWQ's ``fuse_layers=True`` (``--fuse-layers``) adds a third candidate, loading: its
fuser (``awq/models/llama.py``, ``mistral.py``) concatenates each layer's q, k and v into a
new fused matrix while the unfused ones stay referenced until the last layer is fused, so
loading holds every q, k and v twice; a figure of the whole run (its benchmark never resets
the peak) is the larger of that and the run's own.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmtrack.catalog.schema import Architecture
from llmtrack.errors import UsageError
from llmtrack.memory.activations import inference_peak, widest_layer
from llmtrack.memory.kvcache import KV_CACHE_BITS, KV_CACHE_NOTES, cache_size
from llmtrack.memory.recipe import Plan, Recipe


def inference_components(
    arch: Architecture, recipe: Recipe, plan: Plan, seq_len: int, notes: list[str]
) -> tuple[dict[str, float], float]:
    """KV cache (and state), activations and logits at inference's peak, per GPU; and the
    bytes of the peak layer's temporaries beyond its live activations, which the allocator
    has handed out and taken back by then (its cache is sized from them)."""
    batch, vocab = recipe.batch, arch.vocab_size or 0
    kv_bits = KV_CACHE_BITS[recipe.kv_cache] if recipe.kv_cache else 8 * plan.act_bytes
    kv_label = recipe.kv_cache or f"{8 * plan.act_bytes}-bit"
    new = recipe.new_tokens
    if new is not None and new >= seq_len:
        raise UsageError(
            f"--new-tokens {new:,} leaves no prompt in --seq-len {seq_len:,} (which counts "
            "the prompt and the generated tokens): give a longer --seq-len"
        )
    prompt = seq_len - new if new else seq_len

    size = cache_size(arch, batch, seq_len, kv_bits)
    whole = {"kv_cache": size.kv / recipe.gpus}
    if size.state:
        whole["state"] = size.state / recipe.gpus

    if plan.prec.ggml:
        for given, option in ((recipe.legacy_cache, "--legacy-cache"),
                              (recipe.fuse_layers, "--fuse-layers")):  # fmt: skip
            if given:
                raise UsageError(f"{option} is transformers' or AutoAWQ's; llama.cpp loads its own")
        notes.append(f"KV cache for batch {batch} x {seq_len} tokens in {kv_label}")
        _cache_notes(recipe, size.notes, notes)
        if new:
            notes.append("llama.cpp allocates the cache for the whole context at start")
        # a fixed compute buffer, and the last position's logits only
        return {**whole, "logits": batch * vocab * 4}, 0.0

    if recipe.legacy_cache and (new is None or new < 2):
        raise UsageError(
            "--legacy-cache copies the cache at each generated token after the first: give "
            "--new-tokens (2 or more)"
        )
    positions = prompt if recipe.all_logits else 1
    fused = recipe.fuse_layers  # AutoAWQ's fused attention computes its own softmax
    # the prompt pass is counted with the cache of the whole --seq-len: what a cache that is
    # allocated up front (ExLlama's, a static cache) holds then, and a little more than a
    # growing one does, never less
    held, phase = inference_peak(arch, batch, prompt, plan.act_bytes, recipe.flash_attention, fused)
    prefill = {
        **whole,
        "activations": held,
        "logits": batch * positions * vocab * 4,
    }
    decode = dict(whole)
    if recipe.legacy_cache:
        decode["kv_cache_copy"] = decode["kv_cache"]  # the previous step's, still referenced
    decode["activations"] = inference_peak(
        arch, batch, 1, plan.act_bytes, recipe.flash_attention, fused
    )[0]
    decode["logits"] = batch * vocab * 4
    # a tie (a one-token prompt) is the last token's: the whole cache exists only then
    at_prompt = not new or sum(prefill.values()) > sum(decode.values())
    notes.append(f"KV cache for batch {batch} x {seq_len} tokens in {kv_label}")
    if new:
        tokens = "token" if prompt == 1 else "tokens"
        notes.append(
            f"a prompt of {prompt:,} {tokens}, then {new:,} generated (--new-tokens): the peak "
            f"is {'the prompt pass' if at_prompt else 'the last generated token'}"
        )
    _cache_notes(recipe, size.notes, notes)
    if at_prompt:
        notes.append(
            f"activations: one layer's {phase} phase over {batch * prompt:,} tokens, the larger "
            "of its two (a forward pass without gradients frees one before the other runs)"
        )
    if not recipe.flash_attention:
        notes.append(
            "eager attention: the scores, their fp32 softmax and its copy in the compute dtype "
            "at once"
            + (" (AutoAWQ's fused attention: an fp32 copy of the scores too)" if fused else "")
        )
    if recipe.legacy_cache:
        notes.append(_LEGACY)
    notes.append(
        "logits over the vocabulary for every prompt position, in fp32 (--all-logits)"
        if recipe.all_logits
        else "logits for the last position only, in fp32, as generation computes them "
        "(--all-logits for code that scores every prompt position)"
    )
    run = prefill if at_prompt else decode
    # every tensor the peak layer makes, live at once or not: the allocator took back the rest
    made = widest_layer(
        arch, batch, prompt if at_prompt else 1, plan.act_bytes, recipe.flash_attention
    )
    freed = max(0.0, made - run["activations"])
    if recipe.fuse_layers:
        fused_run = _fused_loading(arch, plan, run, recipe.gpus, notes)
        return fused_run, (freed if fused_run is run else 0.0)
    return run, freed


def _fused_loading(
    arch: Architecture, plan: Plan, run: dict[str, float], gpus: int, notes: list[str]
) -> dict[str, float]:
    """AutoAWQ's fused loader: every layer's q, k and v twice, for a moment."""
    from llmtrack.memory.layers import layer_groups
    from llmtrack.memory.shapes import mixer_linears

    if not plan.prec.name.startswith("awq"):
        raise UsageError(
            f"--fuse-layers is AutoAWQ's loader for AWQ weights; {plan.prec.name} is not one"
        )
    qkv = sum(
        group.count * sum(m.inputs * m.outputs * m.count for m in mixer_linears(arch, group.kind)
                          if m.role in ("q", "k", "v", "qkv"))
        for group in layer_groups(arch)
    )  # fmt: skip
    copy = qkv * plan.prec.bits / 8 / gpus  # each GPU fuses the layers it holds
    loading = copy > sum(run.values())
    notes.append(
        f"AutoAWQ's fuse_layers (--fuse-layers): loading holds every layer's q, k and v twice "
        f"({copy / 2**30:.2f} GiB more), "
        + ("more than the run itself: the peak is the loading" if loading else "less than the run")
    )
    return {"fused_qkv_copy": copy} if loading else run


def _cache_notes(recipe: Recipe, cache_notes: Sequence[str], notes: list[str]) -> None:
    if recipe.kv_cache in KV_CACHE_NOTES:
        notes.append(KV_CACHE_NOTES[recipe.kv_cache])
    notes.extend(cache_notes)


_LEGACY = (
    "legacy cache (--legacy-cache): a tuple each step concatenates onto, so the last step "
    "holds the previous cache beside the new one (transformers before 4.36; remote-code "
    "models such as Qwen and MOSS)"
)
