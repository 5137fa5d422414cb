"""What a memory figure counts: the tensors alone, what PyTorch's caching allocator holds,
or what nvidia-smi shows, and the two components that tell them apart.

- ``allocated`` is ``torch.cuda.max_memory_allocated``: the live tensors at the peak.
- ``reserved`` is ``torch.cuda.max_memory_reserved``: the allocator's segments, which hold
  blocks freed earlier but kept for reuse. A block serves a later request only when that
  request fits in it, so tensors whose sizes change from step to step (batches padded to
  their longest sequence, a KV cache grown a token at a time) leave blocks behind that no
  later request fits; batches of one shape reuse them exactly. When cudaMalloc fails the
  allocator frees the cached blocks and retries (``c10/cuda/CUDACachingAllocator.cpp``), so
  a run whose cache grows without bound (transformers' generation at large batches grows
  the KV cache by concatenation) shows far more in nvidia-smi than it needs; the estimate
  answers "does it fit" and leaves that growth out.
- ``nvidia-smi`` adds what lives outside the allocator: the CUDA context with the kernels it
  has loaded and cuBLAS' workspace, as nvidia-smi lists them for the process. It is the
  figure the card runs out of, so it is the default.

The constants are read off the rows of ``tests/fixtures/memory_measurements.yaml`` that
publish the figures side by side (optimum-benchmark and DerekLiu35's quantization
benchmark: allocated, reserved and NVML's used memory of the same runs) and the CUDA
context sizes under its ``context:`` key, then chosen by a search over the whole fixture
(``python benchmarks/accuracy.py --fit`` prints the trials).
"""

from __future__ import annotations

MEASURES: tuple[str, ...] = ("nvidia-smi", "reserved", "allocated")
DEFAULT_MEASURE = "nvidia-smi"
MEASURE_LABEL = {
    "nvidia-smi": "what nvidia-smi shows: tensors, the allocator's cached blocks, CUDA context",
    "reserved": "torch.cuda.max_memory_reserved: tensors and the allocator's cached blocks",
    "allocated": "torch.cuda.max_memory_allocated: the live tensors alone",
}
# the components each figure leaves out
_LEFT_OUT = {
    "nvidia-smi": frozenset(),
    "reserved": frozenset({"cuda_context"}),
    "allocated": frozenset({"cuda_context", "allocator_cache"}),
}

GIB = 1024**3  # every memory figure of the estimator is in these (memory/estimate.py too)
# NVML's used memory minus max_memory_reserved: on an A100 80GB 1.39 and 1.47 GB with
# PyTorch 2.1 (optimum-benchmark, 2023) and 1.46 GB with 2.4, of which 0.53 GB is attributed
# to the process (DerekLiu35's benchmark, 2025); on an H100 0.94 GB, 0.71 of it the process's.
# Lazy module loading (PyTorch's default since 1.13) keeps the bare context near 0.3 GB.
# 0.5 GiB is the process's share, the figure nvidia-smi lists for the process, and the one
# that fits the fixture best; the rest of the device's figure is the driver's and is there
# before any process runs.
CUDA_CONTEXT_BYTES = int(0.5 * GIB)
# The allocator's cached blocks at the peak, as a share of the memory allocated and freed as
# the run goes (activations, logits, a growing KV cache): for batches of one shape
# (inference, packed training), and for batches padded to their own longest sequence.
FIXED_SHAPE_CACHE = 0.2
VARIABLE_SHAPE_CACHE = 0.3


def measure_named(name: str | None) -> str:
    from llmtrack.choices import choose

    if name is None:
        return DEFAULT_MEASURE
    return choose(name, MEASURES, "measure", {"nvml": "nvidia-smi", "smi": "nvidia-smi"})


def left_out(measure: str) -> frozenset[str]:
    """The components a figure of this kind does not count."""
    return _LEFT_OUT[measure]


def allocator_cache(transient: float, variable_shapes: bool) -> float:
    """Bytes the caching allocator holds beyond the live tensors at the peak."""
    share = VARIABLE_SHAPE_CACHE if variable_shapes else FIXED_SHAPE_CACHE
    return share * transient
