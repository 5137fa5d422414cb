"""The estimator's own options, shared by estimate, fits and reproduce: every value they
take comes from the estimator's constants."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtrack.cli.options import choice_option, finite_between
from llmtrack.memory.engines import ENGINE_NAMES
from llmtrack.memory.kvcache import KV_CACHE_TYPES
from llmtrack.memory.measure import DEFAULT_MEASURE, MEASURES
from llmtrack.memory.recipe import UNQUANTIZED_DTYPES
from llmtrack.memory.stacks import DEFAULT_STACK, STACK_NAMES

BandwidthOption = Annotated[
    str | None,
    typer.Option(
        "--bandwidth",
        metavar="RATE",
        help="The card's memory bandwidth, e.g. 1008GB/s (with --vram).",
    ),
]
TflopsOption = Annotated[
    str | None,
    typer.Option(
        "--tflops", metavar="N", help="Its dense BF16/FP16 tensor TFLOPS, e.g. 165 (with --vram)."
    ),
]
EngineOption = Annotated[
    str | None,
    choice_option(
        "--engine",
        values=ENGINE_NAMES,
        before="What runs it: ",
        after=" (vllm, sglang: also what their KV cache gets of the card) "
        "[default: llama.cpp for GGUF, else transformers].",
    ),
]
StackOption = Annotated[
    str | None,
    choice_option(
        "--stack",
        values=STACK_NAMES,
        before="Fine-tuning: the software it trains with (what it keeps, how fast): ",
        after=f" [default: {DEFAULT_STACK}].",
    ),
]
MeasureOption = Annotated[
    str | None,
    choice_option(
        "--measure",
        values=MEASURES,
        before="What the peak counts: ",
        after=" (torch.cuda.max_memory_reserved / max_memory_allocated) "
        f"[default: {DEFAULT_MEASURE}, what the card runs out of].",
    ),
]
KvCacheOption = Annotated[
    str | None,
    choice_option(
        "--kv-cache",
        values=KV_CACHE_TYPES,
        before="Inference: the KV cache's type: ",
        after=" [default: the compute dtype, 16-bit].",
    ),
]
ReduceBucketOption = Annotated[
    int | None,
    typer.Option(
        "--reduce-bucket-size",
        metavar="N",
        min=1,
        help="DeepSpeed ZeRO's reduce_bucket_size, in elements (with --zero) "
        "[default: 500000000, DeepSpeed's].",
    ),
]
OverlapCommOption = Annotated[
    bool | None,
    typer.Option(
        "--overlap-comm/--no-overlap-comm",
        help="DeepSpeed ZeRO's overlap_comm: a second gradient bucket in stages 1-2 "
        "[default: on for --zero 3 only, as DeepSpeed].",
    ),
]
UnquantizedOption = Annotated[
    str | None,
    choice_option(
        "--unquantized-dtype",
        values=UNQUANTIZED_DTYPES,
        before="With a quantized --precision: the dtype of what it leaves unquantized "
        "(embeddings, norms, head), as the checkpoint stores it: ",
        after=" [default: 16-bit].",
    ),
]
NewTokensOption = Annotated[
    int | None,
    typer.Option(
        "--new-tokens",
        metavar="N",
        help="Inference: how many of --seq-len's tokens are generated; the rest is the prompt "
        "[default: none, the whole --seq-len is the prompt].",
    ),
]
LegacyCacheOption = Annotated[
    bool,
    typer.Option(
        "--legacy-cache",
        help="Inference: the KV cache is a tuple each step concatenates onto, so the step "
        "holds the old and the new one (transformers before 4.36, remote-code models such as "
        "Qwen and MOSS).",
    ),
]
CudaContextOption = Annotated[
    str | None,
    typer.Option(
        "--cuda-context",
        metavar="SIZE",
        help="What your card shows in nvidia-smi once a process has touched CUDA and loaded "
        "nothing, e.g. 1343MiB [default: 0.5GiB].",
    ),
]
FuseLayersOption = Annotated[
    bool,
    typer.Option(
        "--fuse-layers",
        help="Inference on AWQ weights loaded by AutoAWQ with fuse_layers=True: loading holds "
        "each layer's q, k and v twice for a moment.",
    ),
]
GptqKernelOption = Annotated[
    str | None,
    typer.Option(
        "--gptq-kernel",
        metavar="KERNEL",
        help="Inference on GPTQ: the kernel whose scratch buffer is counted: exllama "
        "(transformers' default for 4-bit), exllamav2 (AutoGPTQ's from_quantized default), "
        "cuda or triton (none; 3- and 8-bit GPTQ run on these).",
    ),
]
HalfLogitsOption = Annotated[
    bool,
    typer.Option(
        "--half-logits",
        help="Fine-tuning: the loss on the 16-bit logits, with no fp32 copy (DeepSpeed's "
        "fp16/bf16 engine with model code that never calls logits.float(), such as Qwen's).",
    ),
]
MemFractionStaticOption = Annotated[
    float | None,
    typer.Option(
        "--mem-fraction-static",
        metavar="F",
        parser=finite_between(0.01, 1.0),
        help="SGLang: the share of the card for the weights and the KV pool "
        "[default: SGLang's for the card].",
    ),
]
