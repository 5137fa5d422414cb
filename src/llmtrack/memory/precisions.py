"""Weight precisions and quantization formats: bits per weight, scales included, and which
tensors each format leaves at 16 bits. Every name the estimator accepts is defined here."""

from __future__ import annotations

from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass


@lazy_dataclass(frozen=True)
class Precision:
    """A weight format: its bits per weight and which tensors it quantizes."""

    name: str
    bits: float  # per quantized weight, scales and zero points included
    description: str
    quantizes_embeddings: bool = False  # ggml quantizes every 2-D tensor; bnb/GPTQ do not
    ggml: bool = False

    @property
    def bytes_per_param(self) -> float:
        return self.bits / 8


def _grouped(kind: str, bits: int, group: int) -> Precision:
    """GPTQ and AWQ store the same per group of ``group`` weights in a column: an fp16 scale
    and a ``bits``-bit zero point (vLLM's AWQ layer: qweight, qzeros packed 8 per int32,
    scales in the model's dtype, one row per group)."""
    overhead = (16 + bits) / group if group > 0 else 0.0
    grouping = f"group size {group}" if group > 0 else "one scale per column"
    return Precision(
        f"{kind.lower()}-{bits}bit",
        bits + overhead,
        f"{kind} {bits}-bit, {grouping} ({bits + overhead:.3g} bits per weight); "
        "embeddings and lm_head stay 16-bit",
    )


_FIXED: dict[str, Precision] = {
    p.name: p
    for p in (
        Precision("fp32", 32, "32-bit floats", quantizes_embeddings=True),
        Precision("fp16", 16, "16-bit floats", quantizes_embeddings=True),
        Precision("bf16", 16, "bfloat16", quantizes_embeddings=True),
        Precision(
            "int8",
            8,
            "LLM.int8() (bitsandbytes 8-bit) linear weights; embeddings and lm_head stay 16-bit",
        ),
        Precision(
            "nf4",
            4 + 32 / 64,
            "bitsandbytes 4-bit NF4, an fp32 scale per 64 weights (4.5 bits per weight); "
            "embeddings and lm_head stay 16-bit",
        ),
        Precision(
            "nf4-dq",
            4 + 8 / 64 + 32 / (64 * 256),
            "bitsandbytes 4-bit NF4 with double quantization (scales themselves 8-bit, "
            "4.127 bits per weight); embeddings and lm_head stay 16-bit",
        ),
        Precision(
            "fp8",
            8 + 32 / (128 * 128),
            "FP8 (E4M3) linear weights with a scale per 128x128 block, as DeepSeek-V3 ships "
            "them and transformers' fine-grained FP8 loads them (8.002 bits); embeddings and "
            "lm_head stay 16-bit",
        ),
        Precision("f16", 16, "ggml/llama.cpp f16", quantizes_embeddings=True, ggml=True),
        Precision("q4_0", 4.5, "ggml q4_0: 32 weights share an fp16 scale (4.5 bits)", True, True),
        Precision(
            "q4_1", 5.0, "ggml q4_1: fp16 scale and minimum per 32 weights (5 bits)", True, True
        ),
        Precision(
            "q5_0", 5.5, "ggml q5_0: 5-bit weights, fp16 scale per 32 (5.5 bits)", True, True
        ),
        Precision("q5_1", 6.0, "ggml q5_1: fp16 scale and minimum per 32 (6 bits)", True, True),
        Precision(
            "q8_0", 8.5, "ggml q8_0: 8-bit weights, fp16 scale per 32 (8.5 bits)", True, True
        ),
        # llama.cpp's first file format (until May 2023) stored the block scales as fp32
        Precision("q4_0-v1", 5.0, "ggml q4_0, 2023 format: fp32 scale per 32 (5 bits)", True, True),
        Precision(
            "q4_1-v1", 6.0, "ggml q4_1, 2023 format: fp32 scale and min (6 bits)", True, True
        ),
        Precision("q8_0-v1", 9.0, "ggml q8_0, 2023 format: fp32 scale per 32 (9 bits)", True, True),
    )
}
_GROUPED = {  # name -> (format, bits): group-wise formats, their group from --group-size
    "gptq-8bit": ("GPTQ", 8),
    "gptq-4bit": ("GPTQ", 4),
    "gptq-3bit": ("GPTQ", 3),
    "awq-4bit": ("AWQ", 4),
}
ALIASES = {
    "int4": "nf4",
    "4bit": "nf4",
    "8bit": "int8",
    "float32": "fp32",
    "float16": "fp16",
    "half": "fp16",
    "bfloat16": "bf16",
    "awq": "awq-4bit",
    "float8": "fp8",
}
PRECISIONS: tuple[str, ...] = (*_FIXED, *_GROUPED, *ALIASES)
GGML_PRECISIONS: tuple[str, ...] = tuple(name for name, p in _FIXED.items() if p.ggml)


def precision(name: str, group_size: int = 128) -> Precision:
    key = name.lower()
    key = ALIASES.get(key, key)
    if key in _GROUPED:
        return _grouped(*_GROUPED[key], group_size)
    try:
        return _FIXED[key]
    except KeyError:
        raise UsageError(
            f"unknown precision {name!r}; choose from: {', '.join(PRECISIONS)}"
        ) from None
