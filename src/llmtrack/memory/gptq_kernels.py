"""The buffers a GPTQ kernel keeps on the GPU for as long as the model is loaded.

A GPTQ checkpoint's 4-bit matrices are multiplied by one of several kernels, and some keep
a scratch buffer sized by the model's largest quantized matrix (read in AutoGPTQ 0.7.1):

- ExLlama (``exllama``), AutoGPTQ's port of turboderp's ExLlama and what transformers loads
  a 4-bit GPTQ model with by default (4.38.2 and 4.57.1, ``GPTQConfig.post_init``:
  ``exllama_config = {"version": ExllamaVersion.ONE}``). ``autogptq_post_init`` allocates
  ``temp_dq``, ``max(qweight.numel() * 8)`` fp16 values: one matrix dequantized, for the
  prompt pass's cuBLAS path. Its ``temp_state`` is one row unless the model was quantized
  with act-order (``desc_act``), which is left out here.
- ExLlamaV2 (``exllamav2``), AutoGPTQ's ``from_quantized`` default for 4 bits (and
  transformers' with ``exllama_config={"version": 2}``): ``ExLlamaV2DeviceTensors`` of the
  largest ``scratch_space_fixed()``, ``in * out * 2 + 128`` bytes to dequantize a matrix
  plus ``out * 2048 * 8 * 4 + 128`` for a forward pass of 2,048 tokens at batch 8 (its
  default ``max_input_len`` and ``max_batch_size``).
- The CUDA and Triton kernels (``cuda``: GPTQ-for-LLaMa's, AutoGPTQ's ``cuda``/``triton``,
  and the 3- and 8-bit formats, which ExLlama does not take) keep none.

A fine-tune counts none: AutoGPTQ turns both ExLlama kernels off for a trainable model
(``from_quantized(trainable=True)``, ``modeling/_base.py``), so ``--gptq-kernel`` is an
inference option.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmtrack.catalog.schema import Architecture
from llmtrack.errors import UsageError
from llmtrack.memory.precisions import Precision
from llmtrack.memory.shapes import quantized_matrices

if TYPE_CHECKING:
    from llmtrack.memory.recipe import Plan, Recipe

GPTQ_KERNELS = ("exllama", "exllamav2", "cuda")
KERNEL_NOTE = "GPTQ kernel"  # how the assumption begins
# ExLlamaV2's fixed scratch covers a forward pass of this many tokens at this batch
_V2_INPUT_TOKENS, _V2_BATCH = 2048, 8
_LABEL = {
    "exllama": "ExLlama v1",
    "exllamav2": "ExLlamaV2",
    "cuda": "CUDA/Triton",
}


def kernel_for(prec: Precision, chosen: str | None) -> str:
    """The kernel a GPTQ model runs on: the one chosen, else what transformers loads."""
    four_bit = prec.name == "gptq-4bit"  # .bits counts the scales too
    if chosen is None:
        return "exllama" if four_bit else "cuda"
    if chosen != "cuda" and not four_bit:
        raise UsageError(f"--gptq-kernel {chosen} takes 4-bit GPTQ only; {prec.name} runs on cuda")
    return chosen


def add_kernel_buffers(
    components: dict[str, float], arch: Architecture, recipe: Recipe, plan: Plan, notes: list[str]
) -> str | None:
    """Inference's GPTQ kernel buffer, added to the components; the kernel it runs on, or
    None for a precision that is not GPTQ (where --gptq-kernel is refused)."""
    if not plan.prec.name.startswith("gptq"):
        if recipe.gptq_kernel is not None:
            raise UsageError(
                f"--gptq-kernel sizes a GPTQ kernel's buffer; {plan.prec.name} is not GPTQ: "
                "give --precision gptq-4bit, or drop --gptq-kernel"
            )
        return None
    buffers = kernel_buffers(arch, plan.prec, recipe.gptq_kernel, notes)
    if buffers:
        components["gptq_buffers"] = buffers
    return kernel_for(plan.prec, recipe.gptq_kernel)


def kernel_buffers(arch: Architecture, prec: Precision, chosen: str | None, notes: list[str]):
    """Bytes the kernel keeps per GPU (each GPU holds its own), with the assumption said."""
    kernel = kernel_for(prec, chosen)
    how = "the default for 4-bit GPTQ in transformers" if chosen is None else "--gptq-kernel"
    if kernel == "cuda":
        if chosen is not None:
            notes.append(f"{KERNEL_NOTE} {_LABEL[kernel]} ({how}): no buffer of its own")
        return 0
    shapes = quantized_matrices(arch)
    if kernel == "exllama":
        size = max(i * o for i, o in shapes) * 2
        what = "one matrix dequantized to fp16"
    else:
        size = max(i * o * 2 + 128 + o * _V2_INPUT_TOKENS * _V2_BATCH * 4 + 128 for i, o in shapes)
        what = (
            f"one matrix dequantized plus a forward pass of {_V2_INPUT_TOKENS:,} tokens at "
            f"batch {_V2_BATCH}, AutoGPTQ's fixed sizes whatever --seq-len and --batch"
        )
    others = ", ".join(k for k in GPTQ_KERNELS if k != kernel)
    notes.append(
        f"{KERNEL_NOTE} {_LABEL[kernel]} ({how}): a scratch buffer of {size / 2**30:.2f} GiB, "
        f"{what} (--gptq-kernel {others} for the others)"
    )
    return size


def without_transformers_kernel(result, engine: str):
    """The estimate as an engine with kernels of its own runs it: no AutoGPTQ buffer, and
    the assumptions say so instead of naming transformers' kernel."""
    from dataclasses import replace

    if result.recipe.gptq_kernel is None:
        return result
    components = {k: v for k, v in result.components.items() if k != "gptq_buffers"}
    notes = [n for n in result.assumptions if not n.startswith(KERNEL_NOTE)]
    notes.append(f"{engine} brings its own GPTQ kernels: AutoGPTQ's buffers are not counted")
    recipe = replace(result.recipe, gptq_kernel=None)
    return replace(result, components=components, assumptions=notes, recipe=recipe)


def chosen_by_the_checkpoint(result):
    """The estimate with its kernel said to come from the checkpoint's quantization_config,
    not from a --gptq-kernel nobody typed."""
    from dataclasses import replace

    origin = "(the checkpoint's quantization_config)"
    notes = [
        n.replace("(--gptq-kernel)", origin, 1) if n.startswith(KERNEL_NOTE) else n
        for n in result.assumptions
    ]
    return replace(result, assumptions=notes)
