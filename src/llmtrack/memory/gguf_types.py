"""llama.cpp's GGUF file types: which block type each tensor gets, and its bits per weight.

A file type such as Q4_K_M is a mix, not one format. llama.cpp's ``llama_tensor_get_type``
(src/llama-quant.cpp) gives most matrices the base type and some more bits: the output head
Q6_K, and for the _M mixes the value projection and the FFN's down projection of the layers
``use_more_bits`` picks (the first and last eighth and every third between: about half of
them). The rules here are those, for a model with grouped-query attention (four or more
query heads per key/value head, as every recent family has) quantized with an importance
matrix; the 70B-Llama and eight-expert special cases are left out.

Block sizes are ggml-common.h's: bytes per block over weights per block (q4_K: 144 bytes
per 256 weights, 4.5 bits).
"""

from __future__ import annotations

BLOCK_BITS: dict[str, float] = {
    "q4_0": 4.5,
    "q4_1": 5.0,
    "q5_0": 5.5,
    "q5_1": 6.0,
    "q8_0": 8.5,
    "q2_K": 2.625,
    "q3_K": 3.4375,
    "q4_K": 4.5,
    "q5_K": 5.5,
    "q6_K": 6.5625,
    "iq1_s": 1.5625,
    "iq1_m": 1.75,
    "iq2_xxs": 2.0625,
    "iq2_xs": 2.3125,
    "iq2_s": 2.5625,
    "iq3_xxs": 3.0625,
    "iq3_s": 3.4375,
    "iq4_nl": 4.5,
    "iq4_xs": 4.25,
    "tq1_0": 1.6875,
    "tq2_0": 2.0625,
    "mxfp4": 4.25,
}

# A role's share of layers in a type: [(fraction, type), ...], the rest in the base type.
Mix = dict[str, list[tuple[float, str]]]
HALF = 0.5  # use_more_bits picks 16 of 32 layers (and about half of any other count)
EIGHTH = 1 / 8

_LOW_BIT_HEAD: Mix = {"head": [(1, "q5_K")]}  # IQ1/IQ2/IQ3_XXS files: a Q5_K head


def _ffn_down(fraction: float, kind: str) -> Mix:
    return {"ffn.out": [(fraction, kind)], "expert.out": [(fraction, kind)]}


# file type -> (base block type, description, exceptions by role)
FILE_TYPES: dict[str, tuple[str, str, Mix]] = {
    "q2_k": (
        "q2_K",
        "mostly Q2_K",
        {"v": [(1, "q4_K")], "o": [(1, "q3_K")], **_ffn_down(1, "q3_K")},
    ),
    "q3_k_s": ("q3_K", "Q3_K throughout", {}),
    "q3_k_m": (
        "q3_K",
        "Q3_K; v and attention output Q4_K, the first sixteenth of FFN down Q5_K",
        {"v": [(1, "q4_K")], "o": [(1, "q4_K")], **_ffn_down(1 / 16, "q5_K")},
    ),
    "q3_k_l": (
        "q3_K",
        "Q3_K; v, attention output and FFN down Q5_K",
        {"v": [(1, "q5_K")], "o": [(1, "q5_K")], **_ffn_down(1, "q5_K")},
    ),
    "q4_k_s": (
        "q4_K",
        "Q4_K; the first eighth of v and FFN down Q5_K",
        {"v": [(EIGHTH, "q5_K")], **_ffn_down(EIGHTH, "q5_K")},
    ),
    "q4_k_m": (
        "q4_K",
        "Q4_K; v and FFN down Q6_K in about half the layers",
        {"v": [(HALF, "q6_K")], **_ffn_down(HALF, "q6_K")},
    ),
    "q5_k_s": ("q5_K", "Q5_K throughout", {}),
    "q5_k_m": (
        "q5_K",
        "Q5_K; v and FFN down Q6_K in about half the layers",
        {"v": [(HALF, "q6_K")], **_ffn_down(HALF, "q6_K")},
    ),
    "q6_k": ("q6_K", "Q6_K throughout", {}),
    "iq1_s": (
        "iq1_s",
        "IQ1_S; v Q4_K, attention output IQ2_XXS, the first eighth of FFN down Q2_K",
        {
            **_LOW_BIT_HEAD,
            "embedding": [(1, "q2_K")],
            "v": [(1, "q4_K")],
            "o": [(1, "iq2_xxs")],
            **_ffn_down(EIGHTH, "q2_K"),
        },
    ),
    "iq1_m": (
        "iq1_m",
        "IQ1_M; v Q4_K, attention output IQ2_XXS, the first eighth of FFN down Q2_K",
        {
            **_LOW_BIT_HEAD,
            "embedding": [(1, "q2_K")],
            "v": [(1, "q4_K")],
            "o": [(1, "iq2_xxs")],
            **_ffn_down(EIGHTH, "q2_K"),
        },
    ),
    "iq2_xxs": (
        "iq2_xxs",
        "IQ2_XXS; v Q4_K, the first eighth of FFN down Q2_K",
        {
            **_LOW_BIT_HEAD,
            "embedding": [(1, "q2_K")],
            "v": [(1, "q4_K")],
            **_ffn_down(EIGHTH, "q2_K"),
        },
    ),
    "iq2_xs": (
        "iq2_xs",
        "IQ2_XS; v Q4_K, the first eighth of FFN down Q2_K",
        {
            **_LOW_BIT_HEAD,
            "embedding": [(1, "q2_K")],
            "v": [(1, "q4_K")],
            **_ffn_down(EIGHTH, "q2_K"),
        },
    ),
    "iq2_s": (
        "iq2_xs",
        "IQ2_XS base; v Q4_K, attention output and the first eighth of FFN down IQ3_S",
        {
            **_LOW_BIT_HEAD,
            "embedding": [(1, "iq3_s")],
            "v": [(1, "q4_K")],
            "o": [(1, "iq3_s")],
            **_ffn_down(EIGHTH, "iq3_s"),
        },
    ),
    "iq2_m": (
        "iq2_s",
        "IQ2_S base; v Q4_K, attention output and the first eighth of FFN down IQ3_S",
        {
            **_LOW_BIT_HEAD,
            "embedding": [(1, "iq3_s")],
            "v": [(1, "q4_K")],
            "o": [(1, "iq3_s")],
            **_ffn_down(EIGHTH, "iq3_s"),
        },
    ),
    "iq3_xxs": (
        "iq3_xxs",
        "IQ3_XXS; q and k IQ2_S, v Q4_K, attention output IQ3_S",
        {
            **_LOW_BIT_HEAD,
            "embedding": [(1, "iq3_s")],
            "q": [(1, "iq2_s")],
            "k": [(1, "iq2_s")],
            "v": [(1, "q4_K")],
            "o": [(1, "iq3_s")],
        },
    ),
    "iq3_xs": (
        "iq3_s",
        "IQ3_S base; q, k and the middle three quarters of FFN up/gate IQ3_XXS, v Q4_K",
        {
            "q": [(1, "iq3_xxs")],
            "k": [(1, "iq3_xxs")],
            "v": [(1, "q4_K")],
            "ffn.in": [(0.75, "iq3_xxs")],
            "expert.in": [(0.75, "iq3_xxs")],
        },
    ),
    "iq3_s": ("iq3_s", "IQ3_S; v Q4_K", {"v": [(1, "q4_K")]}),
    "iq3_m": (
        "iq3_s",
        "IQ3_S; v and attention output Q4_K, the first eighth of FFN down Q4_K",
        {"v": [(1, "q4_K")], "o": [(1, "q4_K")], **_ffn_down(EIGHTH, "q4_K")},
    ),
    "iq4_nl": ("iq4_nl", "IQ4_NL; v Q5_K", {"v": [(1, "q5_K")]}),
    "iq4_xs": ("iq4_xs", "IQ4_XS; v Q5_K", {"v": [(1, "q5_K")]}),
    "tq1_0": ("tq1_0", "ternary TQ1_0; embeddings Q4_K", {"embedding": [(1, "q4_K")]}),
    "tq2_0": ("tq2_0", "ternary TQ2_0; embeddings Q4_K", {"embedding": [(1, "q4_K")]}),
    # gpt-oss as ggml-org publishes it: experts MXFP4, every other matrix and the head Q8_0
    "mxfp4_moe": (
        "q8_0",
        "experts MXFP4 (4.25 bits), every other matrix and the output head Q8_0",
        {"head": [(1, "q8_0")], "expert.in": [(1, "mxfp4")], "expert.out": [(1, "mxfp4")]},
    ),
}
FILE_TYPE_ALIASES = {"q3_k": "q3_k_m", "q4_k": "q4_k_m", "q5_k": "q5_k_m"}


def mix_bits(name: str) -> tuple[float, tuple[tuple[str, float], ...], str]:
    """(bits of the base type, bits by role where they differ, a description)."""
    base, description, mix = FILE_TYPES[name]
    base_bits = BLOCK_BITS[base]
    # the output head is Q6_K unless the mix says otherwise (llama.cpp: any type but Q8_0)
    roles: Mix = {"head": [(1, "q6_K")], **mix}
    overrides = []
    for role, parts in roles.items():
        rest = 1 - sum(fraction for fraction, _ in parts)
        bits = rest * base_bits + sum(fraction * BLOCK_BITS[kind] for fraction, kind in parts)
        overrides.append((role, bits))
    return base_bits, tuple(overrides), description
