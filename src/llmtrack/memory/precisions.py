"""Weight precisions and quantization formats: bits per weight, scales included, and which
tensors each format leaves at 16 bits. Every name the estimator accepts is defined here."""

from __future__ import annotations

import re
from dataclasses import replace

from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.gguf_types import FILE_TYPE_ALIASES, FILE_TYPES, mix_bits


@lazy_dataclass(frozen=True)
class Precision:
    """A weight format: its bits per weight and which tensors it quantizes."""

    name: str
    bits: float  # per quantized weight, scales and zero points included
    description: str
    quantizes_embeddings: bool = False  # ggml quantizes every 2-D tensor; bnb/GPTQ do not
    ggml: bool = False
    experts_only: bool = False  # MXFP4 as gpt-oss ships it: routed experts only
    # bits for tensors of a role (embedding, head, v, ffn.out, expert.out, ...) that a mixed
    # format stores differently from the rest: GGUF's Q4_K_M keeps some in Q6_K
    overrides: tuple[tuple[str, float], ...] = ()

    @property
    def bytes_per_param(self) -> float:
        return self.bits / 8

    @property
    def is_uniform(self) -> bool:
        return not self.overrides and not self.experts_only

    def bits_for(self, role: str, default: float) -> float:
        for name, bits in self.overrides:
            if name == role:
                return bits
        return default


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


# what a quantized format's description says of the tensors it leaves alone, by default
KEPT_16_BIT = "embeddings and lm_head stay 16-bit"

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
        Precision("f32", 32, "ggml/llama.cpp f32", quantizes_embeddings=True, ggml=True),
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
# llama.cpp stores the output head of a Q4_0 ... Q5_1 file in Q6_K (llama_tensor_get_type)
for _name in ("q4_0", "q4_1", "q5_0", "q5_1"):
    _FIXED[_name] = replace(_FIXED[_name], overrides=(("head", 6.5625),))
_FIXED.update(
    (p.name, p)
    for p in (
        Precision(
            "mxfp4",
            4.25,
            "MXFP4 routed experts (32 FP4 values and an 8-bit scale: 4.25 bits), everything "
            "else 16-bit, as gpt-oss ships it",
            experts_only=True,
        ),
        Precision(
            "nvfp4",
            4.5,
            "NVFP4 linear weights (16 FP4 values and an FP8 scale: 4.5 bits, plus one fp32 "
            "scale per tensor); embeddings and lm_head stay 16-bit",
        ),
    )
)
for _name in FILE_TYPES:
    _bits, _overrides, _what = mix_bits(_name)
    _FIXED[_name] = Precision(
        _name,
        _bits,
        f"llama.cpp {_name.upper()}: {_what}; output head "
        f"{'Q8_0' if _name == 'mxfp4_moe' else 'Q6_K or Q5_K'} (llama-quant.cpp's rules)",
        quantizes_embeddings=True,
        ggml=True,
        overrides=_overrides,
    )
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
    **FILE_TYPE_ALIASES,
}
# ExLlamaV2/V3 quantize to any average bits per weight: exl2-4.65, exl3-3.0
EXL_PATTERN = re.compile(r"(exl[23])[-_]?(\d+(?:\.\d+)?)(?:bpw)?")
EXL_FORMS = ("exl2-BITS", "exl3-BITS")
PRECISIONS: tuple[str, ...] = (*_FIXED, *_GROUPED, *ALIASES)


def is_grouped(name: str) -> bool:
    """A format with a group size (GPTQ, AWQ): what --group-size applies to."""
    return name in _GROUPED


GGML_PRECISIONS: tuple[str, ...] = tuple(name for name, p in _FIXED.items() if p.ggml)


DEFAULT_GROUP_SIZE = 128  # GPTQ's and AWQ's usual group, when neither option nor checkpoint says


def precision(name: str, group_size: int = DEFAULT_GROUP_SIZE) -> Precision:
    key = name.lower()
    key = ALIASES.get(key, key)
    if key in _GROUPED:
        return _grouped(*_GROUPED[key], group_size)
    exl = EXL_PATTERN.fullmatch(key)
    if exl:
        return _exllama(exl.group(1), float(exl.group(2)), name)
    try:
        return _FIXED[key]
    except KeyError:
        from llmtrack.choices import did_you_mean

        choices = ", ".join([*PRECISIONS, *EXL_FORMS])
        guess = did_you_mean(name, PRECISIONS)
        raise UsageError(f"unknown precision {name!r};{guess} choose from: {choices}") from None


def _exllama(kind: str, bits: float, name: str) -> Precision:
    """ExLlamaV2 counts its scales in the bits per weight; ExLlamaV3's target counts the
    weights' own bits only. Both keep the embeddings unquantized and quantize the head to 6
    bits by default (-hb 6, which ExLlamaV2's docs put at about 6.3 bits)."""
    if not 1.0 <= bits <= 8.0:
        raise UsageError(f"{name!r}: {kind} takes 1 to 8 bits per weight")
    head = 6.3 if kind == "exl2" else 6.0
    scales = "scales included" if kind == "exl2" else "scales not counted"
    return Precision(
        f"{kind}-{bits:g}",
        bits,
        f"{kind.upper()} at {bits:g} bits per weight ({scales}); head {head:g} bits, "
        "embeddings 16-bit",
        overrides=(("head", head),),
    )
