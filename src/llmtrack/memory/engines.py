"""The engines a model is run with, and the share of a card's peaks each one reaches.

The shares are calibrated on ``tests/fixtures/speed_measurements.yaml``: each is the median,
over that engine's published measurements, of measured speed over the first-principles
bound (``benchmarks/speed.py`` prints the fit). They are properties of an engine's kernels
on a kind of card, not of a model, which is why one number per engine and card kind holds.
"""

from __future__ import annotations

from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.precisions import Precision


@lazy_dataclass(frozen=True)
class Engine:
    name: str
    decode_bandwidth: float  # share of memory bandwidth a generation step reaches
    prefill_compute: float  # share of dense tensor throughput a prompt pass reaches
    # fixed time per layer per generation step: kernel launches and the host's own work,
    # which is what bounds a small model at batch 1 (transformers' eager loop most of all)
    layer_overhead_us: float = 0.0
    # several GPUs: "tensor" engines split every matrix, so their bandwidths add up (at
    # tensor_parallel of their sum); "layer" engines (llama.cpp, transformers' device_map)
    # give each GPU some layers, which a token passes one after the other, so one sequence
    # runs at one card's speed
    split: str = "tensor"
    # fitted: 59 vLLM decode rows on 2 and 4 A100s (19.5 %; 1.0 gives 36 %, 0.7 gives 22 %)
    tensor_parallel: float = 0.80
    half_accumulate: bool = False  # its prompt GEMMs accumulate in FP16 (llama.cpp)
    # share a prompt pass reaches when the weights are quantized, where an engine runs its own
    # kernels instead of cuBLAS (None: the same as 16-bit weights)
    prefill_compute_quantized: float | None = None

    def prompt_share(self, quantized: bool) -> float:
        if quantized and self.prefill_compute_quantized is not None:
            return self.prefill_compute_quantized
        return self.prefill_compute


ENGINES: dict[str, Engine] = {
    e.name: e
    for e in (
        # fitted: 44 decode rows on discrete cards (8.3 %); prompts: 12 rows with 16-bit
        # weights, which ggml_cuda_mul_mat hands to cuBLAS, and 29 quantized, which go to its
        # own MMQ kernels (activations quantized to q8_1, integer products, then rescaled)
        Engine(
            "llama.cpp",
            0.86,
            0.43,
            75,
            split="layer",
            half_accumulate=True,
            prefill_compute_quantized=0.32,
        ),
        # fitted: 236 decode rows (Qwen2 and Qwen2.5's speed benchmarks on an A100, 11 %);
        # its prompt share is llama.cpp's over all its prompt rows (0.33) until a source
        # publishes vLLM's prompt speed
        Engine("vllm", 0.86, 0.33, 150),
        # vLLM's decode figures (one published decode row); prompt: 3 rows (DeepSeek-V3)
        Engine("sglang", 0.86, 0.53, 150),
        # fitted: 184 decode rows (17 %): at batch 1 its eager loop costs about a
        # millisecond per layer, which is what bounds a small model
        Engine("transformers", 1.0, 0.33, 1000, split="layer"),
        # fitted: 10 decode rows of its README (RTX 4090, 3090 Ti)
        Engine("exllamav2", 0.90, 0.33, 25),
        # fitted: 4 decode rows of MLC's blog posts
        Engine("mlc", 0.88, 0.33, 50),
    )
}
# Apple's unified memory: llama.cpp's Metal backend reaches a smaller share of the chip's
# bandwidth than CUDA does of a discrete card's
UNIFIED = {  # fitted: 18 decode rows on Apple Silicon and Strix Halo (5.5 %)
    "llama.cpp": Engine("llama.cpp", 1.0, 0.34, 300, split="layer", half_accumulate=True),
    "mlc": Engine("mlc", 1.0, 0.34, 300),
}
ENGINE_NAMES: tuple[str, ...] = tuple(ENGINES)


def engine_for(name: str | None, precision: Precision, unified: bool = False) -> Engine:
    """The engine named, or the default for the weights' format: llama.cpp for GGUF, else
    transformers."""
    if name is None:
        name = "llama.cpp" if precision.ggml else "transformers"
    key = name.lower()
    if key not in ENGINES:
        raise UsageError(f"unknown engine {name!r}; choose from: {', '.join(ENGINE_NAMES)}")
    if unified and key in UNIFIED:
        return UNIFIED[key]
    return ENGINES[key]
